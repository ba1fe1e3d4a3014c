"""Numba's on-disk kernel cache, keyed on every source file of this package, with a fallback folder.

Numba keys a cached kernel on its own source file only. Our kernels inline code and constants
from other modules (config, lanes, exp, prefetch, layout): after one of those changes, the cached
kernel would run the old code, which has crashed (Python sizes buffers by the new constants while
the kernel writes by the old). Here each of Numba's locators is extended, for this package's
files only, so that the stamp it stores beside a kernel includes a digest of all the package's
sources: any edit, `git pull` or upgrade recompiles every kernel once.

When neither the package folder, nor NUMBA_CACHE_DIR, nor the user's cache folder is writable,
kernels are cached in a per-user folder under the system's temporary directory, with one warning,
instead of failing at import.

A cache entry of ours that cannot be read (a truncated or garbled index or data file: Numba
raises EOFError or UnpicklingError, on every later run) counts as a miss: the kernel is compiled
and saved over it. One that cannot be written (a full disk) is skipped with one warning: the
kernel runs uncached. Other packages' cache entries keep Numba's behaviour.
"""
import functools
import hashlib
import os
import tempfile
import warnings
from pathlib import Path

from numba.core import caching

PACKAGE = Path(__file__).resolve().parents[1]  # scratchnet_fast, this file being in its _compile folder


@functools.lru_cache(maxsize=None)
def package_digest():
    """SHA-256 over the relative path and bytes of every .py file under the package, in path order."""
    digest = hashlib.sha256()
    for path in sorted(PACKAGE.rglob("*.py")):
        digest.update(path.relative_to(PACKAGE).as_posix().encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()


def _in_package(py_file):
    try:
        return Path(py_file).resolve().is_relative_to(PACKAGE)
    except OSError:
        return False


class _PackageStamp:
    """Mixin for a Numba locator: serves this package's files only, stamped with the package digest."""

    @classmethod
    def from_function(cls, py_func, py_file):
        if not _in_package(py_file):
            return None
        return super().from_function(py_func, py_file)

    def get_source_stamp(self):
        return super().get_source_stamp(), package_digest()


def _numba_locator(name):
    """Numba's locator class `name`: public since Numba 0.60, with a leading underscore before."""
    return getattr(caching, name, None) or getattr(caching, "_" + name)


class _UserProvided(_PackageStamp, _numba_locator("UserProvidedCacheLocator")):
    """NUMBA_CACHE_DIR, when set."""


class _InTree(_PackageStamp, _numba_locator("InTreeCacheLocator")):
    """The package's own __pycache__."""


class _UserWide(_PackageStamp, _numba_locator("UserWideCacheLocator")):
    """The user's cache folder (~/.cache/numba)."""


class _TemporaryFolder(_PackageStamp, _numba_locator("InTreeCacheLocator")):
    """A per-user folder under the system's temporary directory: the last resort, announced once."""

    def __init__(self, py_func, py_file):
        super().__init__(py_func, py_file)
        user = os.getuid() if hasattr(os, "getuid") else os.environ.get("USERNAME", "user")
        self._cache_path = os.path.join(tempfile.gettempdir(), f"scratchnet_fast-kernels-{user}")

    @classmethod
    def from_function(cls, py_func, py_file):
        locator = super().from_function(py_func, py_file)
        if locator is not None:
            _warn_once(locator.get_cache_path())
        return locator


@functools.lru_cache(maxsize=None)
def _warn_once(path):
    warnings.warn(
        f"no writable cache folder in the package, NUMBA_CACHE_DIR or the home folder: compiled kernels are "
        f"cached in {path}", RuntimeWarning, stacklevel=2)


@functools.lru_cache(maxsize=None)
def _warn_unsaved(path, reason):
    warnings.warn(f"compiled kernels cannot be saved in {path} ({reason}): they run uncached, compiled again in the "
                  f"next process", RuntimeWarning, stacklevel=2)


def _ours(cache_file):
    """Whether a Numba IndexDataCacheFile belongs to one of this package's kernels: its stamp carries our digest."""
    stamp = cache_file._source_stamp
    return isinstance(stamp, tuple) and len(stamp) == 2 and stamp[1] == package_digest()


_NUMBA = {name: getattr(caching.IndexDataCacheFile, name) for name in ("_load_index", "load", "save")}


def _load_index(self):
    try:
        return _NUMBA["_load_index"](self)
    except Exception:  # a truncated or garbled index: EOFError, UnpicklingError, ValueError, ...
        if not _ours(self):
            raise
        return {}  # as an empty cache: the entries are compiled again and the index written over


def _load(self, key):
    try:
        return _NUMBA["load"](self, key)
    except Exception:  # a truncated or garbled data file
        if not _ours(self):
            raise
        return None  # a miss: compiled again and saved over it


def _save(self, key, data):
    try:
        _NUMBA["save"](self, key, data)
    except OSError as error:  # no space left, a folder turned read-only, ...
        if not _ours(self):
            raise
        _warn_unsaved(self._cache_path, error.strerror or str(error))


LOCATORS = [_UserProvided, _InTree, _UserWide, _TemporaryFolder]


def register():
    """Put this package's locators before Numba's own, and make our unreadable or unwritable entries misses: idempotent,
    and other packages' kernels are untouched."""
    current = caching.CacheImpl._locator_classes
    caching.CacheImpl._locator_classes = LOCATORS + [c for c in current if c not in LOCATORS]
    caching.IndexDataCacheFile._load_index = _load_index
    caching.IndexDataCacheFile.load = _load
    caching.IndexDataCacheFile.save = _save
