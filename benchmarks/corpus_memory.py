"""Peak memory of preparing a corpus for char-RNN training, per character of text.

    python benchmarks/corpus_memory.py ../shared/data/poems/public_domain_poems.txt \
        --times 1 5 15 [--compare-with /path/to/other/checkout]

For each size (the corpus concatenated N times: real text, growing), runs
`train-charrnn --preset tiny --max-steps 1` in a fresh process and reads its peak RSS
(getrusage of the child).  The slope between sizes is the memory each extra character costs:
fixed costs (interpreter, torch, the model) cancel out.  With --compare-with, the same runs use
another checkout's textkit (e.g. an older commit in a git worktree), side by side.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def peak_rss(code: Path, corpus: Path, workdir: Path) -> int:
    """Peak resident memory (bytes) of one training run using the textkit in ``code``."""
    env = {
        **os.environ,
        "PYTHONPATH": str(code),
        "OMP_NUM_THREADS": "1",
        "TEXTKIT_CACHE": str(workdir / "cache"),
    }
    script = (
        "import resource, sys; from textkit.cli import main\n"
        "try:\n    main(sys.argv[1:], standalone_mode=False)\n"
        "finally:\n    print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
    )
    args = [
        "train-charrnn",
        str(corpus),
        "--preset",
        "tiny",
        "--max-steps",
        "1",
        "--eval-every",
        "1",
        "--no-progress",
        "--models-dir",
        str(workdir / "models"),
        "--name",
        "m",
        "--overwrite",
    ]
    done = subprocess.run(
        [sys.executable, "-c", script, *args], env=env, capture_output=True, text=True, cwd=workdir
    )
    if done.returncode != 0:
        raise SystemExit(done.stderr)
    return int(done.stderr.strip().splitlines()[-1]) * 1024  # ru_maxrss is in KiB on Linux


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("corpus", type=Path)
    ap.add_argument("--times", type=int, nargs="+", default=[1, 5, 15])
    ap.add_argument("--compare-with", type=Path, help="another checkout to measure beside this one")
    args = ap.parse_args()
    text = args.corpus.read_text(encoding="utf-8")
    codes = {"this checkout": REPO}
    if args.compare_with:
        codes[f"{args.compare_with}"] = args.compare_with.resolve()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        sizes = {}
        for n in args.times:
            path = tmp / f"x{n}.txt"
            path.write_text(text * n, encoding="utf-8")
            sizes[n] = len(text) * n
        print(f"corpus {args.corpus} ({len(text):,} chars) x {args.times}")
        print(
            f"{'code':40} "
            + " ".join(f"{f'x{n} MB':>10}" for n in args.times)
            + f" {'bytes/char':>11}"
        )
        for name, code in codes.items():
            rss = {n: peak_rss(code, tmp / f"x{n}.txt", tmp) for n in args.times}
            lo, hi = min(args.times), max(args.times)
            slope = (rss[hi] - rss[lo]) / (sizes[hi] - sizes[lo])
            print(
                f"{name:40} "
                + " ".join(f"{rss[n] / 2**20:10.0f}" for n in args.times)
                + f" {slope:11.1f}"
            )


if __name__ == "__main__":
    main()
