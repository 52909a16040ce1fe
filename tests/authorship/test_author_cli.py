"""The authorship commands as a user types them."""

import json
import shutil
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_train_predict_and_evaluate(workdir, run):
    shutil.copy(REPO / "corpora" / "presidents.csv", "presidents.csv")
    r = run(
        "train-author",
        "presidents.csv",
        "--text-column",
        "text",
        "--label-column",
        "author",
        "--name",
        "pres",
        "--max-steps",
        "120",
    )
    assert r.exit_code == 0 and "4 authors" in r.stderr, r.output
    r = run(
        "predict-author",
        "pres",
        "Four score and seven years ago our fathers brought forth",
        "--explain",
    )
    assert r.exit_code == 0 and r.stdout.count("\n") >= 2 and "chars '" in r.stdout
    r = run(
        "predict-author", "pres", "--json", input="We will win this war.\nJobs and the economy.\n"
    )
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    assert len(rows) == 2 and all(row["ranking"] for row in rows)
    Path("lincoln.txt").write_text(
        "\n".join(
            line.split(",", 1)[1].rsplit(",", 1)[0]
            for line in Path("presidents.csv").read_text().splitlines()
            if line.startswith("Lincoln,") and line.endswith(",test")
        )[:3000]
    )
    r = run("predict-author", "pres", "--file", "lincoln.txt", "--json")
    answer = json.loads(r.stdout)
    assert answer["label"] == "Lincoln" and "texts)" in answer["text"]
    r = run("evaluate-author", "pres", "presidents.csv", "--label-column", "author")
    assert r.exit_code == 0, r.output
    assert (
        "don't know\" trade-off" in r.stdout
        and "<- the model" in r.stdout
        and "macro-F1" in r.stdout
    )
    assert (workdir / "models" / "pres" / "evaluation" / "confusion.png").is_file()
    listing = run("models").stdout
    assert "author" in listing and "accuracy" in listing
