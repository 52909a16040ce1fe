"""Start-up time of the commands a user runs most, against the cost of importing torch.

    python benchmarks/startup.py [--models-dir models] [--repeat 5]

Each command runs in a fresh interpreter ``--repeat`` times; the median wall time is printed
beside `python -c "import torch"` measured in the same run, so the ratio is meaningful on a
noisy machine.  `--help`, `models` and `preprocess --show` must not pay for torch.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def median_time(cmd: list[str], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--models-dir", default="models")
    ap.add_argument("--repeat", type=int, default=5)
    args = ap.parse_args()
    textkit = [sys.executable, "-m", "textkit.cli"]
    cases = {
        'python -c "pass"': [sys.executable, "-c", "pass"],
        'python -c "import torch"': [sys.executable, "-c", "import torch"],
        "textkit --help": [*textkit, "--help"],
        "textkit models": [*textkit, "models", "--models-dir", args.models_dir],
        "textkit preprocess corpora/poems.txt --show 1": [
            *textkit,
            "preprocess",
            str(REPO / "corpora" / "poems.txt"),
            "--show",
            "1",
        ],
    }
    results = {name: median_time(cmd, args.repeat) for name, cmd in cases.items()}
    torch_s = results['python -c "import torch"']
    print(f"{'command':50} {'median s':>9} {'/ import torch':>15}")
    for name, seconds in results.items():
        print(f"{name:50} {seconds:9.3f} {seconds / torch_s:15.2f}")


if __name__ == "__main__":
    main()
