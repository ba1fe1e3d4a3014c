"""exp for the softmax inside the fused step, without a library call, so that LLVM vectorizes it.

np.exp is a call into libm, one value at a time; this is plain arithmetic on floats and integers,
so a loop over the four images of a tile becomes one vector of them. Range reduction
x = n ln2 + r with |r| <= ln2/2, then exp(r) by its Taylor series to r^13 (truncation below
1e-17 relative) and the power of two built from its bits: within 2 ulp of np.exp in either dtype.
"""
import numpy as np
from llvmlite import ir
from numba import types
from numba.core.extending import intrinsic

from .config import inline

LOG2E = 1.4426950408889634
LN2_HI = 0.693359375  # ln 2 to 9 bits: n * LN2_HI is exact in float32 for the n that occur
LN2_LO = -2.12194440054690583e-4  # the rest of ln 2
LOWEST = -87.0  # e**LOWEST is a normal float32 (and float64): below it, exp returns e**LOWEST
TAYLOR = tuple(1.0 / f for f in (6227020800.0, 479001600.0, 39916800.0, 3628800.0, 362880.0, 40320.0,
                            5040.0, 720.0, 120.0, 24.0, 6.0, 2.0, 1.0, 1.0))  # 1/13! ... 1/0!


@intrinsic
def _power_of_two(typingctx, n, like):
    """2.0**n in like's float type, from its bits; n an integer within the normal exponents."""

    def codegen(context, builder, signature, args):
        width = signature.args[1].bitwidth
        integer = types.int64 if width == 64 else types.int32
        bias, mantissa = (1023, 52) if width == 64 else (127, 23)
        exponent = context.cast(builder, args[0], signature.args[0], integer)
        bits = builder.shl(builder.add(exponent, ir.IntType(width)(bias)), ir.IntType(width)(mantissa))
        return builder.bitcast(bits, context.get_value_type(signature.args[1]))

    return like(n, like), codegen


@inline
def exp_nonpositive(x, T):
    """e**x in float type T for x <= 0, or NaN for NaN; e**-87 (1e-38) for any x below -87.

    The floor changes nothing where it applies: a softmax term beside the largest, which is 1.
    """
    x = max(x, T(LOWEST))
    n = np.floor(x * T(LOG2E) + T(0.5))
    r = (x - n * T(LN2_HI)) - n * T(LN2_LO)
    y = T(TAYLOR[0])
    for c in TAYLOR[1:]:
        y = y * r + T(c)
    return y * _power_of_two(np.int64(n), y)
