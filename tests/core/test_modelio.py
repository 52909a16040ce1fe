import json
import os

import pytest
import torch

from textkit import __version__
from textkit.charrnn import CharRNN
from textkit.errors import TextkitError
from textkit.modelio import (
    FORMAT_VERSION,
    ModelFolder,
    atomic_path,
    atomic_write_bytes,
    fresh_model_dir,
    latest_model,
    list_models,
    load_weights,
    save_weights,
)


def test_weights_round_trip_and_checksum(tmp_path):
    tensors = {"w": torch.randn(3, 4), "b": torch.arange(5)}
    save_weights(tmp_path / "m.safetensors", tensors)
    back = load_weights(tmp_path / "m.safetensors")
    assert set(back) == {"w", "b"}
    assert torch.equal(back["w"], tensors["w"]) and torch.equal(back["b"], tensors["b"])


def test_truncated_weights_are_refused(tmp_path):
    path = tmp_path / "m.safetensors"
    save_weights(path, {"w": torch.randn(100)})
    path.write_bytes(path.read_bytes()[:-40])
    with pytest.raises(TextkitError, match="corrupt or truncated"):
        load_weights(path)


def test_flipped_bit_in_weights_is_detected(tmp_path):
    path = tmp_path / "m.safetensors"
    save_weights(path, {"w": torch.randn(100)})
    data = bytearray(path.read_bytes())
    data[-10] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(TextkitError, match="checksum"):
        load_weights(path)


def test_failed_write_keeps_the_old_file_and_leaves_no_temp(tmp_path):
    path = tmp_path / "config.json"
    atomic_write_bytes(path, b"good")
    with pytest.raises(RuntimeError), atomic_path(path) as tmp:
        tmp.write_bytes(b"half writ")
        raise RuntimeError("crash mid-write")
    assert path.read_bytes() == b"good"
    assert os.listdir(tmp_path) == ["config.json"]


def test_config_kind_and_version_checks(tmp_path):
    folder = ModelFolder(tmp_path / "m").create()
    cfg = folder.write_config("intent", {"x": 1})
    assert cfg["textkit_version"] == __version__ and cfg["format_version"] == FORMAT_VERSION
    with pytest.raises(TextkitError, match="holds a model of kind 'intent', not 'charrnn'"):
        folder.read_config(("charrnn",))
    cfg["format_version"] = FORMAT_VERSION + 1
    folder.file("config.json").write_text(json.dumps(cfg))
    with pytest.raises(TextkitError, match="newer textkit"):
        folder.read_config()
    folder.file("config.json").write_text("{not json")
    with pytest.raises(TextkitError, match="corrupt"):
        folder.read_config()


def test_missing_or_foreign_folders(tmp_path):
    with pytest.raises(TextkitError, match="no model at"):
        ModelFolder(tmp_path / "nope").read_config()
    (tmp_path / "empty").mkdir()
    with pytest.raises(TextkitError, match="not a textkit model folder"):
        CharRNN.load(tmp_path / "empty")


