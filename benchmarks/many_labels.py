"""Issue 19's bad input "10,000 labels of two texts each": the whole `textkit train-intent`
command's time and peak memory.

    python benchmarks/many_labels.py [--labels 10000] [--classifier centroid]

The set: each label two texts of six words drawn (seeded) from 30,000 made-up words, so
nothing generalises and every label counts.  Printed: wall seconds and the child process's
peak RSS (``getrusage``), and the command's own summary line.  Run from another checkout's
folder (``cd old && python ../main/benchmarks/many_labels.py``) it times that checkout's code.
"""

from __future__ import annotations

import argparse
import csv
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--labels", type=int, default=10_000)
    ap.add_argument("--classifier", help="train-intent's --classifier [its default]")
    args = ap.parse_args()
    rng = random.Random(0)
    words = [f"w{i}" for i in range(30_000)]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "many.csv"
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["text", "label"])
            for k in range(args.labels):
                for _ in range(2):
                    writer.writerow([" ".join(rng.choice(words) for _ in range(6)), f"label{k}"])
        cmd = [sys.executable, "-m", "textkit", "train-intent", str(path), "--name", "many",
               "--models-dir", str(Path(tmp) / "models"), "--no-progress"]  # fmt: skip
        cmd += ["--classifier", args.classifier] if args.classifier else []
        start = time.perf_counter()
        done = subprocess.run(cmd, capture_output=True, text=True)
        seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # KiB on Linux
    said = (done.stdout + done.stderr).splitlines()
    summary = [line for line in said if line.startswith("saved")]
    print(f"{args.labels:,} labels x 2 texts: exit {done.returncode}, {seconds:.1f} s, "
          f"peak RSS {peak:,.0f} MiB")  # fmt: skip
    print(summary[0] if summary else done.stderr[-2000:])


if __name__ == "__main__":
    main()
