"""The jitted code: per-step kernels, the fused full-batch step, the mini-batch stages and epoch, and their parts.

Kernels trust their arguments (layout, dtype, ranges): the API checks and converts before it
calls them. One image per row throughout. Every reduction over images is summed in an order fixed
by the shapes alone (`chunks`), so the thread count changes no bit. May import `_compile` and
`_simd`, and each other; never `_train` or the API.
"""
