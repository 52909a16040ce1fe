"""Round 3, classes 4 and 5: JSON that Python's parser accepts but can't handle (deep nesting,
integers over 4,300 digits, lone surrogates) and integers beyond float range are one clean
error wherever they come in: a request body, a data file, a model folder's JSON, an option,
a config value."""

from __future__ import annotations

import json
import shutil

import pytest

from textkit.errors import TextkitError

HUGE = "9" * 400  # an integer beyond float range: math.isfinite raises OverflowError on it
BAD_JSON = {
    "deep": "[" * 100_000 + "]" * 100_000,
    "long integer": '{"text": "hi", "k": ' + "7" * 5000 + "}",
    "lone surrogate": '{"text": "hi \\ud800 there"}',
}


@pytest.mark.parametrize("body", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_request_bodies_are_a_400(start_server, kind_folders, body):
    server = start_server([kind_folders / "intent"])
    r = server.post(
        "/v1/intent", content=body.encode(), headers={"Content-Type": "application/json"}
    )
    assert r.status_code == 400 and r.json()["error"]["type"] == "invalid_request"
    assert server.get("/health").status_code == 200


@pytest.mark.parametrize("body", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_data_files_are_one_error_line(workdir, run, body):
    (workdir / "data.json").write_text(body, encoding="utf-8")
    r = run("train-intent", "data.json")
    assert r.exit_code == 1 and "data.json" in r.stderr and "Traceback" not in r.output
    assert len(r.stderr.strip().splitlines()) == 1
    (workdir / "lines.jsonl").write_text(body + "\n", encoding="utf-8")
    r = run("train-intent", "lines.jsonl", "--label-column", "k")
    assert r.exit_code == 1 and "lines.jsonl, line 1" in r.stderr


@pytest.mark.parametrize("body", BAD_JSON.values(), ids=BAD_JSON.keys())
def test_a_bad_config_skips_that_folder_only(workdir, run, kind_folders, body):
    for name in ("good", "bad"):
        shutil.copytree(kind_folders / "intent", workdir / "models" / name)
    (workdir / "models" / "bad" / "config.json").write_text(body, encoding="utf-8")
    (workdir / "models" / "good" / "pipeline.json").write_text(body, encoding="utf-8")
    r = run("models")
    assert r.exit_code == 0 and "good" in r.stdout and "skipping" in r.stderr
    r = run("classify", "good", "hello")  # its pipeline.json is the broken file
    assert r.exit_code == 1 and "pipeline" in r.stderr and "Traceback" not in r.output


def test_huge_integers_in_options_requests_and_configs(workdir, run, kind_folders, start_server):
    for option in ("--max-steps", "--seed", "--hidden", "--batch-size"):
        r = run("train-charrnn", "poems.txt", option, HUGE)
        assert r.exit_code == 2 and "Traceback" not in r.output, (option, r.output)
    assert run("generate", "--length", HUGE).exit_code == 2
    from textkit.training.config import TrainConfig

    with pytest.raises(TextkitError, match="max_steps"):
        TrainConfig(max_steps=int(HUGE), lr=float("1e-3")).validate()
    folder = workdir / "models" / "big"
    shutil.copytree(kind_folders / "charrnn", folder)
    config = json.loads((folder / "config.json").read_text())
    config["model"]["hidden"] = int(HUGE)
    (folder / "config.json").write_text(json.dumps(config))
    r = run("generate", "--model", "big", "--length", "5")
    assert r.exit_code == 1 and "hidden" in r.stderr and "Traceback" not in r.output
    server = start_server([kind_folders / "charrnn"])
    body = '{"max_tokens": ' + HUGE + ', "temperature": ' + HUGE + "}"
    r = server.post("/v1/generate", content=body, headers={"Content-Type": "application/json"})
    assert r.status_code == 400 and r.json()["error"]["param"] == "max_tokens"
