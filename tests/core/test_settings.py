"""Settings as data: every config field carries its Spec, the CLI options are generated from it,
every option typed reaches the trainer, and the estimators merge their own defaults."""

from __future__ import annotations

import dataclasses

import click
import pytest
import torch

from textkit.authorship.config import AUTHOR_FEATURES
from textkit.charrnn.config import CharMarkovConfig, CharRNNConfig, SampleConfig
from textkit.classify.config import ClassifierConfig, FeatureConfig
from textkit.cli import main
from textkit.embeddings.config import Doc2VecConfig, Word2VecConfig
from textkit.errors import TextkitError
from textkit.settings import spec_of, specs, validate
from textkit.text.pipeline import Pipeline
from textkit.text.readers import Source
from textkit.training.config import TrainConfig, chosen, resumed_config, run_config

CONFIGS = (
    TrainConfig,
    CharRNNConfig,
    CharMarkovConfig,
    SampleConfig,
    FeatureConfig,
    ClassifierConfig,
    Word2VecConfig,
    Doc2VecConfig,
    Pipeline,
    Source,
)
NO_CUDA = pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")


def _options_by_command() -> dict[str, dict[str, click.Option]]:
    ctx = click.Context(main)
    return {
        name: {p.name: p for p in main.get_command(ctx, name).params}
        for name in main.list_commands(ctx)
    }


def test_every_config_field_is_a_cli_option_or_marked_api_only():
    commands = _options_by_command()
    missing = []
    for cls in CONFIGS:
        for f in dataclasses.fields(cls):
            if not f.init:
                continue
            spec = spec_of(f)
            assert spec is not None, f"{cls.__name__}.{f.name} has no Spec (range, help, flag)"
            if not spec.cli:
                continue
            flag = spec.flag or "--" + f.name.replace("_", "-")
            found = [
                c for c, params in commands.items()
                if f.name in params and flag.split("/")[0] in params[f.name].opts
            ]  # fmt: skip
            if not found:
                missing.append(f"{cls.__name__}.{f.name}")
    assert not missing, f"settings with neither a CLI option nor an API-only mark: {missing}"


def test_no_command_declares_a_setting_twice():
    ctx = click.Context(main)
    for name in main.list_commands(ctx):
        params = [p.name for p in main.get_command(ctx, name).params]
        assert len(params) == len(set(params)), f"{name} repeats {params}"


@pytest.mark.parametrize(
    ("cls", "name", "ok", "bad"),
    [
        (CharRNNConfig, "dropout", 0.99, 1.0),
        (ClassifierConfig, "dropout", 0.999, 1.0),
        (ClassifierConfig, "val_fraction", 0.49, 0.5),
        (CharRNNConfig, "val_fraction", 0.49, 0.5),
        (TrainConfig, "momentum", 0.9999, 1.0),
        (TrainConfig, "seed", 2**63 - 1, 2**63),
        (Word2VecConfig, "seed", 2**31 - 1, 2**31),
    ],
)
def test_a_range_edge_is_the_same_for_the_api_and_the_cli(cls, name, ok, bad, run):
    """One Spec decides both: the value the API accepts the CLI accepts, and vice versa."""
    validate(dataclasses.replace(cls() if cls is not Source else cls("x"), **{name: ok}))
    with pytest.raises(TextkitError, match=name):
        validate(dataclasses.replace(cls(), **{name: bad}))
    spec = next(s for f, s in specs(cls) if f.name == name)
    command = {
        CharRNNConfig: "train-charrnn",
        ClassifierConfig: "train-intent",
        TrainConfig: "train-intent",
        Word2VecConfig: "train-word2vec",
    }[cls]
    flag = spec.flag or "--" + name.replace("_", "-")
    r = run(command, "no-such-file", flag, repr(bad))
    assert r.exit_code == 2 and flag in r.output
    r = run(command, "no-such-file", flag, repr(ok))
    assert r.exit_code == 1 and "no such file" in r.output  # the value passed; the file did not


class _Stop(TextkitError):
    pass


