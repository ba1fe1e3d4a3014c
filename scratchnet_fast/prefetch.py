"""A software prefetch for jitted code: LLVM's llvm.prefetch, which Numba does not expose."""
from llvmlite import ir
from numba import config, types
from numba.core import cgutils
from numba.core.extending import intrinsic


@intrinsic
def prefetch(typingctx, A, i, k):
    """Ask the CPU to bring the cache line holding A[i, k] into cache; A 2-D, i and k in range.

    A hint only: it never faults and changes no value. The fused step uses it to fetch the next
    tile of images while the current one is in the weight-gradient products, which read only
    cached data and so leave the memory bus idle.
    """

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        array = context.make_array(array_type)(context, builder, args[0])
        pointer = cgutils.get_item_pointer(context, builder, array_type, array, [args[1], args[2]], wraparound=False)
        i32 = ir.IntType(32)
        function = cgutils.get_or_insert_function(
            builder.module, ir.FunctionType(ir.VoidType(), [pointer.type, i32, i32, i32]), "llvm.prefetch.p0"
        )
        read, keep_in_all_levels, data_cache = i32(0), i32(3), i32(1)
        builder.call(function, [pointer, read, keep_in_all_levels, data_cache])
        return context.get_dummy_value()

    return types.void(A, i, k), codegen


if config.DISABLE_JIT:
    def prefetch(A, i, k):  # noqa: F811
        """A hint only: nothing to do when the kernels run as plain Python (NUMBA_DISABLE_JIT=1)."""
