"""One config per char model: what the constructor takes, config.json stores and the CLI
shows as its defaults."""

import json

import pytest
from click.testing import CliRunner

from textkit.charrnn import PRESETS, CharRNN, CharRNNConfig
from textkit.charrnn.config import preset_config
from textkit.cli import main
from textkit.errors import TextkitError


def test_config_is_what_the_model_takes_and_config_json_stores(tmp_path, sonnets, tiny_config):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000], encoding="utf-8")
    config = CharRNNConfig(cell="gru", embedding=8, hidden=16, layers=1, seq_len=20, batch_size=4)
    model = CharRNN(config)
    model.fit(corpus, tmp_path / "m", tiny_config(max_steps=2, eval_every=1))
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["model"] == config.to_dict()
    assert CharRNN.load(tmp_path / "m").config == config
    assert model.net.embed.embedding_dim == 8 and model.net.rnn.hidden_size == 16


def test_keyword_overrides_and_presets_are_overrides_of_the_one_config():
    assert CharRNN(hidden=99).config == CharRNNConfig(hidden=99)
    assert CharRNN().config == CharRNNConfig() == preset_config("small")
    tiny = preset_config("tiny", dropout=0.3, hidden=None)
    assert (tiny.hidden, tiny.dropout) == (PRESETS["tiny"]["hidden"], 0.3)
    with pytest.raises(TextkitError, match="unknown preset"):
        preset_config("huge")


@pytest.mark.parametrize(
    ("bad", "name"),
    [(dict(hidden=0), "hidden"), (dict(dropout=1.0), "dropout"), (dict(cell="lstn"), "cell"),
     (dict(val_fraction=float("nan")), "val_fraction"), (dict(layers=2.5), "layers")],
)  # fmt: skip
def test_bad_settings_name_the_python_parameter_and_the_flag(bad, name):
    with pytest.raises(TextkitError, match=rf"{name} \(--{name.replace('_', '-')}\)"):
        CharRNNConfig(**bad)


def test_cli_defaults_come_from_the_config():
    help_text = " ".join(CliRunner().invoke(main, ["train-charrnn", "--help"]).output.split())
    d = CharRNNConfig()
    assert f"Dropout between layers and before the output. [default: {d.dropout}]" in help_text
    assert f"[default: {d.val_fraction}]" in help_text and "[default: adam]" in help_text


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
@pytest.mark.parametrize("layers", [1, 3])
def test_state_shapes_match_the_network_without_building_it(cell, layers):
    from textkit.charrnn.model import CharRNNNet

    config = CharRNNConfig(cell=cell, layers=layers, hidden=24, embedding=7)
    built = {k: list(v.shape) for k, v in CharRNNNet(11, config).state_dict().items()}
    assert CharRNNNet.state_shapes(11, config) == built
