"""Class 11: preparing a corpus costs a few bytes per character, not 20+.

Measured as a slope (extra peak per extra character, two corpus sizes), so fixed costs (the
interpreter, a chunk of temporaries) don't count; tracemalloc sees Python and numpy memory,
which is where preparation happens (the tensors share the numpy ids)."""

import tracemalloc

import pytest


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


def test_a_whole_training_run_prepares_its_corpus_in_a_few_bytes_per_character(
    texts, tmp_path, tiny_rnn, tiny_config
):
    small, large, extra = texts

    def fit(path, name):
        tiny_rnn(eval_chars=1000).fit(path, tmp_path / name, tiny_config(max_steps=1, eval_every=1))

    fit(small, "warm-up")  # imports (torch optimisers, matplotlib) are not preparation
    slope = (_peak(lambda: fit(large, "l")) - _peak(lambda: fit(small, "s"))) / extra
    # a file streams into the memory-mapped cache: no text, no ids held (was 4 bytes/char)
    assert slope < 0.5, f"{slope:.2f} bytes per character"
