"""`textkit preprocess` as a user types it."""

from pathlib import Path

import pytest


def test_preprocess_writes_one_document_per_line_and_saves_the_pipeline(workdir, run):
    Path("docs.csv").write_text('text,label\n"Having fun, running fast!",a\n"They have 3 cats",b\n')
    r = run(
        "preprocess",
        "docs.csv",
        "-o",
        "out.txt",
        "--stem",
        "porter",
        "--stopwords",
        "english",
        "--numbers",
        "replace",
        "--save-pipeline",
        "pipe.json",
        "--label-column",
        "label",
        "--with-labels",
    )
    assert r.exit_code == 0, r.stderr
    assert Path("out.txt").read_text() == "a\thave fun run fast\nb\t<num> cat\n"
    r = run("preprocess", "docs.csv", "--pipeline", "pipe.json", "--show", "1")
    assert r.exit_code == 0 and "-> have fun run fast" in r.stdout
    Path("stop.txt").write_text("fun\nfast\n")
    r = run(
        "preprocess",
        "docs.csv",
        "--stopwords",
        "@stop.txt",
        "--show",
        "1",
        "--tokenizer",
        "treebank",
    )
    assert "-> having running" in r.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["preprocess", "poems.txt"], "give -o OUTPUT"),
        (["preprocess", "nope.txt", "--show", "2"], "no such file"),
        (
            ["preprocess", "poems.txt", "--show", "2", "--stopwords", "klingon"],
            "use none, english or @FILE",
        ),
        (["preprocess", "poems.txt", "--show", "2", "--ngrams", "1,x"], "--ngrams"),
        (
            ["preprocess", "poems.txt", "--show", "2", "--tokenizer", "spacy"],
            "Invalid value for '--tokenizer'",
        ),
        (["preprocess", "poems.txt", "-o", "missing/dir/out.txt"], "does not exist"),
        (["preprocess", "poems.txt", "--show", "1", "--pattern", "(oops"], "bad tokenizer pattern"),
    ],
)
def test_preprocess_bad_input(workdir, args, message, run):
    r = run(*args)
    assert r.exit_code in (1, 2) and message.lower() in r.stderr.lower(), r.stderr
    assert "Traceback" not in r.stderr
