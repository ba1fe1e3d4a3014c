"""Memory for the kernels: arrays that begin at a chosen offset within a cache line."""
import numpy as np

LINE = 64  # bytes in a cache line


def empty_at(shape, dtype, offset=0):
    """An uninitialised C-contiguous array whose data begins `offset` bytes past a cache-line boundary.

    The fused step loads X a cache line at a time; buffers it reads and writes alongside X (the
    weights, the gradients) begin at X's own offset, so that their lines line up with X's.
    """
    dtype = np.dtype(dtype)
    size = int(np.prod(shape)) * dtype.itemsize
    buffer = np.empty(size + LINE, np.uint8)
    start = (offset - buffer.ctypes.data) % LINE
    return buffer[start:start + size].view(dtype).reshape(shape)
