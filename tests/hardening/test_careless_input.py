"""Round 3, classes 13 and 14: careless input gets a message that names the file and the fix,
and nothing wrong is accepted silently: a missing label column (or a TSV named .csv), a label
column that is the text column, labels that are JSON objects or lists, an input file whose
name is no model name, the saved folder named in the hint, a classifier without responses."""

from __future__ import annotations

import json
import shutil

import pytest


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("nolabel.csv", "text,words\nhello,a\nbye,b\n", "no label column among ['text', 'words']"),
        ("tabs.csv", "text\tlabel\nhi\tg\nyo\th\n", "it looks tab-separated: --format tsv"),
        ("obj.json", json.dumps([{"text": "hi", "label": {"a": 1}}]), "record #1: the label is an object"),
        ("list.jsonl", '{"text": "hi", "label": [1]}\n', "line 1: the label is a list"),
    ],
)  # fmt: skip
def test_label_problems_name_the_file_and_the_fix(workdir, run, name, content, message):
    (workdir / name).write_text(content)
    r = run("train-intent", name)
    assert r.exit_code == 1 and message in r.stderr and name in r.stderr
    assert not (workdir / "models").exists() or not any((workdir / "models").iterdir())


def test_the_label_column_cannot_be_the_text_column(workdir, run):
    (workdir / "d.csv").write_text("text,label\nhi,g\nyo,h\n")
    r = run("train-intent", "d.csv", "--label-column", "text")
    assert r.exit_code == 1 and "both 'text'" in r.stderr


@pytest.mark.parametrize(("file", "model"), [(".hidden.json", "hidden"), ("my bot.json", "my-bot")])
def test_a_file_name_that_is_no_model_name(workdir, run, intents_file, file, model):
    shutil.copy(intents_file, workdir / file)
    r = run("train-intent", file)
    assert r.exit_code == 0 and f"textkit chat models/{model}" in r.stderr
    r = run("train-intent", file)  # the hint names the folder really saved
    assert r.exit_code == 0 and f"textkit chat models/{model}-2" in r.stderr


def test_chatting_with_a_classifier_without_responses(workdir, run):
    (workdir / "d.csv").write_text(
        "text,label\n" + "".join(f"hello {i},greet\nbye {i},bye\n" for i in range(6))
    )
    assert run("train-intent", "d.csv", "--name", "plain").exit_code == 0
    r = run("chat", "plain", input="hello\n")
    assert r.exit_code == 1 and "not an intents.json" in r.stderr
    assert "intents=[" not in r.stderr  # no Python advice to a command-line user


def test_a_resumed_run_is_not_judged_as_an_untrained_one(
    tmp_path, sonnets, tiny_rnn, tiny_config, monkeypatch
):
    """The first-loss check (ln V of an untrained model) is for new runs: a resumed model's
    low loss is learning, not targets leaking into inputs."""
    import warnings

    from textkit.charrnn import CharRNN
    from textkit.training.watch import Sanity

    class Task:
        n_outputs = 62

    cfg = tiny_config()
    with pytest.warns(Warning, match="leaking"):
        Sanity(Task(), cfg).first_loss(1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Sanity(Task(), cfg).first_loss(1.0, resumed=True)
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000], encoding="utf-8")
    tiny_rnn().fit(corpus, tmp_path / "m", tiny_config(max_steps=20, eval_every=10))
    seen = []
    original = Sanity.first_loss
    Sanity.first_loss = lambda self, loss, resumed=False: (
        seen.append(resumed) or original(self, loss, resumed)
    )
    try:
        CharRNN.load(tmp_path / "m").resume(tmp_path / "m", corpus, tiny_config(max_steps=30))
    finally:
        Sanity.first_loss = original
    assert seen == [True]


def test_a_too_large_small_file_gives_advice_that_applies(workdir, run, kind_folders):
    shutil.copytree(kind_folders / "charrnn", workdir / "models" / "gen")
    (workdir / "pre.txt").write_text("a" * (17 << 20))
    r = run("generate", "--model", "gen", "--preseed", "@pre.txt", "--length", "5")
    assert r.exit_code == 1 and "pre.txt is larger than" in r.stderr
    assert "--max-size" not in r.stderr  # generate has no such option


def test_a_resumed_model_is_stamped_with_its_new_save(workdir, run):
    import json as _json
    import time

    args = ("train-charrnn", "poems.txt", "--preset", "tiny", "--name", "r", "--no-progress")
    assert run(*args, "--max-steps", "10").exit_code == 0
    first = _json.loads((workdir / "models" / "r" / "config.json").read_text())["saved_at"]
    time.sleep(0.01)
    assert run(*args, "--max-steps", "20", "--resume").exit_code == 0
    again = _json.loads((workdir / "models" / "r" / "config.json").read_text())["saved_at"]
    assert again > first
    r = run("models")
    assert again[:10] in r.stdout


# ------------------------------------------------------------------ errors name the file
BAD_FILES = {
    "empty": b"",
    "binary": b"\x00\x01\x02\xff" * 100,
    "bad-utf8": b"hello \xff\xfe world\nmore\n",
    "cut-json": b'{"intents": [ {"tag": ',
    "json-list": b"[1, 2, 3]",
    "json-object": b'{"a": 1}',
    "no-label": b"text\nhello\nworld\n",
    "blank": b"   \n\n  \n",
    "nested": b"[" * 100_000 + b"]" * 100_000,  # also one 200,000-character CSV field
}
READERS = [
    ("train-intent", ".json"), ("train-intent", ".csv"), ("train-intent", ".yml"),
    ("train-author", ".csv"), ("train-charrnn", ".txt"), ("train-charrnn", ".json"),
    ("train-word2vec", ".txt"), ("check", ".csv"), ("convert", ".json"), ("convert", ".yml"),
    ("import-vectors", ".vec"), ("evaluate", ".csv"), ("generate", ".txt"),
]  # fmt: skip


def _arguments(command: str, name: str) -> list[str]:
    if command == "evaluate":
        return [command, "bot", name]
    if command == "generate":
        return [command, "--model", "gen", "--preseed", name, "-n", "5"]
    extra = {
        "train-charrnn": ["--max-steps", "1", "--preset", "tiny"],
        "train-word2vec": ["--epochs", "1"],
        "convert": ["-o", "out.yml"],
    }.get(command, [])
    named = ["--name", "x", "--overwrite"] if command.startswith("train") else []
    return [command, name, *extra, *named]


def test_every_reader_names_the_file_in_its_error(workdir, run, trained, intent_model):
    """Careless or hostile input through every command that reads a user's file: each refusal
    is one line naming that file (a 200,000-character CSV field and deeply nested YAML were
    tracebacks; a too-short corpus named no file)."""
    import shutil

    shutil.copytree(trained, workdir / "models" / "gen")
    shutil.copytree(intent_model, workdir / "models" / "bot")
    unnamed = []
    for command, suffix in READERS:
        for problem, data in BAD_FILES.items():
            name = f"input-{problem}{suffix}"
            (workdir / name).write_bytes(data)
            r = run(*_arguments(command, name))  # a traceback fails inside run()
            if r.exit_code != 0 and name not in r.stderr:
                unnamed.append(f"{command} {name}: {r.stderr.strip()[-150:]}")
    assert not unnamed, "\n".join(unnamed)
