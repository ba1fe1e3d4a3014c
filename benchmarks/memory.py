"""Peak memory of whole `scratchnet-fast train` (and predict) runs, loading included: `python benchmarks/memory.py`.

Runs the command line in a fresh process per case and reports its peak resident set size (RSS):
the built-in sample (5,000 digits), the 60,000 MNIST training digits in ../shared/data (gzipped),
and with --million a 1,000,000-image uncompressed IDX file (MNIST's training digits tiled, 784 MB,
written to a temporary folder and deleted after), which is mapped, not read, and trained on where it
lies, then predicted with the model trained on it. The budget of issue 12: the 60,000-digit run may take at most its extra uint8 pixels
(55,000 x 784 bytes) plus 20 MB over the sample's run.
"""
import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data"
MB = 1024 * 1024


def measure(argv):
    """Run `python -m scratchnet_fast <argv>` as this process's only child; print its peak RSS, peak anonymous RSS
    (both in bytes) and its last line of output. Called in a fresh process by `peak_rss`."""
    child = subprocess.Popen([sys.executable, "-m", "scratchnet_fast", *argv], stdout=subprocess.PIPE, text=True)
    status = Path(f"/proc/{child.pid}/status")
    anonymous = 0
    while child.poll() is None:
        try:
            fields = dict(line.split(":", 1) for line in status.read_text().splitlines())
            anonymous = max(anonymous, int(fields["RssAnon"].split()[0]) * 1024)
        except (OSError, KeyError, ValueError):
            pass
        time.sleep(0.01)
    last = (child.stdout.read().strip().splitlines() or [""])[-1]
    if child.returncode != 0:
        sys.exit(f"error: scratchnet-fast {' '.join(argv)} failed")
    print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024, anonymous, last)


def peak_rss(argv):
    """(peak RSS, peak anonymous RSS, last line printed) of `scratchnet-fast <argv>` run alone, in bytes.

    The peak RSS is the kernel's (ru_maxrss); it counts the resident pages of a mapped file, which
    the page cache can drop. The anonymous part, sampled from /proc every 10 ms, is the memory the
    run holds for itself.
    """
    out = subprocess.run([sys.executable, __file__, "--measure", *map(str, argv)], capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr.strip() or f"error: scratchnet-fast {' '.join(map(str, argv))} failed")
    peak, anonymous, last = out.stdout.strip().split(" ", 2)
    return int(peak), int(anonymous), last


def write_tiled_idx(folder, n):
    """MNIST's training digits repeated to n images (and their labels), as uncompressed IDX files in folder."""
    import numpy as np

    from scratchnet_fast.data import load_idx

    images, labels = load_idx(DATA / "train-images-idx3-ubyte.gz", DATA / "train-labels-idx1-ubyte.gz")
    path = folder / "big-images-idx3-ubyte"
    with open(path, "wb") as f:
        f.write(bytes([0, 0, 8, 3]) + b"".join(int(k).to_bytes(4, "big") for k in (n, 28, 28)))
        for start in range(0, n, len(images)):
            f.write(images[:min(len(images), n - start)].tobytes())
    with open(folder / "big-labels-idx1-ubyte", "wb") as f:
        f.write(bytes([0, 0, 8, 1]) + int(n).to_bytes(4, "big"))
        f.write(np.resize(labels, n).tobytes())
    return path


def main():
    if sys.argv[1:2] == ["--measure"]:
        return measure(sys.argv[2:])
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--iterations", type=int, default=20)
    parser.add_argument("--million", action="store_true", help="also train on a 1,000,000-image IDX file")
    args = parser.parse_args()
    if not (DATA / "train-images-idx3-ubyte.gz").is_file():
        sys.exit(f"error: the MNIST training digits are not in {DATA}")
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        train = ["train", "--iterations", args.iterations, "--out", folder / "m.npz", "--quiet"]
        peak_rss(train)  # compiles the kernels into the cache, so no case below pays for compiling
        print(f"peak RSS of `scratchnet-fast train --iterations {args.iterations}` (float64, kernels cached), "
              f"and of it anonymous memory:")
        sample, sample_anonymous, line = peak_rss(train)
        print(f"  built-in sample, 5,000 digits: {sample / MB:7.1f} MB, anonymous {sample_anonymous / MB:7.1f} MB; {line}")
        full, full_anonymous, line = peak_rss(train + ["--data", DATA / "train-images-idx3-ubyte.gz"])
        budget = sample + 55_000 * 784 + 20 * MB
        print(f"  60,000 MNIST digits (.gz):     {full / MB:7.1f} MB, anonymous {full_anonymous / MB:7.1f} MB; {line}")
        print(f"    over the sample: +{(full - sample) / MB:.1f} MB; budget +{(budget - sample) / MB:.1f} MB: "
              f"{'within' if full <= budget else 'OVER'}")
        if args.million:
            path = write_tiled_idx(folder, 1_000_000)
            iterations = max(1, args.iterations // 4)
            million, anonymous, line = peak_rss(["train", "--data", path, "--iterations", iterations, "--out",
                                                 folder / "m.npz", "--quiet"])
            print(f"  1,000,000 digits, {iterations} iterations (IDX, {os.path.getsize(path) / MB:.0f} MB file, mapped): "
                  f"{million / MB:7.1f} MB, anonymous {anonymous / MB:7.1f} MB; {line}")
            million, anonymous, line = peak_rss(["predict", "--model", folder / "m.npz", "--data", path, "--out",
                                                 folder / "p.csv"])
            print(f"  predict on those 1,000,000 digits: {million / MB:7.1f} MB, anonymous {anonymous / MB:7.1f} MB; {line}")


if __name__ == "__main__":
    main()
