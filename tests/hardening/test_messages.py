"""Class 8: messages say what to do, in the user's terms; warnings never land inside text."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from textkit.errors import TextkitError, TextkitWarning

REPO = Path(__file__).resolve().parents[2]


def test_a_truncated_corpus_copy_is_a_clear_error_not_aborted(tmp_path, trained, run):
    folder = tmp_path / "m"
    shutil.copytree(trained, folder)
    data = (folder / "corpus.txt.gz").read_bytes()
    (folder / "corpus.txt.gz").write_bytes(data[: len(data) // 2])
    r = run("generate", "--model", folder, "-n", "50", "--check-original", "10")
    assert r.exit_code == 1 and "corpus.txt.gz is corrupt or truncated" in r.stderr, r.output
    assert "Aborted" not in r.output
    (folder / "corpus.txt.gz").unlink()
    r = run("generate", "--model", folder, "-n", "50", "--check-original", "10")
    assert r.exit_code == 1 and "no stored copy of its training corpus" in r.stderr


def test_a_corrupt_training_state_never_suggests_unsafe_loading(tmp_path, trained, sonnets, run):
    folder = tmp_path / "models" / "sonnets"
    shutil.copytree(trained, folder)
    (folder / "train_state.pt").write_bytes(b"PK\x03\x04 not a zip at all")
    (tmp_path / "sonnets.txt").write_text(sonnets)
    r = run(
        "train-charrnn",
        tmp_path / "sonnets.txt",
        "--resume",
        "--name",
        "sonnets",
        "--models-dir",
        tmp_path / "models",
        "--max-steps",
        "300",
        "--no-progress",
    )
    assert r.exit_code == 1 and "is corrupt or not a textkit training state" in r.stderr
    assert "weights_only" not in r.output and "Traceback" not in r.output


def test_messages_use_the_users_terms(tmp_path):
    from textkit.text.io import read_text_file

    with pytest.raises(TextkitError) as exc:
        read_text_file(tmp_path)
    assert "read_corpus" not in str(exc.value) and "directory" in str(exc.value)


def test_warnings_come_before_streamed_text(trained):
    """The seed's warning is printed before the seed streams, not in the middle of its line."""
    proc = subprocess.run(
        [
            sys.executable,
            str(REPO / "cli.py"),
            "generate",
            "--model",
            str(trained),
            "-n",
            "40",
            "--seed",
            "1",
            "-s",
            "Thé ☃ rose",
        ],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.startswith("The  rose")
    assert "replaced 1 character(s)" in proc.stderr and "dropped 1" in proc.stderr
    from click.testing import CliRunner

    from textkit.cli import main

    mixed = (
        CliRunner()
        .invoke(
            main,
            ["generate", "--model", str(trained), "-n", "40", "--seed", "1", "-s", "Thé ☃ rose"],
        )
        .output
    )
    assert mixed.index("warning:") < mixed.index("The  rose")
    assert all(line.startswith("textkit: warning:") for line in mixed.splitlines()[:2])


def test_letters_missing_in_one_case_are_mapped_with_a_word(tmp_path, tiny_rnn, tiny_config):
    corpus = tmp_path / "lower.txt"
    corpus.write_text("the quick brown fox jumps over the lazy dog\n" * 200)
    model = tiny_rnn()
    model.fit(corpus, tmp_path / "m", tiny_config(max_steps=2, eval_every=1))
    with pytest.warns(TextkitWarning, match=r"replaced 2 character\(s\).*'H'->'h'"):
        sample = model.generate(5, seed=0, seed_text="Hello World")[0]
    assert sample.seed_text == "hello world"
