"""Class 6: model folders are read defensively: a bad value is one clear error (or a skipped
folder with a warning in listings), never a traceback, a huge allocation or NaN output."""

import json
import resource
import shutil
import warnings

import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from textkit.errors import TextkitError, TextkitWarning
from textkit.loading import load_model
from textkit.modelio import ModelFolder, latest_model, list_models, save_weights


def _copy(trained, dest):
    shutil.copytree(trained, dest)
    return dest


def _edit_config(folder, **changes):
    config = json.loads((folder / "config.json").read_text())
    for key, value in changes.items():
        section, _, field = key.partition("__")
        if field:
            config[section][field] = value
        else:
            config[section] = value
    (folder / "config.json").write_text(json.dumps(config))


def test_one_bad_folder_does_not_break_listing_or_the_newest_model(tmp_path, trained, run):
    models = tmp_path / "models"
    good = _copy(trained, models / "good")
    bad = _copy(trained, models / "bad")
    _edit_config(bad, saved_at=12345, num_params="many", kind=["charrnn"])
    (models / "junk").mkdir()
    (models / "junk" / "config.json").write_text("[1, 2")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        infos = list_models(models)
    assert [i.path for i in infos] == [good]
    assert sum(issubclass(w.category, TextkitWarning) for w in caught) == 2
    with pytest.warns(TextkitWarning, match="skipping"):
        assert latest_model(models) == good
    r = run("models", "--models-dir", models)
    assert r.exit_code == 0 and "good" in r.stdout and "skipping" in r.stderr


@pytest.mark.parametrize(
    ("change", "message"),
    [(dict(model__hidden="64"), "hidden"), (dict(model__layers=-1), "layers"),
     (dict(model__cell="transformer"), "cell"), (dict(vocab=["ab", "c"]), "vocab"),
     (dict(vocab=["a", "a"]), "vocab"), (dict(model__dropout=float("nan")), "dropout"),
     (dict(model="lstm"), "invalid value"), (dict(format_version="1"), "format_version")],
)  # fmt: skip
def test_wrong_typed_or_out_of_range_config_values(tmp_path, trained, change, message):
    folder = _copy(trained, tmp_path / "m")
    _edit_config(folder, **change)
    with pytest.raises(TextkitError, match=message):
        load_model(folder)


def test_a_crafted_config_cannot_make_textkit_allocate_gigabytes(tmp_path, trained):
    folder = _copy(trained, tmp_path / "m")
    _edit_config(folder, model__hidden=60000, model__layers=40)  # ~2 TB of weights
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(TextkitError, match=r"does not match config\.json"):
        load_model(folder)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 200_000


def test_nan_weights_and_training_states_that_do_not_fit(
    tmp_path, trained, sonnets, tiny_rnn, tiny_config
):
    from textkit.charrnn import CharRNN

    folder = _copy(trained, tmp_path / "m")
    weights = CharRNN.load(folder).net.state_dict()
    weights["head.bias"][3] = float("nan")
    save_weights(folder / "model.safetensors", weights)
    with pytest.raises(TextkitError, match="NaN or infinite"):
        load_model(folder)
    # a training state from a different network: a clear error on resume
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000])
    tiny_rnn().fit(corpus, tmp_path / "a", tiny_config(max_steps=10))
    tiny_rnn(hidden=32).fit(corpus, tmp_path / "b", tiny_config(max_steps=10))
    shutil.copy(tmp_path / "b" / "train_state.pt", tmp_path / "a" / "train_state.pt")
    with pytest.raises(TextkitError, match="does not fit this model"):
        CharRNN.load(tmp_path / "a").resume(tmp_path / "a", corpus, tiny_config(max_steps=20))
    torch.save({"step": "ten"}, tmp_path / "a" / "train_state.pt")
    with pytest.raises(TextkitError, match="not a textkit training state"):
        CharRNN.load(tmp_path / "a").resume(tmp_path / "a", corpus, tiny_config(max_steps=20))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-(10**20), 10**20) | st.floats() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
KEYS = [
    "model",
    "vocab",
    "preseed_excerpt",
    "corpus",
    "best_metrics",
    "format_version",
    "data",
    "labels",
    "features",
    "temperature",
    "threshold",
]


@settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    key=st.sampled_from(KEYS), value=JSON, kind=st.sampled_from(["charrnn", "charmarkov", "intent"])
)
def test_any_json_value_in_any_config_entry_loads_or_is_a_clear_error(
    tmp_path_factory, key, value, kind, kind_folders
):
    folder = _copy(kind_folders / kind, tmp_path_factory.mktemp("f") / "m")
    config = json.loads((folder / "config.json").read_text())
    config[key] = value
    (folder / "config.json").write_text(json.dumps(config))
    try:
        model = load_model(folder)
    except TextkitError:
        return
    if kind in ("intent", "author"):
        model.predict("hello there")  # what loaded must work
    elif kind == "word2vec":
        model.most_similar("said")
    elif kind == "doc2vec":
        model.similar_documents("the minister said")
    else:
        model.generate(3, seed=0)


@settings(max_examples=60, deadline=None)
@given(lines=st.lists(JSON.map(json.dumps) | st.text(max_size=20), max_size=8))
def test_any_metrics_file_reads_and_plots(tmp_path_factory, lines):
    from textkit.plots import plot_metrics

    folder = ModelFolder(tmp_path_factory.mktemp("metrics"))
    folder.file("metrics.jsonl").write_text("\n".join(lines) + "\n")
    rows = folder.read_metrics()
    assert all(isinstance(r, dict) for r in rows)
    folder.truncate_metrics(5)
    plot_metrics(folder)


@settings(max_examples=80, deadline=None)
@given(
    d=st.dictionaries(
        st.sampled_from(
            [
                "lowercase",
                "tokenizer",
                "ngrams",
                "stopwords",
                "min_length",
                "stemmer",
                "numbers",
                "pattern",
                "format_version",
                "cache_size",
            ]
        ),
        JSON,
        max_size=4,
    )
    | JSON
)
def test_any_pipeline_json_builds_a_pipeline_or_is_a_clear_error(d):
    from textkit.text.pipeline import Pipeline

    try:
        pipe = Pipeline.from_json(json.dumps(d))
    except TextkitError:
        return
    pipe.tokens("Some text, 42 words!")
