"""Round 3, class 9: a weights file whose size is not what its header describes is refused
before anything the size of the file is read or allocated."""

from __future__ import annotations

import resource
import shutil

import numpy as np
import pytest

from textkit.errors import TextkitError
from textkit.modelio.arrays import load_arrays, read_array_header, save_arrays


def _grow_sparse(path, extra: int) -> None:
    with open(path, "r+b") as fh:
        fh.truncate(path.stat().st_size + extra)  # a hole: no disk used, any size


@pytest.mark.parametrize("extra", [1, 6 << 30])  # one byte too many; a 6 GB sparse tail
def test_a_tail_beyond_the_header_is_refused_without_reading_it(tmp_path, extra):
    path = tmp_path / "w.safetensors"
    save_arrays(path, {"w": np.ones(10, dtype=np.float32)})
    _grow_sparse(path, extra)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for load in (load_arrays, read_array_header):
        with pytest.raises(TextkitError, match="bytes where its header describes"):
            load(path)
    grown_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert grown_kb < 200_000  # nothing near the file's size was read


def test_a_served_or_loaded_model_with_such_weights_is_one_line(workdir, run, kind_folders):
    for kind in ("charrnn", "intent"):
        shutil.copytree(kind_folders / kind, workdir / "models" / kind)
        weights = next((workdir / "models" / kind).glob("*.safetensors"))
        _grow_sparse(weights, 6 << 30)
    r = run("generate", "--model", "charrnn", "--length", "5")
    assert r.exit_code == 1 and "header describes" in r.stderr
    r = run("classify", "intent", "hello")
    assert r.exit_code == 1 and "header describes" in r.stderr
