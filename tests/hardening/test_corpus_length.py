"""Class 2: any corpus length either trains or says it is too short; the batch arithmetic never
divides by zero or builds an empty batch."""

import warnings

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from textkit.charrnn.config import PRESETS
from textkit.charrnn.data import StreamBatches, fit_seq_len, min_chars, split_train_val
from textkit.errors import TextkitError, TextkitWarning


@settings(max_examples=400, deadline=None)
@given(
    n=st.integers(0, 3000),
    seq_len=st.integers(1, 300),
    batch=st.integers(1, 64),
    val_fraction=st.floats(1e-4, 0.49),
)
def test_every_length_trains_or_is_too_short(n, seq_len, batch, val_fraction):
    try:
        fitted = fit_seq_len(n, seq_len)
    except TextkitError as exc:
        assert "too short to train on" in str(exc) and n < min_chars(8)
        return
    assert 1 <= fitted <= seq_len and (fitted == seq_len or n < min_chars(seq_len))
    ids = np.arange(n, dtype=np.int16)
    train, val = split_train_val(ids, val_fraction, fitted)
    assert len(train) + len(val) == n and len(train) >= 2 * fitted and len(val) >= 2 * fitted
    for part, seed in ((train, 3), (val, 0)):
        b = StreamBatches(torch.from_numpy(part), batch, fitted, seed=seed)
        assert b.batches_per_epoch >= 1 and 1 <= b.streams <= batch
        for epoch in (0, 1, 7):
            for index in (0, b.batches_per_epoch - 1):
                x, y = b.batch(epoch, index)
                assert x.shape == y.shape == (b.streams, fitted)
                assert torch.equal(x[:, 1:], y[:, :-1])  # targets are the next characters


@pytest.mark.parametrize("n", [31, 32, 33, 99, 100, 101, 199, 200, 201, 399, 400, 401, 1000, 2001])
@pytest.mark.parametrize("preset", ["tiny", "small"])
def test_real_training_around_the_boundaries(tmp_path, sonnets, tiny_config, n, preset):
    from textkit.charrnn import CharRNN
    from textkit.charrnn.config import preset_config

    corpus = tmp_path / "c.txt"
    corpus.write_text(sonnets[: n - 1] + "\n", encoding="utf-8")
    model = CharRNN(preset_config(preset, hidden=16, embedding=8, layers=1))
    if n < min_chars(8):
        with pytest.raises(TextkitError, match="too short to train on"):
            model.fit(corpus, tmp_path / "m", tiny_config(max_steps=2, eval_every=1))
        assert not (tmp_path / "m").exists()
        return
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = model.fit(corpus, tmp_path / "m", tiny_config(max_steps=2, eval_every=1))
    assert result.steps == 2 and np.isfinite(result.best_val_loss)
    shortened = [w for w in caught if issubclass(w.category, TextkitWarning)]
    assert bool(shortened) == (n < min_chars(PRESETS[preset]["seq_len"]))
    model.generate(5, seed=0)


def test_a_tiny_val_fraction_still_keeps_a_validation_set(tmp_path, sonnets, run):
    (tmp_path / "c.txt").write_text(sonnets[:5000], encoding="utf-8")
    r = run(
        "train-charrnn",
        tmp_path / "c.txt",
        "--preset",
        "tiny",
        "--val-fraction",
        "0.0001",
        "--max-steps",
        "2",
        "--eval-every",
        "1",
        "--models-dir",
        tmp_path / "models",
        "--no-progress",
    )
    assert r.exit_code == 0, r.stderr
