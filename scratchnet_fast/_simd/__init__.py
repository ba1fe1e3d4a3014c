"""Vector code for the kernels, written against llvmlite: vectors one register wide (`lanes`), a vector exp (`exp`), prefetch (`prefetch`).

This is code generation, not NumPy-style code: each intrinsic checks the types it takes at
typing and emits LLVM IR, and reviewing it takes a reader of LLVM. May import `_compile` only.
With NUMBA_DISABLE_JIT=1 each intrinsic has a NumPy body instead.
"""
