"""The command line as a user types it: defaults, every bad input, help text."""

import hashlib
import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

TINY = [
    "--preset",
    "tiny",
    "--max-steps",
    "40",
    "--eval-every",
    "20",
    "--lr",
    "0.01",
    "--no-progress",
]


def snapshot(folder: Path) -> dict:
    return {
        p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    }


def test_train_then_generate_with_no_arguments(workdir, run):
    r = run("train-charrnn", "poems.txt", *TINY)
    assert r.exit_code == 0, r.stderr
    folder = workdir / "models" / "poems"
    for name in ("config.json", "model.safetensors", "metrics.jsonl", "loss.png", "train_state.pt"):
        assert (folder / name).is_file()
    assert json.loads((folder / "config.json").read_text())["kind"] == "charrnn"
    r = run("generate", "--temperature", "0.7", "--length", "120", "--seed", "1")
    assert r.exit_code == 0 and len(r.stdout) >= 120
    # a second run never overwrites the first; generate then uses the newest
    assert run("train-charrnn", "poems.txt", *TINY, "--cell", "gru").exit_code == 0
    assert (workdir / "models" / "poems-2").is_dir()
    cfg = json.loads((workdir / "models" / "poems-2" / "config.json").read_text())
    assert cfg["model"]["cell"] == "gru"
    # --overwrite replaces a run completely: no curve mixes two runs
    assert (
        run("train-charrnn", "poems.txt", *TINY, "--name", "poems-2", "--overwrite").exit_code == 0
    )
    steps = [
        json.loads(x)["step"]
        for x in (workdir / "models" / "poems-2" / "metrics.jsonl").read_text().splitlines()
    ]
    assert steps == [20, 40]
    listing = run("models").stdout
    assert "models/poems-2" in listing and "charrnn" in listing


def test_markov_stdin_sweep_output_and_compare(workdir, sonnets, run):
    r = run("train-charrnn", "-", "--cell", "markov", "--order", "3", "--name", "mk", input=sonnets)
    assert r.exit_code == 0, r.stderr
    r = run(
        "generate",
        "--model",
        "mk",
        "--temperatures",
        "0.2,1.0",
        "-n",
        "80",
        "--seed",
        "2",
        "--output",
        "out.txt",
    )
    assert r.exit_code == 0 and r.stdout == ""
    text = Path("out.txt").read_text()
    assert "temperature 0.2" in text and "temperature 1" in text
    assert run("train-charrnn", "poems.txt", *TINY).exit_code == 0
    r = run("compare", "models/poems", "models/mk", "-o", "cmp.png")
    assert r.exit_code == 0 and Path("cmp.png").read_bytes()[:4] == b"\x89PNG"


def test_generate_options_from_the_command_line(workdir, run):
    assert run("train-charrnn", "poems.txt", *TINY).exit_code == 0
    greedy = run("generate", "--argmax", "-n", "60").stdout
    assert run("generate", "--temperature", "0", "-n", "60").stdout == greedy
    r = run(
        "generate",
        "-s",
        "Shall I",
        "--preseed",
        "auto",
        "--stop-at",
        r"\n",
        "-n",
        "300",
        "--seed",
        "3",
    )
    assert r.stdout.startswith("Shall I") and r.stdout.count("\n") == 1
    r = run(
        "generate",
        "--num-samples",
        "3",
        "-n",
        "200",
        "--check-original",
        "10",
        "--copied",
        "drop",
        "--seed",
        "1",
    )
    assert r.exit_code == 0 and r.stdout.count("--- sample") == 3
    assert r.stderr.count("novel") == 3 and "[copied]" not in r.stdout
    r = run("generate", "-n", "200", "--check-original", "4", "--argmax")
    assert "[copied]" in r.stdout  # greedy text repeats common 4-character runs