@pytest.fixture
def captured(monkeypatch):
    """The TrainConfig each Trainer is built with; training stops right there."""
    from textkit.training import loop

    seen: list[TrainConfig] = []

    def init(self, cfg, *args, **kwargs):
        seen.append(cfg)
        raise _Stop("stopped by the test")

    monkeypatch.setattr(loop.Trainer, "__init__", init)
    return seen


TYPED = {
    "--device": ("cpu", "device", "cpu"),
    "--optimizer": ("sgd", "optimizer", "sgd"),
    "--patience": ("3", "patience", 3),
    "--eval-every": ("7", "eval_every", 7),
    "--no-amp": (None, "amp", False),
    "--swa": ("0.4", "swa", 0.4),
    "--clip": ("1.5", "clip", 1.5),
    "--weight-decay": ("0.01", "weight_decay", 0.01),
    "--warmup": ("2", "warmup", 2),
    "--schedule": ("linear", "schedule", "linear"),
    "--progress": (None, "progress", True),
    "--overfit-batch": (None, "overfit_batch", True),
    "--plateau-evals": ("2", "plateau_evals", 2),
    "--tensorboard": ("tb", "tensorboard", "tb"),
}


@pytest.mark.parametrize("command", ["train-intent", "train-author"])
@pytest.mark.parametrize("flag", sorted(TYPED))
def test_each_training_option_reaches_the_classifier_trainer(command, flag, captured, run, repo):
    """The bug this replaces: these options were dropped unless --lr, a limit or a seed was
    typed too."""
    value, name, expected = TYPED[flag]
    data = repo / "corpora" / ("intents.json" if command == "train-intent" else "presidents.csv")
    r = run(
        command,
        data,
        flag,
        *([value] if value else []),
        "--val-fraction",
        "0",
        "--classifier",
        "mlp",
    )
    assert r.exit_code == 1 and "stopped by the test" in r.output, r.output
    cfg = captured[0]
    assert getattr(cfg, name) == expected
    # the kind's defaults still fill the rest: a limit, its LR and its evaluation cadence
    assert cfg.max_steps >= 100 and cfg.lr == 1e-2
    if name != "eval_every":
        assert cfg.eval_every >= 20


def test_a_seed_changes_no_other_default(captured, run, repo):
    data = repo / "corpora" / "intents.json"
    for seed in ("0", "1"):
        run("train-intent", data, "--seed", seed, "--val-fraction", "0", "--classifier", "mlp")
    a, b = captured
    assert (a.max_steps, a.eval_every, a.lr) == (b.max_steps, b.eval_every, b.lr)
    assert (a.seed, b.seed) == (0, 1)


def test_word2vec_torch_options_reach_its_trainer(captured, run, lee_corpus, tmp_path):
    r = run(
        "train-word2vec",
        lee_corpus,
        "--backend",
        "torch",
        "--device",
        "cpu",
        "--progress",
        "--alpha",
        "0.05",
        "--epochs",
        "2",
        "--batch-words",
        "256",
        "--seed",
        "4",
        "--models-dir",
        tmp_path,
    )
    assert "stopped by the test" in r.output, r.output
    cfg = captured[0]
    assert (cfg.device, cfg.progress, cfg.lr, cfg.seed, cfg.optimizer) == (
        "cpu",
        True,
        0.05,
        4,
        "sgd",
    )
    assert cfg.max_steps > 0 and cfg.eval_every > 0 and cfg.max_steps % cfg.eval_every == 0


def test_swa_alone_means_its_default_fraction(captured, run, repo):
    run(
        "train-intent",
        repo / "corpora" / "intents.json",
        "--swa",
        "--val-fraction",
        "0",
        "--classifier",
        "mlp",
    )
    assert captured[0].swa == 0.25


TRAINERS = [
    ("train-charrnn", "poems.txt"),
    ("train-charrnn", "poems.txt", "--kind", "charmarkov"),
    ("train-charrnn", "poems.txt", "--cell", "markov"),
    ("train-intent", "intents.json"),
    ("train-intent", "intents.json", "--classifier", "linear"),
    ("train-intent", "intents.json", "--classifier", "mlp"),
    ("train-intent", "intents.json", "--classifier", "nb"),
    ("train-author", "presidents.csv"),
    ("train-author", "presidents.csv", "--classifier", "mlp"),
    ("train-word2vec", "poems.txt"),
    ("train-word2vec", "poems.txt", "--backend", "torch"),
    ("train-doc2vec", "poems.txt"),
]


