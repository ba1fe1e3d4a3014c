"""How the kernels are compiled: Numba's options in one place (`options`), and the on-disk cache keyed on every source file (`cache`).

May import Numba and llvmlite only, never another part of the package. Importing it puts the
cache's locators in place (`cache.register`), before any kernel of the package is decorated.
"""
from .cache import register

register()
