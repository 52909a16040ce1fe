from textkit.charrnn.originality import OriginalityChecker

CORPUS = "the quick brown fox jumps over the lazy dog\nshall i compare thee to a summer's day\n"


def test_copied_mask_covers_exactly_the_shared_runs():
    checker = OriginalityChecker(CORPUS, n=8)
    text = "a slow brown fox jumped"
    mask = checker.copied_mask(text)
    copied = "".join(c for c, m in zip(text, mask, strict=True) if m)
    assert copied == " brown fox jump"
    assert checker.novel_fraction(text) == 1 - len(copied) / len(text)


def test_novel_text_and_short_text():
    checker = OriginalityChecker(CORPUS, n=8)
    assert checker.novel_fraction("zzzz yyyy xxxx") == 1.0
    assert checker.novel_fraction("") == 1.0
    assert not checker.copied_mask("brown").any()  # shorter than n


def test_lines_copied_by_run_or_verbatim():
    checker = OriginalityChecker(CORPUS, n=12, min_line=8)
    lines = checker.check_lines("quick brown fox ran\nsomething new here\nthe lazy cat")
    assert [ln.copied for ln in lines] == [True, False, False]
    checker = OriginalityChecker("ab\ncdefghij\n", n=20, min_line=8)
    assert [ln.copied for ln in checker.check_lines("cdefghij\nab")] == [True, False]


def test_shared_whitespace_or_punctuation_is_not_copying():
    corpus = "verse\n" + " " * 40 + "indented line\n" + "-" * 30 + "\n"
    checker = OriginalityChecker(corpus, n=20)
    text = " " * 30 + "brand new words here\n" + "-" * 25
    assert not checker.copied_mask(text).any()
    assert not any(ln.copied for ln in checker.check_lines(text))


def test_streamed_corpus_finds_runs_across_chunk_boundaries(sonnets, monkeypatch):
    """The corpus passes in chunks: a run cut by a chunk boundary is still found, and the
    result equals the one-chunk result."""
    import textkit.charrnn.originality as originality

    text = sonnets[5000:5400] + "\nnothing like this line is in the corpus at all\n"
    whole = OriginalityChecker(sonnets, n=20).check([text])[0]
    monkeypatch.setattr(originality, "SCAN_CHUNK", 37)
    chunked = OriginalityChecker(sonnets, n=20).check([text])[0]
    assert whole.mask[:400].all() and not whole.mask[-40:].any()
    assert (chunked.mask == whole.mask).all()
    assert [ln.copied for ln in chunked.lines] == [ln.copied for ln in whole.lines]
