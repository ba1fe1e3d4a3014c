"""exp (and expm1) for the softmax inside the fused step and the hidden activations, on vectors of lanes instead of
one libm call per value.

Range reduction x = n ln2 + r with |r| <= ln2/2, exp(r) by its Taylor series to r^13 (truncation
below 1e-17 relative), and 2**n built from its bits: within 1 ulp of the exact value in either
dtype (1.5 ulp in float64 on a CPU without FMA, where each multiply-add rounds twice).
"""
from .._compile.options import inline
from . import lanes

LOG2E = 1.4426950408889634
LN2_HI = 0.693359375  # ln 2 to 9 bits: n * LN2_HI is exact in float32 for the n that occur
LN2_LO = -2.12194440054690583e-4  # the rest of ln 2
LOWEST = -87.0  # e**LOWEST is a normal float32 (and float64): below it, exp returns e**LOWEST
TAYLOR = tuple(1.0 / f for f in (6227020800.0, 479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0,
                                 5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0))  # 1/13! ... 1/0!


@inline
def exp_nonpositive(x, A):
    """e**x lane by lane for Lanes x <= 0 of A's dtype; NaN for NaN, and e**-87 (1e-38) below -87.

    The floor changes nothing where it applies: a softmax term beside the largest, which is 1.
    """
    lowest = lanes.splat(A, LOWEST)
    x = lanes.where_less(x, lowest, lowest, x)
    n = lanes.floor(lanes.fma(lanes.splat(A, 0.5), LOG2E, x))
    r = lanes.fma(lanes.fma(x, -LN2_HI, n), -LN2_LO, n)
    y = lanes.splat(A, TAYLOR[0])
    for c in TAYLOR[1:]:
        y = lanes.fma(lanes.splat(A, c), y, r)
    return lanes.ldexp(y, n)


@inline
def expm1_nonpositive(x, A):
    """e**x - 1 lane by lane for Lanes x <= 0 of A's dtype, without the cancellation of exp(x) - 1 near 0; NaN for NaN.

    The same reduction and series as `exp_nonpositive`, the series' constant term left out: with x = n ln2 + r,
    e**x - 1 = 2**n (e**r - 1) + (2**n - 1), the first term summed from r alone.
    """
    lowest = lanes.splat(A, LOWEST)
    x = lanes.where_less(x, lowest, lowest, x)
    n = lanes.floor(lanes.fma(lanes.splat(A, 0.5), LOG2E, x))
    r = lanes.fma(lanes.fma(x, -LN2_HI, n), -LN2_LO, n)
    y = lanes.splat(A, TAYLOR[0])
    for c in TAYLOR[1:-1]:
        y = lanes.fma(lanes.splat(A, c), y, r)
    one = lanes.splat(A, 1)
    return lanes.add(lanes.ldexp(lanes.mul(y, r), n), lanes.sub(lanes.ldexp(one, n), one))