def test_unwritable_models_dir(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(TextkitError, match="cannot write"):
        ModelFolder(blocker / "m").create()


def test_fresh_dir_never_clobbers(tmp_path):
    assert fresh_model_dir(tmp_path, "poems") == tmp_path / "poems"
    (tmp_path / "poems").mkdir()
    (tmp_path / "poems-2").mkdir()
    assert fresh_model_dir(tmp_path, "poems") == tmp_path / "poems-3"
    assert fresh_model_dir(tmp_path, "poems", overwrite=True) == tmp_path / "poems"


def test_list_and_latest(tmp_path):
    with pytest.raises(TextkitError, match="no trained model"):
        latest_model(tmp_path)
    for name, kind in (("a", "charrnn"), ("b", "charmarkov"), ("c", "charrnn")):
        ModelFolder(tmp_path / name).create().write_config(kind, {"best_val_loss": 1.5})
    (tmp_path / "junk").mkdir()
    infos = list_models(tmp_path)
    assert [i.path.name for i in infos] == ["c", "b", "a"]
    assert latest_model(tmp_path).name == "c"
    assert latest_model(tmp_path, ("charmarkov",)).name == "b"


def test_metrics_truncation_for_resume(tmp_path):
    folder = ModelFolder(tmp_path).create()
    for step in (10, 20, 30):
        folder.append_metrics({"step": step, "val_loss": 1.0})
    with open(folder.file("metrics.jsonl"), "a") as fh:
        fh.write('{"step": 40, "val_')  # a line cut by a crash
    assert [r["step"] for r in folder.read_metrics()] == [10, 20, 30]
    folder.truncate_metrics(20)
    assert [r["step"] for r in folder.read_metrics()] == [10, 20]


def test_training_state_is_loaded_without_unpickling_code(tmp_path):
    folder = ModelFolder(tmp_path / "m").create()
    trace = tmp_path / "pwned"

    class Evil:  # unpickling it runs a command that leaves a file behind
        def __reduce__(self):
            return (os.system, (f"touch {trace}",))

    torch.save({"x": Evil()}, folder.file("train_state.pt"))
    with pytest.raises(TextkitError, match="not a textkit training state"):
        folder.load_state()
    assert not trace.exists()  # the payload never ran (the error alone would not prove it)
    torch.load(folder.file("train_state.pt"), weights_only=False)  # what an unsafe load does
    assert trace.exists()  # (so the check above could fail)


def _raw_safetensors(path, header: dict, payload: bytes) -> None:
    head = json.dumps(header).encode()
    path.write_bytes(len(head).to_bytes(8, "little") + head + payload)


@pytest.mark.parametrize(
    ("info", "problem"),
    [
        ({"dtype": "F32", "shape": [3], "data_offsets": [0, 8]}, "8 bytes for the shape"),
        ({"dtype": "F32", "shape": [1], "data_offsets": [12, 8]}, "outside the file"),
        ({"dtype": "F32", "shape": [-2], "data_offsets": [0, 8]}, "outside the file"),
        ({"dtype": "Q9", "shape": [2], "data_offsets": [0, 8]}, "Q9"),
        ({"dtype": "F32", "data_offsets": [0, 8]}, "shape"),
    ],
)
def test_numpy_arrays_are_checked_as_safetensors_checks_them(tmp_path, info, problem):
    """numpy arrays are views of the file's buffer, read without safetensors' reader: a header
    that lies about an array's size, place or type is refused, never read out of bounds."""
    from textkit.modelio import load_arrays

    path = tmp_path / "w.safetensors"
    _raw_safetensors(path, {"w": info}, b"\0" * 8)
    with pytest.raises(TextkitError, match=f"corrupt or truncated.*{problem}"):
        load_arrays(path)


def test_numpy_arrays_round_trip_writable(tmp_path):
    import numpy as np

    from textkit.modelio import load_arrays, save_arrays

    arrays = {"a": np.arange(12, dtype=np.float32).reshape(3, 4), "b": np.array([1, -2])}
    save_arrays(tmp_path / "w.safetensors", arrays)
    back = load_arrays(tmp_path / "w.safetensors")
    for name, value in arrays.items():
        assert back[name].dtype == value.dtype and np.array_equal(back[name], value)
    back["a"][0, 0] = 5  # a model may adjust what it loaded (as safetensors' copies allowed)
    assert back["a"][0, 0] == 5 and back["b"][0] == 1


def test_loading_pauses_the_garbage_collector_and_restores_it(kind_folders, tmp_path, monkeypatch):
    """Loading parses JSON with the cyclic collector off (a busy process otherwise pays a
    full collection per batch of parsed containers); it is back as it was afterwards, also
    when the load fails."""
    import gc
    import shutil

    from textkit.intent import IntentClassifier

    seen = []
    original = IntentClassifier._load_arrays

    def spy(self, folder, device):
        seen.append(gc.isenabled())
        return original(self, folder, device)

    monkeypatch.setattr(IntentClassifier, "_load_arrays", spy)
    try:
        assert gc.isenabled()
        IntentClassifier.load(kind_folders / "intent")
        assert gc.isenabled() and seen == [False]
        broken = tmp_path / "broken"
        shutil.copytree(kind_folders / "intent", broken)
        (broken / "vocab.json").write_text("{not json")
        with pytest.raises(TextkitError):
            IntentClassifier.load(broken)
        assert gc.isenabled()
        gc.disable()
        IntentClassifier.load(kind_folders / "intent")
        assert not gc.isenabled()  # a caller's own choice is kept
    finally:
        gc.enable()


def test_a_staged_runs_loss_plot_is_titled_with_its_final_name(tmp_path, monkeypatch):
    """Plots are drawn while a run is staged under a hidden name: the title says the model's."""
    import matplotlib.axes

    from textkit.plots import plot_metrics

    titles = []
    real = matplotlib.axes.Axes.set

    def recording(self, **kwargs):
        titles.append(kwargs.get("title"))
        return real(self, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "set", recording)
    folder = ModelFolder(tmp_path / ".bot.partial-1", publish_to=tmp_path / "bot")
    folder.path.mkdir()
    folder.append_metrics({"step": 1, "val_loss": 1.0, "train_loss": 1.2})
    assert plot_metrics(folder) == folder.path / "loss.png"
    assert "bot: loss" in titles
