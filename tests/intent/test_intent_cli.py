"""The intent commands as a user types them, and the README's chatbot example."""

import csv
import json
import re
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def bot_dir(workdir, intents_file, run):
    shutil.copy(intents_file, workdir / "intents.json")
    r = run("train-intent", "intents.json", "--name", "bot", "--max-steps", "150")
    assert r.exit_code == 0, r.output
    assert re.search(
        r"validation accuracy [\d.]+% on 159 texts \(5-fold cross-fitting\), threshold 0\.\d+",
        r.stderr,
    )
    return workdir / "models" / "bot"


def test_train_classify_and_chat(bot_dir, run):
    r = run("classify", "bot", "when do you open on sunday?", "asdkjh qwe")
    assert r.exit_code == 0
    first, second = r.stdout.splitlines()
    assert first.startswith("opening_hours\t") and second.startswith(
        "(out of scope: no known words)"
    )
    r = run("classify", "bot", "--json", "-k", "2", input="can I pay by card?\nhello\n")
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert [x["label"] for x in rows] == ["payment", "greeting"] and len(rows[0]["ranking"]) == 2
    r = run(
        "chat",
        "bot",
        "-v",
        "--seed",
        "1",
        input="hi\nI want to return a book\nthe cover is torn\nasdkjh qwe\n",
    )
    assert r.exit_code == 0
    assert "Welcome to Corner Books" in r.stdout and "refund you in full" in r.stdout
    assert (
        "[returns_start" in r.stderr
        and "context returns" in r.stderr
        and "fallback (no known words)" in r.stderr
    )
    listing = run("models").stdout
    assert "intent" in listing and "accuracy" in listing


def test_evaluate_intent_writes_the_report_png_and_errors(bot_dir, workdir, run):
    with open("test.csv", "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["text", "intent"])
        w.writerows(
            [
                ("hello friend", "greeting"),
                ("what time do you close", "opening_hours"),
                ("is it raining", "oos"),
                ("recite a poem about the sea", "poetry_request"),
                ("do you deliver to spain", "delivery"),
                ("thank you kindly", "thanks"),
            ]
        )
    r = run("evaluate-intent", "bot", "test.csv")
    assert r.exit_code == 0, r.output
    assert (
        "in-scope accuracy" in r.stdout
        and "out-of-scope recall" in r.stdout
        and "calibration error ECE" in r.stdout
    )
    out = bot_dir / "evaluation"
    assert (out / "confusion.png").read_bytes()[:4] == b"\x89PNG"
    report = json.loads((out / "report.json").read_text())
    assert report["n"] == 6 and report["oos_recall"] is not None
    errors = json.loads((out / "errors.json").read_text())
    assert all({"text", "gold", "predicted", "confidence"} <= set(e) for e in errors)
    r = run("evaluate-intent", "bot", "intents.json", "--cross-validate", "3")
    assert r.exit_code == 0 and "3-fold cross-validation on 159 texts: accuracy" in r.stdout


@pytest.mark.parametrize(
    ("files", "args", "message"),
    [({"one.json": '{"intents": [{"tag": "a", "patterns": ["hi", "yo"]}]}'}, ["train-intent", "one.json"], "only one label"),
     ({"d.csv": "sentence,label\nhi,a\nbye,b\n"}, ["train-intent", "d.csv"], "no 'text' column"),
     ({"d.csv": "text,label\nhi,a\nbye,b\n"}, ["train-intent", "d.csv", "--label-column", "intent"], "no column 'intent'"),
     ({}, ["train-intent", "missing.json"], "no such file"),
     ({}, ["classify", "nowhere", "hi"], "no model at"),
     ({}, ["train-intent", "x.json", "--classifier", "bert"], "Invalid value for '--classifier'"),
     ({}, ["train-intent", "x.json", "--char-ngrams", "5-2"], "Invalid value for '--char-ngrams'"),
     ({}, ["train-intent", "x.json", "--threshold", "2"], "Invalid value for '--threshold'")],
)  # fmt: skip
def test_bad_input_is_one_clear_line(workdir, run, files, args, message):
    for name, content in files.items():
        Path(name).write_text(content)
    r = run(*args)
    assert r.exit_code in (1, 2) and message in r.stderr, r.output
    assert (
        "Traceback" not in r.output
        and sum(ln.startswith("Error") for ln in r.stderr.splitlines()) == 1
    )


def test_a_char_model_is_not_an_intent_model(workdir, trained, run):
    shutil.copytree(trained, workdir / "models" / "poems")
    r = run("classify", "poems", "hello")
    assert r.exit_code == 1 and "holds a model of kind 'charrnn'" in r.stderr


def test_the_readme_chatbot_example_runs_as_shown(tmp_path, monkeypatch):
    readme = (REPO / "README.md").read_text()
    block = (
        readme.split("<!-- chatbot example -->", 1)[1].split("```python", 1)[1].split("```", 1)[0]
    )
    (tmp_path / "corpora").mkdir()
    shutil.copy(REPO / "corpora" / "intents.json", tmp_path / "corpora" / "intents.json")
    monkeypatch.chdir(tmp_path)
    printed = []
    exec(
        compile(block, "README.md", "exec"),
        {"print": lambda *a: printed.append(" ".join(map(str, a)))},
    )
    intents = json.loads((tmp_path / "corpora" / "intents.json").read_text())["intents"]
    responses = {it["tag"]: it["responses"] for it in intents}
    assert printed[0] in responses["greeting"] and printed[1] in responses["opening_hours"]
    assert printed[2] in responses["fallback"]  # gibberish: the fallback, not an intent