def test_resume_from_the_command_line(workdir, run):
    assert run("train-charrnn", "poems.txt", *TINY).exit_code == 0
    r = run("train-charrnn", "poems.txt", "--resume", "--max-steps", "60", "--no-progress")
    assert r.exit_code == 0, r.stderr
    assert "from step 40" in r.stderr
    steps = [
        json.loads(x)["step"] for x in Path("models/poems/metrics.jsonl").read_text().splitlines()
    ]
    assert steps == [20, 40, 60]


def _bad_cases(workdir: Path) -> list[tuple[list[str], str]]:
    Path("empty.txt").write_text("")
    Path("binary.bin").write_bytes(bytes(range(256)) * 4)
    Path("latin1.txt").write_bytes("Ma fille était là\n".encode("latin-1") * 50)
    Path("short.txt").write_text("Too short.\n")
    Path("blocker").write_text("a file where a folder should be")
    other = workdir / "models" / "intent-model"
    other.mkdir(parents=True)
    (other / "config.json").write_text(json.dumps({"kind": "intent", "format_version": 1}))
    broken = workdir / "models" / "broken"
    broken.mkdir()
    for name in ("config.json", "corpus.txt.gz"):
        (broken / name).write_bytes((workdir / "models" / "poems" / name).read_bytes())
    (broken / "model.safetensors").write_bytes(
        (workdir / "models" / "poems" / "model.safetensors").read_bytes()[:500]
    )
    gen = ["generate", "--model", "models/poems"]
    return [
        (["train-charrnn", "missing.txt"], "no such file: missing.txt"),
        (["train-charrnn", "empty.txt"], "empty.txt is empty"),
        (["train-charrnn", "binary.bin"], "binary"),
        (["train-charrnn", "latin1.txt"], "not valid utf-8"),
        (["train-charrnn", "short.txt"], "too short to train on"),
        (["train-charrnn", "latin1.txt", "--encoding", "latin-1", "--resume"], "nothing to resume"),
        (
            ["train-charrnn", "poems.txt", "--resume", "--cell", "markov"],
            "--resume applies to neural models",
        ),
        (["train-charrnn", "poems.txt", "--cell", "transformer"], "Invalid value for '--cell'"),
        (["train-charrnn", "poems.txt", "--optimizer", "lbfgs"], "Invalid value for '--optimizer'"),
        (["train-charrnn", "poems.txt", "--bogus"], "no such option '--bogus'"),
        (["train-charrnn", "poems.txt", "--hidden", "0"], "Invalid value for '--hidden'"),
        (["train-charrnn", "poems.txt", "--lr", "nan"], "Invalid value for '--lr'"),
        (["train-charrnn", "poems.txt", "--clip", "inf"], "Invalid value for '--clip'"),
        (["train-charrnn", "poems.txt", "--seed", "1" * 23], "Invalid value for '--seed'"),
        (["train-charrnn", "poems.txt", "--time-budget", "soon"], "--time-budget"),
        (["train-charrnn", "poems.txt", "--device", "tpu"], "unknown device"),
        (["train-charrnn", "poems.txt", "--models-dir", "blocker/models", *TINY], "cannot write"),
        ([*gen, "--temperature", "-1"], "'--temperature'"),
        ([*gen, "--top-p", "0"], "Invalid value for '--top-p'"),
        ([*gen, "--top-p", "1.5"], "Invalid value for '--top-p'"),
        ([*gen, "--temperatures", ","], "Invalid value for '--temperatures'"),
        ([*gen, "--stop-at", ""], "Invalid value for '--stop-at'"),
        ([*gen, "--temperatures", "0.5,hot"], "--temperatures"),
        ([*gen, "--seed-text", "☃☃東京"], "no character the model knows"),
        (["generate", "--models-dir", "nowhere"], "no trained model"),
        (["generate", "--model", "models/intent-model"], "holds a model of kind 'intent'"),
        (["generate", "--model", "models/broken"], "corrupt or truncated"),
        (["generate", "--model", "models/does-not-exist"], "no model at"),
        ([*gen, "--output", "blocker/out.txt"], "cannot write"),
    ]


