"""How the kernels are compiled: Numba's options in one place (`options`), the on-disk cache keyed on every source file (`cache`), and the optimizer's level for our kernels (`level`).

May import Numba and llvmlite only, never another part of the package. Importing it puts the
cache's locators in place (`cache.register`), before any kernel of the package is decorated, and
the listener that compiles our kernels at -O2 (`level.register`).
"""
from . import cache, level

cache.register()
level.register()
