"""One command for the numbers: `python benchmarks/report.py [--quick]`.

Runs the pytest-benchmark suite and prints a markdown table of milliseconds and speedups per group
(our code against the seed's NumPy code, and PyTorch where installed), then the start-up time of a
fresh process with a cold and a warm kernel cache, and the peak memory of training against the seed's.
"""
import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
import textwrap
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent


def run_suite(quick, only, out):
    env = dict(os.environ, SCRATCHNET_BENCH_QUICK="1" if quick else "0")
    command = [sys.executable, "-m", "pytest", str(HERE), "-q", "-n", "0", "-p", "no:cacheprovider",
               f"--benchmark-json={out}", "--benchmark-disable-gc", "--benchmark-min-rounds=5"]
    if only:
        command += ["-k", only]
    if quick:
        command.append("--benchmark-max-time=0.2")
    subprocess.run(command, env=env, check=True, cwd=HERE.parent)
    return json.loads(Path(out).read_text())


def speedup_table(results):
    """Per group: the seed's NumPy code in the same dtype, ours, PyTorch; and ours against the seed's float64.

    The seed computes in float64 (its one_hot is float64 whatever X is), so its float64 time is
    the baseline a user of the seed starts from, for either of our dtypes.
    """
    rows = defaultdict(dict)
    for bench in results["benchmarks"]:
        if not bench["group"].startswith("epoch"):
            rows[bench["group"]][bench["params"]["impl"]] = bench["stats"]["min"] * 1e3
    lines = ["| group | images | dtype | threads | NumPy ms | ours ms | speedup | vs seed float64 | PyTorch ms | vs PyTorch "
             "| ours on uint8 pixels ms | vs seed float64 | ours on the seed's C-ordered X ms |",
             "|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for name, t in sorted(rows.items(), key=lambda kv: [int(p) if p.isdigit() else p for p in kv[0].split(" | ")]):
        seed64 = rows.get(name.replace("float32", "float64"), {}).get("numpy")
        torch, pixels, c_order = t.get("torch"), t.get("uint8"), t.get("c_order")
        cells = name.split(" | ") + [
            f"{t['numpy']:.2f}", f"{t['numba']:.2f}", f"{t['numpy'] / t['numba']:.1f}×",
            f"{seed64 / t['numba']:.1f}×" if seed64 else "",
            f"{torch:.2f}" if torch else "", f"{torch / t['numba']:.1f}×" if torch else "",
            f"{pixels:.2f}" if pixels else "", f"{seed64 / pixels:.1f}×" if pixels and seed64 else "",
            f"{c_order:.2f}" if c_order else ""]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def gemm_peak(dtype, n=2048, repeat=5):
    """GFLOP/s of NumPy's n×n matrix product in dtype (its BLAS, all threads): the machine's GEMM peak, as a yardstick."""
    import time

    import numpy as np

    A, B = (np.random.default_rng(0).random((n, n)).astype(dtype) for _ in range(2))
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        A @ B
        best = min(best, time.perf_counter() - start)
    return 2 * n ** 3 / best / 1e9


def dense_work(sizes, m):
    """FLOPs of one epoch counted dense: forward and weight gradient of every layer, the delta of every layer but the first."""
    products = [a * b for a, b in zip(sizes[:-1], sizes[1:])]
    return 2 * m * (2 * sum(products) + sum(products[1:]))


IMPLS = ("sklearn", "torch", "jax")


def epoch_table(results, peaks):
    """Per group: our epoch's seconds, its dense GFLOP/s and fraction of the run's GEMM peak (`peaks` by dtype), the
    ratios of scikit-learn, PyTorch and JAX to ours, ours on uint8, and each one's test accuracy after its timed epochs."""
    rows = defaultdict(dict)
    for bench in results["benchmarks"]:
        if bench["group"].startswith("epoch"):
            rows[bench["group"]][bench["params"]["impl"]] = (bench["stats"]["min"], bench["extra_info"].get("test_accuracy"))
    lines = ["| network, batch, solver | data | images | dtype | threads | ours s | GFLOP/s | of peak | scikit-learn s | ratio "
             "| PyTorch s | ratio | JAX jitted s | ratio | ours on uint8 s | float / uint8 | test accuracy: ours / scikit-learn / "
             "PyTorch / JAX |",
             "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"]
    for name, t in sorted(rows.items()):
        network, data, m, dtype = name.split(" | ")[:4]
        sizes = [int(n) for n in network.split()[1].rstrip(",").split("-")]
        work = dense_work(sizes, int(m))
        ours = t.get("numba", (None, None))[0]
        rate = work / ours / 1e9 if ours else None
        cells = name.replace("epoch ", "").split(" | ") + [f"{ours:.3f}" if ours else "", f"{rate:.0f}" if ours else "",
                                                           f"{rate / peaks[dtype]:.0%}" if ours else ""]
        for impl in IMPLS:
            other = t.get(impl, (None, None))[0]
            cells += [f"{other:.3f}", f"{other / ours:.2f}×"] if other and ours else ["", ""]
        pixels = t.get("uint8", (None, None))[0]
        cells += [f"{pixels:.3f}", f"{ours / pixels:.2f}×"] if pixels and ours else ["", ""]
        accuracy = [t.get(impl, (None, None))[1] for impl in ("numba",) + IMPLS]
        cells.append(" / ".join(f"{a:.4f}" if a is not None else "-" for a in accuracy))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


STARTUP = textwrap.dedent("""
    import time
    start = time.perf_counter()
    import numpy as np
    import scratchnet_fast as sf
    X = np.random.rand(784, 100); Y = np.random.randint(0, 10, 100)
    sf.gradient_descent(X, Y, 0.1, 1, verbose=False)
    first = time.perf_counter() - start
    sf.gradient_descent(X.astype(np.float32), Y, 0.1, 1, verbose=False)
    print(first, time.perf_counter() - start)
""")


def startup_seconds(cache_dir):
    """Seconds from a fresh interpreter's start to the end of its first float64 step, then of a float32 one."""
    env = dict(os.environ, NUMBA_CACHE_DIR=cache_dir)
    done = subprocess.run([sys.executable, "-c", STARTUP], env=env, check=True, capture_output=True, text=True)
    return [float(v) for v in done.stdout.split()[-2:]]


MEMORY = textwrap.dedent("""
    import resource, sys
    import numpy as np
    sys.path.insert(0, {tests!r})
    m, impl, layout = {m}, sys.argv[1], sys.argv[2]
    if layout == "fortran":
        X = np.random.rand(m, 784).T  # floats, one image per column in memory
    else:  # the seed's own X_train: data_train[1:n] / 255., C-ordered
        X = np.random.randint(0, 256, (784, m)) / 255.0
    Y = np.arange(m) % 10
    if impl == "numpy":
        import reference as ref
        ref.gradient_descent(X[:, :10], Y[:10], 0.1, 1)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        ref.gradient_descent(X, Y, 0.1, 3)
    else:
        import scratchnet_fast as sf
        sf.gradient_descent(X[:, :10], Y[:10], 0.1, 1, verbose=False)
        before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        sf.gradient_descent(X, Y, 0.1, 3, verbose=False)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(before / 1024, after / 1024, X.nbytes / 2**20)
""")


def peak_memory(m, impl, layout):
    code = MEMORY.format(tests=str(HERE.parent / "tests"), m=m)
    done = subprocess.run([sys.executable, "-c", code, impl, layout], check=True, capture_output=True, text=True)
    return [float(v) for v in done.stdout.split()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one small size, short timings: proves the suite runs")
    parser.add_argument("-k", dest="only", help="run only the benchmarks matching this pytest -k expression")
    args = parser.parse_args()
    peaks = {name: gemm_peak(name) for name in ("float32", "float64")}  # the yardstick, in the same run
    with tempfile.TemporaryDirectory() as tmp:
        results = run_suite(args.quick, args.only, os.path.join(tmp, "bench.json"))
        cold = startup_seconds(os.path.join(tmp, "numba-cache"))
        warm = startup_seconds(os.path.join(tmp, "numba-cache"))
    machine = results["machine_info"]
    print(f"\nMachine: {machine['cpu']['brand_raw']}, {os.cpu_count()} cores, Python {platform.python_version()}, "
          f"NumPy {__import__('numpy').__version__}, Numba {__import__('numba').__version__}\n")
    print(f"NumPy's 2048×2048 GEMM on this machine: {peaks['float32']:.0f} GFLOP/s float32, {peaks['float64']:.0f} "
          f"GFLOP/s float64 (the 'of peak' column's yardstick; epochs counted as dense work)\n")
    for table in (speedup_table(results), epoch_table(results, peaks)):
        if table.count("\n") > 1:  # a header and at least one row
            print(table + "\n")
    print(f"\nStart-up, fresh process to the end of its first training step (float64; then also float32): "
          f"cold cache {cold[0]:.2f} s ({cold[1]:.2f} s), warm cache {warm[0]:.2f} s ({warm[1]:.2f} s)")
    m = 1000 if args.quick else 41000
    for layout, what in (("fortran", "Fortran-ordered random floats"), ("c", "the seed's C-ordered pixels / 255")):
        for impl in ("numpy", "numba"):
            before, after, data = peak_memory(m, impl, layout)
            print(f"Peak RSS training on {m} float64 images ({what}, {data:.0f} MB), {impl}: {after:.0f} MB "
                  f"({after - before:+.0f} MB over the process before training)")


if __name__ == "__main__":
    main()
