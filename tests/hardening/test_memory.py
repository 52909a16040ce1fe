"""Class 11: preparing a corpus costs a few bytes per character, not 20+.

Measured as a slope (extra peak per extra character, two corpus sizes), so fixed costs (the
interpreter, a chunk of temporaries) don't count.  Reading and encoding are measured with
tracemalloc (Python and numpy, where they happen); a whole training run with the process's own
memory (``_support.memory``), which also sees torch's allocator."""

import os
import subprocess
import sys
import tracemalloc
from pathlib import Path

import pytest
from _support.memory import anon_bytes, peak_anon_bytes


def _peak(fn) -> int:
    tracemalloc.start()
    try:
        fn()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.fixture(scope="module")
def texts(tmp_path_factory, sonnets):
    """Real verse, 1.5M and 4.5M characters (the sonnets repeated), written to files."""
    root = tmp_path_factory.mktemp("mem")
    small, large = root / "small.txt", root / "large.txt"
    small.write_text(sonnets * 16, encoding="utf-8")
    large.write_text(sonnets * 48, encoding="utf-8")
    return small, large, len(sonnets) * 32


def test_reading_and_encoding_cost_a_few_bytes_per_character(texts):
    from textkit.charrnn.data import Vocab, split_train_val
    from textkit.text.io import read_corpus

    def prepare(path):
        corpus = read_corpus([path])
        assert corpus.fingerprint
        ids = Vocab.from_text(corpus.text).encode(corpus.text)
        split_train_val(ids, 0.1, 100)

    small, large, extra = texts
    slope = (_peak(lambda: prepare(large)) - _peak(lambda: prepare(small))) / extra
    assert slope < 4.0, f"{slope:.2f} bytes per character"  # text 1 + ids 2 (+ a read buffer)


_TRAIN_ONE_STEP = """
import sys
from _support.memory import peak_anon_bytes
from textkit.charrnn import CharRNN
from textkit.training.config import TrainConfig

model = CharRNN(embedding=16, hidden=64, layers=1, seq_len=50, batch_size=16, dropout=0.0,
                eval_chars=1000)
config = TrainConfig(max_steps=1, eval_every=1, device="cpu", progress=False, seed=0)
print(peak_anon_bytes(lambda: model.fit(sys.argv[1], sys.argv[2], config)))
"""


def _training_peak(path: Path, out: Path) -> int:
    """Peak memory of a fresh process training one step on ``path`` (the imports are the
    same for every size, so they cancel in a slope)."""
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run(
        [sys.executable, "-c", _TRAIN_ONE_STEP, str(path), str(out)],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.split()[-1])


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_the_memory_measure_sees_torch_tensors():
    import torch

    held = []
    before = anon_bytes()
    peak = peak_anon_bytes(lambda: held.append(torch.ones(10_000_000, dtype=torch.int64)))
    assert peak - before > 70_000_000  # the 80 MB torch's allocator holds
    base = anon_bytes()
    held.clear()
    assert anon_bytes() < base - 60_000_000  # ...and given back


@pytest.mark.skipif(not Path("/proc/self/status").is_file(), reason="needs Linux /proc")
def test_a_whole_training_run_prepares_its_corpus_in_a_few_bytes_per_character(tmp_path, sonnets):
    """Process memory (torch's included), 1.5M vs 15M characters: a file streams into the
    memory-mapped cache; neither the text nor its ids are held (was 4 bytes per character)."""
    small, large = tmp_path / "small.txt", tmp_path / "large.txt"
    small.write_text(sonnets * 16, encoding="utf-8")
    large.write_text(sonnets * 160, encoding="utf-8")
    extra = len(sonnets) * 144
    slope = (_training_peak(large, tmp_path / "l") - _training_peak(small, tmp_path / "s")) / extra
    assert slope < 0.5, f"{slope:.2f} bytes per character"
