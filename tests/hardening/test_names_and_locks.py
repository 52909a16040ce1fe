"""Class 5: a model name is one folder under the models folder; one run per folder at a time;
the Python API never silently replaces a model."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from textkit.atomic import FolderLock
from textkit.errors import TextkitError
from textkit.modelio import ModelFolder

REPO = Path(__file__).resolve().parents[2]
TINY = ["--preset", "tiny", "--max-steps", "10", "--eval-every", "5", "--no-progress"]


@pytest.mark.parametrize("name", ["../../x", "/tmp/x", "..", ".", "a/b", ".hidden", "", "a\\b"])
def test_names_that_escape_or_hide_are_usage_errors(workdir, run, name):
    (workdir / "config.json").write_text("the user's own file")
    for extra in ([], ["--overwrite"]):
        r = run("train-charrnn", "poems.txt", "--name", name, *extra, *TINY)
        assert r.exit_code == 2 and "can't be a model name" in r.stderr, r.output
    assert (workdir / "config.json").read_text() == "the user's own file"
    assert sorted(p.name for p in workdir.iterdir()) == ["config.json", "poems.txt"]


def test_the_api_refuses_to_replace_a_model_or_a_users_folder(
    tmp_path, sonnets, tiny_rnn, tiny_config
):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000])
    tiny_rnn().fit(corpus, tmp_path / "m", tiny_config(max_steps=10))
    with pytest.raises(TextkitError, match="already holds a model; pass overwrite=True"):
        tiny_rnn().fit(corpus, tmp_path / "m", tiny_config(max_steps=10))
    mine = tmp_path / "my-project"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep me")
    for overwrite in (False, True):
        with pytest.raises(TextkitError, match="is not a textkit model folder"):
            tiny_rnn().fit(corpus, mine, tiny_config(max_steps=10), overwrite=overwrite)
    assert sorted(os.listdir(mine)) == ["notes.txt"]
    with pytest.raises(TextkitError, match="can't hold a model"):
        tiny_rnn().fit(corpus, tmp_path / "..", tiny_config(max_steps=10), overwrite=True)


def test_a_name_being_trained_is_locked(workdir, run):
    lock = FolderLock(workdir / "models" / "poems")
    assert lock.acquire()  # another run is training models/poems
    try:
        r = run("train-charrnn", "poems.txt", *TINY, "--overwrite")
        assert r.exit_code == 1 and "another run (process" in r.stderr
        r = run("train-charrnn", "poems.txt", *TINY)  # a fresh name moves on, as for any clash
        assert r.exit_code == 0 and (workdir / "models" / "poems-2" / "config.json").is_file()
    finally:
        lock.release()
    assert not lock.path.exists()


def test_two_runs_started_at_once_with_the_same_name_never_share_a_folder(workdir):
    cmd = [
        sys.executable,
        str(REPO / "cli.py"),
        "train-charrnn",
        "poems.txt",
        "--name",
        "same",
        "--preset",
        "tiny",
        "--max-steps",
        "30",
        "--eval-every",
        "10",
        "--no-progress",
    ]
    procs = [
        subprocess.Popen(
            cmd, cwd=workdir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outcomes = [(p.wait(timeout=120), p.stderr.read()) for p in procs]
    folders = sorted(p.name for p in (workdir / "models").iterdir() if not p.name.startswith("."))
    # the name is held from the moment it is chosen: the second run moves on, never refused
    assert folders == ["same", "same-2"], (folders, outcomes)
    assert [code for code, _ in outcomes] == [0, 0], outcomes
    for name in folders:  # each folder holds exactly one run's curve
        steps = [r["step"] for r in ModelFolder(workdir / "models" / name).read_metrics()]
        assert steps == [10, 20, 30], (name, steps)


def test_a_name_chosen_by_a_run_still_preparing_is_not_taken(workdir, run, intents_file):
    """Another process has chosen models/bot (it is still reading and featurising its data):
    this run goes to bot-2 at once, instead of being refused when it comes to save."""
    import shutil

    shutil.copy(intents_file, workdir / "intents.json")
    holder = subprocess.Popen(
        [sys.executable, "-c",
         "import sys, time; from textkit.modelio.runs import fresh_model_dir; "
         "print(fresh_model_dir('models', 'bot'), flush=True); time.sleep(60)"],
        cwd=workdir, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert holder.stdout.readline().strip() == "models/bot"
        r = run("train-intent", "intents.json", "--name", "bot")
        assert r.exit_code == 0 and "saved models/bot-2" in r.stderr, r.output
    finally:
        holder.kill()
        holder.wait()
    r = run("train-intent", "intents.json", "--name", "bot")  # the holder is gone: bot is free
    assert r.exit_code == 0 and "saved models/bot " in r.stderr
