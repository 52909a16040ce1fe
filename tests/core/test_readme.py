"""The README as a fresh clone runs it: every file a shell example names exists in the checkout
or is written by an earlier example, every model it names was trained by an earlier example,
and every Python example runs (in order, in a scratch folder, on tiny settings)."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = (REPO / "README.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"^```(\w*)\n(.*?)^```", README, re.S | re.M)
FILE_LIKE = re.compile(r"\.(txt|csv|tsv|json|jsonl|yml|yaml|md|png|html|gz|bz2|bin|cor)$")
# commands whose first argument is a model (a folder, or a name under models/)
MODEL_FIRST = {"generate", "suggest", "inspect", "classify", "chat", "evaluate",
               "predict-author", "similar", "analogy", "similar-docs", "evaluate-embeddings",
               "export-vectors", "plot-embeddings"}  # fmt: skip
TRAINERS = {"train-charrnn", "train-intent", "train-author", "train-word2vec", "train-doc2vec",
            "import-vectors"}  # fmt: skip
WRITES = {"-o", "--output", "--png"}  # options naming a file the command writes


def shell_commands() -> list[list[str]]:
    """Every ``textkit`` command of the README's bash blocks, as argument lists."""
    out = []
    for lang, block in BLOCKS:
        if lang != "bash":
            continue
        for line in block.replace("\\\n", " ").splitlines():
            lexer = shlex.shlex(line, posix=True, punctuation_chars=";&|")
            lexer.whitespace_split = True
            words: list[str] = []
            for token in [*lexer, ";"]:
                if token in (";", "&&", "||", "|"):
                    if "textkit" in words:
                        out.append(words[words.index("textkit") + 1 :])
                    words = []
                else:
                    words.append(token)
    return out


def test_every_file_and_model_a_shell_example_names_exists_or_was_made_before():
    made: set[str] = set()
    models: set[str] = set()
    problems = []
    for words in shell_commands():
        command, rest = words[0], words[1:]
        existing = {w for w in rest if (REPO / w).exists()}
        args = [w for w in rest if not w.startswith("-")]
        for i, word in enumerate(rest):
            written = (i and rest[i - 1] in WRITES) or (
                command == "export-vectors" and word == args[-1]
            )
            if written:
                made.add(word)
            # ($VARIABLE and /absolute/paths are the user's, e.g. a cluster's shared disk)
            elif FILE_LIKE.search(word) and word[0] not in "$/" and word not in made | existing:
                problems.append(f"textkit {' '.join(words)}: no file {word}")
        if command in TRAINERS:
            named = rest[rest.index("--name") + 1] if "--name" in rest else None
            models.add(named or Path(args[0]).stem)
        if command in MODEL_FIRST and args and command != "generate":
            model = args[0].removeprefix("models/")
            if model not in models:
                problems.append(f"textkit {' '.join(words)}: no model {model} trained before")
        if command == "serve":
            problems += [
                f"textkit serve: no model {a}"
                for a in args
                if a.removeprefix("models/") not in models
            ]
    assert len(shell_commands()) > 30  # the parsing found the examples
    assert not problems, "\n".join(problems)


# (text in a Python example, what the test runs instead): tiny settings, and a live server in
# place of localhost:8000.  Each must still be in the README, so the two can't drift apart.
TINY = [
    ('{"max_steps": 800}', '{"max_steps": 3, "eval_every": 3, "progress": False}'),
    ("epochs=20, seed=1", "epochs=1, seed=1"),
    ('Doc2Vec(method="dbow", epochs=40)', 'Doc2Vec(method="dbow", epochs=1)'),
    ("http://localhost:8000/v1", "{URL}/v1"),
    ('model="poems"', 'model="poems-api"'),
    ('registry.load(["models/bot"])', 'registry.load(["models/my-bot"])'),
]


def test_the_python_examples_run_in_order(tmp_path, monkeypatch, start_server):
    for old, _ in TINY:
        assert old in README, f"the README no longer says {old!r}: update TINY"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("TEXTKIT_CACHE", str(tmp_path / "cache"))
    shutil.copytree(REPO / "corpora", tmp_path / "corpora")
    python = [block for lang, block in BLOCKS if lang == "python"]
    assert len(python) >= 7
    server = None
    for number, block in enumerate(python):
        if "from openai import" in block:
            pytest.importorskip("openai")
            server = server or start_server([tmp_path / "models" / "poems-api"])
        for old, new in TINY:
            block = block.replace(old, new.replace("{URL}", server.url if server else ""))
        try:
            exec(compile(block, f"README.md python example {number + 1}", "exec"), {})
        except Exception as exc:
            raise AssertionError(f"README python example {number + 1} failed:\n{block}") from exc
