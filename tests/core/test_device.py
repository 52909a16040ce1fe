import pytest
import torch

from textkit.device import (
    amp_dtype,
    autocast,
    grad_scaler,
    resolve_device,
    rng_state,
    set_rng_state,
)
from textkit.errors import TextkitError


def test_cpu_and_auto():
    assert resolve_device("cpu") == torch.device("cpu")
    expected = "cuda" if torch.cuda.is_available() else None
    if expected is None and not (torch.backends.mps.is_available()):
        assert resolve_device("auto") == torch.device("cpu")
        assert amp_dtype(torch.device("cpu")) is None
        assert not grad_scaler(torch.device("cpu")).is_enabled()


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the message shown without CUDA")
@pytest.mark.parametrize("spec", ["cuda", "cuda:1"])
def test_cuda_missing_is_a_clear_error(spec):
    with pytest.raises(TextkitError, match="CUDA is not available"):
        resolve_device(spec)


@pytest.mark.parametrize("spec", ["tpu", "gpu0", "cuda:x"])
def test_unknown_device(spec):
    with pytest.raises(TextkitError, match="unknown device"):
        resolve_device(spec)


def test_autocast_is_a_no_op_on_cpu():
    with autocast(torch.device("cpu")):
        y = torch.ones(2, 2) @ torch.ones(2, 2)
    assert y.dtype == torch.float32


def test_rng_state_round_trip_survives_safe_loading(tmp_path):
    torch.manual_seed(3)
    state = rng_state()
    expected = torch.rand(3)
    torch.save(state, tmp_path / "s.pt")
    set_rng_state(torch.load(tmp_path / "s.pt", weights_only=True))
    assert torch.equal(torch.rand(3), expected)
