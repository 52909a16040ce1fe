"""The GPU check kept honest on the CPU: `run.sh --device cpu --quick` runs every part with tiny
budgets (so the script cannot rot between GPU runs), and refuses what it cannot do."""

from __future__ import annotations

import json
import os
import subprocess

import pytest
import torch

RUN = ["bash", "benchmarks/gpu/run.sh"]


def test_the_quick_check_runs_every_part_on_the_cpu(repo, tmp_path):
    out = tmp_path / "report"
    env = {**os.environ, "TEXTKIT_CACHE": str(tmp_path / "cache")}
    done = subprocess.run(
        [*RUN, str(out), "--device", "cpu", "--quick"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads((out / "report.json").read_text())
    assert report["quick"] and set(report["parts"]) == {
        "tests", "charrnn_speed", "sampling", "poems_budget", "word2vec", "classifier"
    }  # fmt: skip
    for name, part in report["parts"].items():
        assert part["status"] == "ok", (name, part)
    numbers = {name: part["numbers"] for name, part in report["parts"].items()}
    assert numbers["tests"].get("failed", 0) == 0
    if not torch.cuda.is_available():  # every cuda test says why it didn't run
        assert numbers["tests"]["skipped"] >= 7
    assert numbers["charrnn_speed"]["tiny"]["chars_per_s"] > 0
    assert numbers["sampling"]["streams_64_chars_per_s"] > 0
    assert 0 < numbers["poems_budget"]["held_out_loss"] < 5
    assert numbers["word2vec"]["torch_words_per_s"] > 0
    assert 0 <= numbers["classifier"]["mlp"]["test_accuracy"] <= 1
    md = (out / "report.md").read_text()
    assert "torch" in md and "| poems_budget |" in md
    assert (out / "parts.log").stat().st_size > 0


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without a GPU")
def test_without_a_gpu_it_says_so(repo, tmp_path):
    done = subprocess.run([*RUN, str(tmp_path)], cwd=repo, capture_output=True, text=True)
    assert (
        done.returncode == 2 and "no CUDA GPU here" in done.stderr and "--device cpu" in done.stderr
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [([], "usage"), (["out", "--device", "tpu"], "cuda or cpu"), (["out", "--fast"], "unknown option")],
)  # fmt: skip
def test_bad_arguments_are_refused(repo, args, message):
    done = subprocess.run([*RUN, *args], cwd=repo, capture_output=True, text=True)
    assert done.returncode == 2 and message in done.stderr


def test_missing_wheels_name_the_command_that_prepares_them(repo, tmp_path):
    """On a GPU machine without the prepared folder: which command makes it.  (Simulated: the
    GPU probe is answered yes by a stand-in python.)"""
    fake = tmp_path / "python3"
    fake.write_text('#!/bin/sh\ncase "$2" in *cuda*) exit 0;; esac\nexec python3 "$@"\n')
    fake.chmod(0o755)
    if (repo / ".gpu-wheels" / "wheels").is_dir():
        pytest.skip("this checkout has prepared wheels")
    done = subprocess.run(
        [*RUN, str(tmp_path / "out")],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHON": str(fake)},
    )
    assert done.returncode == 2 and "benchmarks/gpu/prepare.sh" in done.stderr
