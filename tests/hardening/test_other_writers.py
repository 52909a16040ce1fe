"""Class 10: every other writer: preprocess, pipelines, metrics files, compare."""

import json
import shutil
from pathlib import Path

import pytest


def test_preprocess_refuses_to_write_over_its_input(workdir, run):
    before = Path("poems.txt").read_bytes()
    for args in (
        ["-o", "poems.txt"],
        ["-o", "./poems.txt"],
        ["--show", "1", "--save-pipeline", "poems.txt"],
    ):
        r = run("preprocess", "poems.txt", *args)
        assert r.exit_code == 1 and "is the input file" in r.stderr, r.output
    assert Path("poems.txt").read_bytes() == before


def test_save_pipeline_into_a_missing_folder_is_a_clear_error(workdir, run):
    r = run("preprocess", "poems.txt", "--show", "1", "--save-pipeline", "missing/dir/pipe.json")
    assert r.exit_code == 1 and "does not exist" in r.stderr and "Traceback" not in r.output


@pytest.mark.parametrize(
    "content",
    ['{"lowercase": "yes"}', '{"ngrams": "12"}', '{"min_length": "3"}', '{"stopwords": 5}',
     '[1, 2]', '{"format_version": "x"}', '{"tokenizer": null}', "not json"],
)  # fmt: skip
def test_a_pipeline_file_with_wrong_types_is_one_clear_error(workdir, run, content):
    Path("pipe.json").write_text(content)
    r = run("preprocess", "poems.txt", "--show", "1", "--pipeline", "pipe.json")
    assert r.exit_code == 1 and "pipe.json" in r.stderr and "Traceback" not in r.output, r.output


def test_metrics_lines_that_are_json_but_not_objects(tmp_path, trained, run):
    folder = tmp_path / "models" / "m"
    shutil.copytree(trained, folder)
    with open(folder / "metrics.jsonl", "a") as fh:
        fh.write('[1, 2]\n"text"\n{"step": "late", "val_loss": "x"}\n42\n')
    r = run("compare", "m", "--models-dir", tmp_path / "models")
    assert r.exit_code == 0, r.output
    assert (tmp_path / "models" / "compare.png").read_bytes()[:4] == b"\x89PNG"


def test_compare_writes_into_the_models_folder_by_default(workdir, trained, run):
    shutil.copytree(trained, workdir / "models" / "a")
    assert run("compare", "a").exit_code == 0
    assert (workdir / "models" / "compare.png").is_file() and not (workdir / "compare.png").exists()
    assert json.loads((workdir / "models" / "a" / "config.json").read_text())["kind"] == "charrnn"
