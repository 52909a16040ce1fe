"""Every model kind fails the same way when misused: untrained, or from a broken folder."""

import json

import pytest

from textkit.errors import TextkitError
from textkit.kinds import KINDS
from textkit.loading import load_model, model_class


@pytest.fixture(scope="module")
def folders(kind_folders):
    assert {p.name for p in kind_folders.iterdir() if p.is_dir() and p.name[0] != "."} == set(KINDS)
    return kind_folders


USES = {
    "charrnn": lambda m: m.generate(10),
    "charmarkov": lambda m: m.generate(10),
    "intent": lambda m: m.predict("hello"),
    "author": lambda m: m.predict("hello"),
    "word2vec": lambda m: m.most_similar("said"),
    "doc2vec": lambda m: m.similar_documents("said"),
}
LABELS = {
    "charrnn": "vocab",
    "charmarkov": "vocab",
    "intent": "labels",
    "author": "labels",
    "word2vec": "model",
    "doc2vec": "model",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_an_untrained_model_says_so(kind, tmp_path):
    model = model_class(kind)()
    for use in (USES[kind], lambda m: m.save(tmp_path / "x")):
        with pytest.raises(TextkitError, match=f"this {type(model).__name__} is not trained"):
            use(model)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("kind", sorted(KINDS))
@pytest.mark.parametrize(
    ("damage", "message"),
    [
        (lambda c, k: c.pop("model"), "is incomplete: it has no 'model' entry"),
        (lambda c, k: c.pop(LABELS[k]), "is incomplete: it has no '{}' entry"),
        (lambda c, k: c.update(model=[1, 2]), "invalid value"),
        (lambda c, k: c.update({LABELS[k]: 7}), "invalid value"),
    ],
)
def test_a_broken_config_gives_one_clear_error_for_every_kind(
    kind, damage, message, folders, tmp_path
):
    import shutil

    folder = tmp_path / kind
    shutil.copytree(folders / kind, folder)
    config = json.loads((folder / "config.json").read_text())
    damage(config, kind)
    (folder / "config.json").write_text(json.dumps(config))
    with pytest.raises(TextkitError, match=message.format(LABELS[kind])):
        load_model(folder)


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_misspelt_settings_name_the_python_parameter(kind):
    with pytest.raises(TextkitError, match="unknown setting"):
        model_class(kind)(hiden=3)
