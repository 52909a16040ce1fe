"""The GPU check: every CUDA path textkit claims, and its numbers, in one run under 8 minutes.

    python benchmarks/gpu/check.py OUTDIR [--device cuda|cpu] [--quick]

(run.sh calls this after installing the prepared wheels.)  Each part of ``parts.py`` runs in its
own process under its own time cap: a part that hangs or overruns is recorded as such and the
rest go on.  OUTDIR gets report.md (for people: device, versions, every part's numbers against
its aim), report.json (the same, for tools) and parts.log (every part's output).
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]
# part -> (time cap in seconds on the GPU, with --quick, what it shows); the caps add up to less
# than 8 minutes with the start-up of each process
PARTS = {
    "tests": (120, 40, "cuda-marked tests: training with bf16 and forced fp16, resume, CPU "
                       "sampling, classifiers, word2vec, serve, torchrun over NCCL"),
    "charrnn_speed": (45, 20, "char-RNN training characters/s (aim >= 1M/s for medium, 3x512)"),
    "sampling": (20, 15, "sampling characters/s, 1 and 64 streams"),
    "poems_budget": (200, 20, "poems held-out loss after 170 s, GPU default preset (aim <= 1.50; "
                              "the 2-core CPU reaches 1.618 in 300 s)"),
    "word2vec": (45, 20, "word2vec torch backend vs gensim words/s (aim >= 4x)"),
    "classifier": (40, 20, "intent classifier training time on BANKING77"),
}  # fmt: skip


def versions(device: str) -> dict:
    import torch

    info = {
        "python": platform.python_version(),
        "torch": torch.__version__,
        "cuda": torch.version.cuda,
        "cudnn": torch.backends.cudnn.version() if torch.backends.cudnn.is_available() else None,
        "device": torch.cuda.get_device_name(0)
        if device == "cuda"
        else f"CPU ({platform.processor() or platform.machine()})",
        "cpu_threads": torch.get_num_threads(),
    }
    for name in ("textkit", "gensim", "nltk", "starlette", "uvicorn"):
        try:
            info[name] = __import__(name).__version__
        except (ImportError, AttributeError):
            info[name] = None
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True
    )
    info["commit"] = commit.stdout.strip() or None
    return info


def run_part(name: str, device: str, quick: bool, out: Path, log) -> dict:
    cap = PARTS[name][1 if quick else 0]
    result_file = out / f".{name}.json"
    cmd = [
        sys.executable,
        str(HERE / "parts.py"),
        name,
        "--device",
        device,
        "--json",
        str(result_file),
    ]
    cmd += ["--quick"] if quick else []
    log.write(f"\n===== {name} (cap {cap} s): {' '.join(cmd)}\n")
    log.flush()
    start = time.monotonic()
    try:
        done = subprocess.run(cmd, cwd=REPO, stdout=log, stderr=subprocess.STDOUT, timeout=cap)
        status = "ok" if done.returncode == 0 else f"failed (exit {done.returncode})"
    except subprocess.TimeoutExpired:
        status = f"over its {cap} s cap: stopped"
    seconds = round(time.monotonic() - start, 1)
    numbers = json.loads(result_file.read_text()) if result_file.is_file() else {}
    result_file.unlink(missing_ok=True)
    if name == "tests" and numbers.get("failed"):
        status = "failed"
    print(f"{name:14} {status:28} {seconds:6.1f} s  {json.dumps(numbers)[:140]}", flush=True)
    return {"status": status, "seconds": seconds, "cap_s": cap, "numbers": numbers}


def report_md(header: dict, results: dict, quick: bool) -> str:
    lines = [f"# textkit GPU check{' (quick)' if quick else ''}", ""]
    lines += [f"- **{k}**: {v}" for k, v in header.items()]
    lines += ["", "| part | what | status | seconds | numbers |", "|---|---|---|---|---|"]
    for name, r in results.items():
        shown = ", ".join(f"{k} {v}" for k, v in _flat(r["numbers"]).items() if k != "failures")
        lines.append(f"| {name} | {PARTS[name][2]} | {r['status']} | {r['seconds']} | {shown} |")
    failures = results.get("tests", {}).get("numbers", {}).get("failures")
    if failures:
        lines += ["", "Failed tests: " + ", ".join(failures)]
    return "\n".join(lines) + "\n"


def _flat(numbers: dict, prefix: str = "") -> dict:
    out = {}
    for k, v in numbers.items():
        if isinstance(v, dict):
            out.update(_flat(v, f"{prefix}{k}."))
        else:
            out[prefix + k] = v
    return out


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("out", type=Path)
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda")
    ap.add_argument("--quick", action="store_true", help="tiny budgets: the script's own check")
    ap.add_argument("--only", nargs="+", choices=sorted(PARTS), help="run just these parts")
    args = ap.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    header = {"started": time.strftime("%Y-%m-%d %H:%M:%S %Z"), **versions(args.device)}
    print(
        f"GPU check on {header['device']}: torch {header['torch']}, CUDA {header['cuda']}",
        flush=True,
    )
    results = {}
    with open(args.out / "parts.log", "w", encoding="utf-8") as log:
        for name in args.only or PARTS:
            results[name] = run_part(name, args.device, args.quick, args.out, log)
    report = {"header": header, "quick": args.quick, "parts": results}
    (args.out / "report.json").write_text(json.dumps(report, indent=2))
    (args.out / "report.md").write_text(report_md(header, results, args.quick))
    print(f"wrote {args.out / 'report.md'}, report.json and parts.log")
    sys.exit(0 if all(r["status"] == "ok" for r in results.values()) else 1)


if __name__ == "__main__":
    main()
