"""The hidden layers' activation, in one place: the trainers take f and its derivative from here and nowhere else.

An entry is a kind (`RELU`, the only one yet) with two vector functions:
- `activate(kind, z)`: a = f(z), lane by lane;
- `backward(kind, delta, a)`: delta · f'(z), written from the activation a = f(z), not from z, as
  scikit-learn's derivatives are, so that a trainer needs to keep only its activations.
For ReLU: a = max(z, 0) (NaN kept), and delta where a > 0 (where z > 0), else 0. The fused step
(`fused`) and the mini-batch stages (`dense`) call these for every hidden layer; a new entry is a
new kind here and its branch in both.
"""
from .._compile.options import inline
from .._simd import lanes

RELU = 0


@inline
def activate(kind, z):
    """f(z) for a vector z: the hidden activation `kind` (RELU: max(z, 0), NaN kept)."""
    zero = lanes.splat(z, 0)
    return lanes.where_less(z, zero, zero, z)


@inline
def backward(kind, delta, a):
    """delta · f'(z) for vectors delta and a = f(z) (RELU: delta where a > 0, else 0)."""
    zero = lanes.splat(delta, 0)
    return lanes.where_less(zero, a, delta, zero)
