"""The hidden layers' activation, in one place: the trainers take f and its derivative from here and nowhere else.

An entry is a kind, scikit-learn's name in `KINDS`, with two vector functions:
- `activate(kind, z)`: a = f(z), lane by lane (`activate_scalar`: of one value, for a few images' predictions);
- `backward(kind, delta, a)`: delta · f'(z), written from the activation a = f(z), not from z, as
  scikit-learn's derivatives are, so that a trainer needs to keep only its activations.
The entries, as scikit-learn's:
- RELU: a = max(z, 0) (NaN kept); delta where a > 0, else 0.
- TANH: a = tanh z, from expm1(-2|z|) so that small z keep their digits; delta · (1 - a²).
- LOGISTIC: a = 1 / (1 + e^-z), from e^-|z| on either side; delta · a · (1 - a).
- IDENTITY: a = z; delta.
Each kind is the one instance of a class of its own, so that jitted code compiles only the entry it is given: the
choice is made by the kind's type (`_activate_for`, `_backward_for`), never by a branch in a kernel's loop. The
mini-batch stages (`dense`) and the predictions (`predict`) take any kind; the fused full-batch step (`fused`) is the
seed's, ReLU only. LOGISTIC alone maps 0 to something else than 0 (`moves_zero`): a layer's padding columns, whose
sums are 0, are cleared after it.
"""
from collections import namedtuple

import numpy as np
from numba import types
from numba.extending import overload

from .._compile.options import inline
from .._simd import lanes
from .._simd.exp import exp_nonpositive, expm1_nonpositive

Relu = namedtuple("Relu", ())
Tanh = namedtuple("Tanh", ())
Logistic = namedtuple("Logistic", ())
Identity = namedtuple("Identity", ())
RELU, TANH, LOGISTIC, IDENTITY = Relu(), Tanh(), Logistic(), Identity()
KINDS = {"relu": RELU, "tanh": TANH, "logistic": LOGISTIC, "identity": IDENTITY}
"""scikit-learn's activation names and their kinds."""


@inline
def _relu(z):
    zero = lanes.splat(z, 0)
    return lanes.where_less(z, zero, zero, z)


@inline
def _relu_backward(delta, a):
    zero = lanes.splat(delta, 0)
    return lanes.where_less(zero, a, delta, zero)


@inline
def _tanh(z):
    zero = lanes.splat(z, 0)
    negative = lanes.sub(zero, z)
    m = lanes.where_less(z, zero, z, negative)  # -|z|
    e = expm1_nonpositive(lanes.add(m, m), z)  # e^(-2|z|) - 1, in (-1, 0]
    t = lanes.div(lanes.sub(zero, e), lanes.add(lanes.splat(z, 2), e))  # tanh |z|
    return lanes.where_less(z, zero, lanes.sub(zero, t), t)


@inline
def _tanh_backward(delta, a):
    return lanes.mul(delta, lanes.sub(lanes.splat(a, 1), lanes.mul(a, a)))


@inline
def _logistic(z):
    zero = lanes.splat(z, 0)
    one = lanes.splat(z, 1)
    m = lanes.where_less(z, zero, z, lanes.sub(zero, z))  # -|z|
    e = exp_nonpositive(m, z)
    return lanes.div(lanes.where_less(z, zero, e, one), lanes.add(one, e))


@inline
def _logistic_backward(delta, a):
    return lanes.mul(lanes.mul(delta, a), lanes.sub(lanes.splat(a, 1), a))


@inline
def _identity(z):
    return z


@inline
def _identity_backward(delta, a):
    return delta


@inline
def _relu_scalar(z, zero):
    return zero if z < zero else z  # NaN kept


@inline
def _tanh_scalar(z, zero):
    return np.tanh(z)


@inline
def _logistic_scalar(z, zero):
    one = zero + 1
    e = np.exp(-abs(z))
    return (e if z < zero else one) / (one + e)


@inline
def _identity_scalar(z, zero):
    return z


_SCALARS = {Relu: _relu_scalar, Tanh: _tanh_scalar, Logistic: _logistic_scalar, Identity: _identity_scalar}

_ENTRIES = {Relu: (_relu, _relu_backward), Tanh: (_tanh, _tanh_backward), Logistic: (_logistic, _logistic_backward),
            Identity: (_identity, _identity_backward)}


def _class(kind):
    """The class of a kind, or of its Numba type."""
    return kind.instance_class if isinstance(kind, types.NamedTuple) else type(kind)


def _entry(kind):
    """The (f, backward) of a kind, or of its Numba type."""
    return _ENTRIES[_class(kind)]


def activate(kind, z):
    """f(z) for a vector z: the hidden activation `kind`."""
    return _entry(kind)[0](z)


def backward(kind, delta, a):
    """delta · f'(z) for vectors delta and a = f(z), the activation `kind`."""
    return _entry(kind)[1](delta, a)


def activate_scalar(kind, z, zero):
    """f(z) for one value z of the float dtype whose zero is `zero`: the hidden activation `kind`."""
    return _SCALARS[_class(kind)](z, zero)


def moves_zero(kind):
    """Whether f(0) != 0 (LOGISTIC): a layer's padding columns must then be cleared after it."""
    return _entry(kind) is _ENTRIES[Logistic]


@overload(activate)
def _activate_for(kind, z):
    f = _entry(kind)[0]
    return lambda kind, z: f(z)


@overload(backward)
def _backward_for(kind, delta, a):
    f = _entry(kind)[1]
    return lambda kind, delta, a: f(delta, a)


@overload(activate_scalar)
def _activate_scalar_for(kind, z, zero):
    f = _SCALARS[_class(kind)]
    return lambda kind, z, zero: f(z, zero)


@overload(moves_zero)
def _moves_zero_for(kind):
    moves = _entry(kind) is _ENTRIES[Logistic]
    return lambda kind: moves