@NO_CUDA
@pytest.mark.parametrize("args", TRAINERS, ids=" ".join)
@pytest.mark.parametrize("device", ["cuda", "cuda:1", "tpu"])
def test_a_device_this_machine_lacks_is_a_clean_error_for_every_trainer(
    args, device, run, workdir, repo
):
    import shutil

    for name in ("intents.json", "presidents.csv"):
        shutil.copy(repo / "corpora" / name, workdir / name)
    r = run(*args, "--device", device)
    assert r.exit_code == 1, r.output
    assert ("CUDA is not available" if device.startswith("cuda") else "unknown device") in r.output
    assert "Traceback" not in r.output
    models = workdir / "models"
    assert not models.exists() or not [p for p in models.iterdir() if not p.name.startswith(".")]


def test_chosen_and_run_config_merge_defaults_with_what_was_chosen():
    assert chosen(None) == {} and chosen({"lr": 0.1}) == {"lr": 0.1}
    assert chosen(TrainConfig(lr=0.1, seed=0)) == {"lr": 0.1}  # defaults are not "chosen"
    with pytest.raises(TextkitError, match="unknown setting"):
        chosen({"learning_rate": 0.1})
    defaults = {"max_steps": 100, "lr": 1e-2, "eval_every": 10}
    cfg = run_config({"epochs": 2}, defaults)  # a limit typed replaces the default limit
    assert (cfg.max_steps, cfg.epochs, cfg.lr, cfg.eval_every) == (None, 2, 1e-2, 10)
    cfg = run_config({"lr": 0.5, "device": "cpu"}, defaults)
    assert (cfg.max_steps, cfg.lr, cfg.device) == (100, 0.5, "cpu")
    with pytest.raises(TextkitError, match="give a limit"):
        run_config({}, {"lr": 1e-2, "eval_every": 10})


def test_resumed_config_keeps_the_saved_run_but_not_where_it_ran():
    saved = run_config(
        {"schedule": "constant", "seed": 5, "device": "cuda", "progress": True},
        {"max_steps": 40, "lr": 2e-3, "eval_every": 20},
    ).to_dict()
    cfg = resumed_config(saved, {"max_steps": 60})
    assert (cfg.schedule, cfg.seed, cfg.max_steps, cfg.lr) == ("constant", 5, 60, 2e-3)
    assert (cfg.device, cfg.progress) == ("auto", None)


def test_a_preset_fills_only_the_shape_a_model_was_not_given(sonnets, tmp_path):
    from textkit.charrnn import CharRNN

    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:5000], encoding="utf-8")
    model = CharRNN(hidden=32)
    model.fit(
        corpus, tmp_path / "m", {"max_steps": 3, "device": "cpu", "progress": False}, preset="tiny"
    )
    assert (model.config.hidden, model.config.embedding, model.config.layers) == (32, 16, 1)
    assert model.info["training"]["lr"] == 5e-3  # the preset's LR, as none was chosen


def test_the_author_defaults_are_written_once():
    from textkit.authorship import AuthorClassifier

    assert AuthorClassifier.DEFAULT_FEATURES is AUTHOR_FEATURES
    assert AuthorClassifier().feature_config.char_span == "words"


def test_families_drive_what_commands_and_the_server_accept():
    from textkit.kinds import FAMILIES, KINDS, kinds_of
    from textkit.serve.registry import SERVABLE

    assert kinds_of("generator") == ("charrnn", "charmarkov")
    assert kinds_of("classifier") == ("intent", "author")
    assert all(k.family in FAMILIES for k in KINDS.values())
    assert set(SERVABLE) == {*kinds_of("generator"), *kinds_of("classifier")}
    with pytest.raises(KeyError):
        kinds_of("regressor")
