"""The kernel cache follows every source file of the package, and import works without a writable folder.

Each test runs a copy of the package in fresh processes, with two small modules of its own added:
a cached kernel that inlines a constant from another module, as the fused step inlines lanes, exp
and the compile options.
"""
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import scratchnet_fast

HELPER = "from ._compile.options import inline\n\nOFFSET = {offset}\n\n\n@inline\ndef shifted(x):\n    return x + OFFSET\n"
PROBE = "from ._compile.options import helper\nfrom ._probe_helper import shifted\n\n\n@helper\ndef probe(x):\n    return shifted(x)\n"
RUN = "from scratchnet_fast._probe import probe; print(probe(1.0))"


@pytest.fixture
def package(tmp_path):
    """A copy of the package, without caches, in tmp_path/site, plus the probe modules."""
    copy = tmp_path / "site" / "scratchnet_fast"
    shutil.copytree(Path(scratchnet_fast.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    (copy / "_probe_helper.py").write_text(HELPER.format(offset=1.0))
    (copy / "_probe.py").write_text(PROBE)
    return copy


def run(package, **env):
    """Run the probe on the package copy; returns (printed value, Numba's cache log)."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("NUMBA_")}
    environment.update(PYTHONPATH=str(package.parent), NUMBA_DEBUG_CACHE="1", **env)
    result = subprocess.run([sys.executable, "-c", RUN], env=environment, cwd=package.parent,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    return float(lines[-1]), "\n".join(lines[:-1]) + result.stderr


def test_editing_an_inlined_module_recompiles_the_kernels_that_inline_it(package):
    value, log = run(package)
    assert value == 2.0 and "data saved" in log
    value, log = run(package)
    assert value == 2.0 and "data loaded" in log, "a warm cache must be used"

    (package / "_probe_helper.py").write_text(HELPER.format(offset=5.0))
    value, log = run(package)
    assert "data loaded" not in log
    shutil.rmtree(package / "__pycache__")
    fresh, _ = run(package)
    assert value == fresh == 6.0


def test_editing_any_module_of_the_package_invalidates_the_cache(package):
    run(package)
    with open(package / "_layout.py", "a") as file:
        file.write("\n# edited\n")
    _, log = run(package)
    assert "data loaded" not in log and "data saved" in log


def test_without_a_writable_folder_kernels_are_cached_in_the_temporary_folder(package, tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    (package / "__pycache__").write_text("")  # the package folder's cache cannot be created
    temporary = tmp_path / "tmp"
    temporary.mkdir()
    env = dict(NUMBA_CACHE_DIR=str(blocker / "cache"), HOME=str(blocker), XDG_CACHE_HOME=str(blocker / "cache"),
               TMPDIR=str(temporary))
    value, log = run(package, **env)
    assert value == 2.0
    assert log.count("no writable cache folder") == 1 and str(temporary) in log
    assert list(temporary.glob("scratchnet_fast-kernels-*/_probe.probe-*.nbi"))
    _, log = run(package, **env)
    assert "data loaded" in log


@pytest.mark.parametrize("damage", ["truncated index", "garbled index", "halved data"])
def test_an_unreadable_cache_entry_is_compiled_again_and_saved_over(package, damage):
    """A truncated or garbled .nbi, or half a .nbc, made every later run fail (EOFError, UnpicklingError) until the
    cache was deleted by hand: it is a miss."""
    run(package)
    (index,) = (package / "__pycache__").glob("_probe.probe-*.nbi")
    (data,) = (package / "__pycache__").glob("_probe.probe-*.nbc")
    if damage == "truncated index":
        index.write_bytes(index.read_bytes()[:7])
    elif damage == "garbled index":
        index.write_bytes(index.read_bytes()[:40] + b"\x80garbage" * 20)
    else:
        data.write_bytes(data.read_bytes()[:data.stat().st_size // 2])
    value, log = run(package)
    assert value == 2.0 and "data saved" in log
    value, log = run(package)
    assert value == 2.0 and "data loaded" in log


def test_a_cache_entry_that_cannot_be_written_runs_uncached_with_one_warning(package):
    """A write that fails (a full disk, here a folder where the data file goes) warns once; the kernel runs."""
    run(package)
    for path in (package / "__pycache__").glob("_probe.probe-*"):
        name = path.name
        path.unlink()
        if name.endswith(".nbc"):
            (package / "__pycache__" / name).mkdir()  # os.replace onto a folder fails
    value, log = run(package)
    assert value == 2.0
    assert log.count("cannot be saved") == 1
