"""The loop's sanity checks fire on broken set-ups and stay quiet on healthy ones; weight
averaging and TensorBoard logging."""

import math
import warnings

import pytest
import torch

from textkit.errors import TextkitError, TextkitWarning
from textkit.modelio import ModelFolder


def _fit(tmp_path, sonnets, tiny_rnn, tiny_config, name="m", model=None, **cfg):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000])
    model = model or tiny_rnn()
    logs = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(corpus, tmp_path / name, tiny_config(**cfg), log=logs.append)
    return (
        result,
        [str(w.message) for w in caught if issubclass(w.category, TextkitWarning)],
        logs,
        model,
    )


def test_a_healthy_run_raises_no_warning(tmp_path, sonnets, tiny_rnn, tiny_config):
    _, said, _, _ = _fit(tmp_path, sonnets, tiny_rnn, tiny_config, max_steps=60, eval_every=20)
    assert said == []


def test_an_overconfident_initialisation_is_caught_at_the_first_step(
    tmp_path, sonnets, tiny_rnn, tiny_config, monkeypatch
):
    from textkit.charrnn import model as net_module

    original = net_module.CharRNNNet.__init__

    def bad_init(self, vocab_size, config):
        original(self, vocab_size, config)
        torch.nn.init.normal_(self.head.weight, std=20.0)  # wildly confident random outputs

    monkeypatch.setattr(net_module.CharRNNNet, "__init__", bad_init)
    _, said, _, model = _fit(tmp_path, sonnets, tiny_rnn, tiny_config, max_steps=2, eval_every=2)
    expected = math.log(len(model.vocab_))
    assert any(f"far above ln({len(model.vocab_)}) = {expected:.3f}" in m for m in said)


def test_overfitting_one_batch(tmp_path, sonnets, tiny_rnn, tiny_config):
    _result, said, logs, _ = _fit(
        tmp_path,
        sonnets,
        tiny_rnn,
        tiny_config,
        name="ok",
        overfit_batch=True,
        max_steps=300,
        eval_every=300,
        lr=2e-2,
    )
    assert any(line.startswith("overfit one batch") for line in logs) and not said
    _, said, logs, _ = _fit(
        tmp_path,
        sonnets,
        tiny_rnn,
        tiny_config,
        name="stuck",
        overfit_batch=True,
        max_steps=30,
        eval_every=30,
        lr=1e-6,
    )
    assert any("could not overfit a single batch" in m for m in said)


def test_an_absurd_learning_rate_stops_with_advice(tmp_path, sonnets, tiny_rnn, tiny_config):
    with pytest.raises(TextkitError, match=r"exploded|diverged") as err:
        _fit(
            tmp_path,
            sonnets,
            tiny_rnn,
            tiny_config,
            optimizer="adam",
            lr=10.0,
            clip=0.0,
            max_steps=200,
            eval_every=50,
        )
    assert "Lower --lr" in str(err.value)


def test_a_loss_that_does_not_move_is_reported(tmp_path, sonnets, tiny_rnn, tiny_config):
    _, said, _, _ = _fit(
        tmp_path, sonnets, tiny_rnn, tiny_config, lr=1e-9, max_steps=12, eval_every=2
    )
    assert any("has not moved in 5 evaluations" in m for m in said)


def test_weight_averaging_is_evaluated_and_recorded(tmp_path, sonnets, tiny_rnn, tiny_config):
    result, _, logs, _model = _fit(
        tmp_path,
        sonnets,
        tiny_rnn,
        tiny_config,
        swa=0.5,
        max_steps=80,
        eval_every=20,
        schedule="constant",
    )
    rows = ModelFolder(tmp_path / "m").read_metrics()
    swa = [r for r in rows if r.get("swa")]
    assert (
        len(swa) == 1 and swa[0]["swa_averaged"] == 5 and math.isfinite(swa[0]["val_loss"])
    )  # steps 40..80
    best = min(r["val_loss"] for r in rows)
    assert result.best_val_loss == best
    if swa[0]["val_loss"] == best:
        assert any("weight averaging kept" in line for line in logs)


def test_tensorboard_events_and_a_clear_message_when_missing(
    tmp_path, sonnets, tiny_rnn, tiny_config, monkeypatch
):
    pytest.importorskip("tensorboard")
    _fit(
        tmp_path,
        sonnets,
        tiny_rnn,
        tiny_config,
        tensorboard=str(tmp_path / "tb"),
        max_steps=20,
        eval_every=10,
    )
    events = list((tmp_path / "tb").glob("events.out.tfevents.*"))
    assert events and events[0].stat().st_size > 0
    import builtins

    real_import = builtins.__import__

    def no_tensorboard(name, *args, **kwargs):
        if name.startswith("torch.utils.tensorboard"):
            raise ImportError("no tensorboard")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_tensorboard)
    with pytest.raises(TextkitError, match="needs the tensorboard package"):
        _fit(
            tmp_path,
            sonnets,
            tiny_rnn,
            tiny_config,
            name="m2",
            tensorboard=str(tmp_path / "tb2"),
            max_steps=2,
        )