def test_every_bad_input_is_one_clear_line_and_changes_nothing(workdir, run):
    assert run("train-charrnn", "poems.txt", *TINY).exit_code == 0
    cases = _bad_cases(workdir)
    before = snapshot(workdir / "models")
    for args, message in cases:
        r = run(*args)
        assert r.exit_code in (1, 2), (args, r.exit_code, r.stderr)
        assert message.lower() in r.stderr.lower(), (args, r.stderr)
        assert "Traceback" not in r.stderr
        error_lines = [ln for ln in r.stderr.splitlines() if ln.startswith("Error")]
        assert len(error_lines) == 1, r.stderr
    assert snapshot(workdir / "models") == before
    assert sorted(p.name for p in (workdir / "models").iterdir()) == [
        "broken",
        "intent-model",
        "poems",
    ]


def test_closed_pipe_and_ctrl_c_end_generate_quietly(workdir, run):
    import signal

    assert run("train-charrnn", "poems.txt", *TINY).exit_code == 0
    cmd = [sys.executable, str(REPO / "cli.py"), "generate", "-n", "1000000"]
    head = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir)
    head.stdout.read(100)  # `textkit generate | head -c 100`
    head.stdout.close()
    err = head.stderr.read().decode()
    assert head.wait(timeout=60) == 0 and "Traceback" not in err, err
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=workdir)
    proc.stdout.read(100)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert (
        proc.returncode == 130 and "interrupted" in err.decode() and "Traceback" not in err.decode()
    )


def test_auto_preset_follows_corpus_size_and_device(workdir, run):
    import torch

    from textkit.charrnn import PRESETS, choose_preset

    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert choose_preset(94_039, cpu) == choose_preset(94_039, gpu) == "small"
    assert choose_preset(3_317_789, cpu) == "wide" and choose_preset(3_317_789, gpu) == "medium"
    r = run("train-charrnn", "poems.txt", "--max-steps", "2", "--eval-every", "1", "--no-progress")
    assert "(small preset)" in r.stderr
    cfg = json.loads(Path("models/poems/config.json").read_text())
    assert (
        cfg["model"]["hidden"] == PRESETS["small"]["hidden"]
        and cfg["training"]["lr"] == PRESETS["small"]["lr"]
    )


def test_a_preset_sets_the_evaluation_interval_unless_it_is_typed(workdir, run):
    from textkit.charrnn import PRESETS

    r = run("train-charrnn", "poems.txt", "--preset", "wide", "--max-steps", "3", "--no-progress")
    assert r.exit_code == 0, r.stderr
    cfg = json.loads(Path("models/poems/config.json").read_text())
    assert cfg["training"]["eval_every"] == PRESETS["wide"]["eval_every"] == 400
    assert cfg["model"]["batch_size"] == PRESETS["wide"]["batch_size"]
    run(
        "train-charrnn",
        "poems.txt",
        "--preset",
        "wide",
        "--max-steps",
        "3",
        "--eval-every",
        "2",
        "--no-progress",
        "--name",
        "typed",
    )
    typed = json.loads(Path("models/typed/config.json").read_text())
    assert typed["training"]["eval_every"] == 2


def test_resume_keeps_the_saved_settings_unless_typed_again(workdir, run):
    assert (
        run("train-charrnn", "poems.txt", *TINY, "--schedule", "constant", "--seed", "5").exit_code
        == 0
    )
    r = run(
        "train-charrnn",
        "poems.txt",
        "--resume",
        "--max-steps",
        "60",
        "--hidden",
        "999",
        "--no-progress",
    )
    assert r.exit_code == 0, r.stderr
    assert "--hidden is ignored with --resume" in r.stderr
    cfg = json.loads(Path("models/poems/config.json").read_text())
    assert cfg["model"]["hidden"] == 64  # the tiny preset's shape, kept
    state_cfg = __import__("torch").load("models/poems/train_state.pt", weights_only=True)["config"]
    assert (state_cfg["lr"], state_cfg["schedule"], state_cfg["seed"], state_cfg["eval_every"]) == (
        0.01,
        "constant",
        5,
        20,
    )
    assert state_cfg["max_steps"] == 60
