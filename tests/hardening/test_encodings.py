"""Class 7: byte-order marks are recognised, --encoding is honoured, NUL is refused anywhere."""

import codecs

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from textkit.errors import TextkitError
from textkit.text.io import read_corpus, read_text_file
from textkit.text.readers import read_documents

TEXT = "Ma fille était là.\nTo be, or not to be — “that” is the question.\n東京 ✓\n"


@pytest.mark.parametrize("codec", ["utf-16", "utf-16-le", "utf-16-be", "utf-32", "utf-8-sig"])
def test_a_bom_decides_with_or_without_the_encoding_option(tmp_path, codec):
    path = tmp_path / "t.txt"
    bom = {"utf-16-le": codecs.BOM_UTF16_LE, "utf-16-be": codecs.BOM_UTF16_BE}.get(codec, b"")
    path.write_bytes(bom + TEXT.encode(codec))
    assert read_text_file(path) == TEXT
    family = "utf-32" if "32" in codec else "utf-16" if "16" in codec else "utf-8"
    assert read_text_file(path, encoding=family) == TEXT
    assert [d.text for d in read_documents(path, "lines")] == TEXT.splitlines()


def test_a_utf16_file_without_bom_needs_its_encoding(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(TEXT.encode("utf-16-le"))
    with pytest.raises(TextkitError, match="binary"):
        read_text_file(path)
    assert read_text_file(path, encoding="utf-16-le") == TEXT
    assert len(list(read_documents(path, "lines", encoding="utf-16-le"))) == 3


def test_an_explicit_8bit_encoding_is_honoured(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes("café crème\n".encode("cp1252"))
    assert read_text_file(path, encoding="cp1252") == "café crème\n"
    with pytest.raises(TextkitError, match="not valid utf-8"):
        read_text_file(path)


def test_nul_anywhere_is_refused_with_its_line(tmp_path):
    path = tmp_path / "t.txt"
    path.write_bytes(b"ordinary text\n" * 2000 + b"then a \x00 here\n")  # past the first 8 KB
    with pytest.raises(TextkitError, match="line 2001: contains a NUL"):
        read_corpus([path])
    with pytest.raises(TextkitError, match="line 2001: contains a NUL"):
        list(read_documents(path, "lines"))
    wide = tmp_path / "w.txt"
    wide.write_bytes(codecs.BOM_UTF16_LE + "a\nb\x00c\n".encode("utf-16-le"))
    with pytest.raises(TextkitError, match="line 2: contains a NUL"):
        read_text_file(wide)


CODECS = ["utf-8", "utf-8-sig", "utf-16", "utf-32"]


@settings(max_examples=60, deadline=None)
@given(
    text=st.text(st.characters(blacklist_categories=("Cs",)), max_size=300),
    codec=st.sampled_from(CODECS),
)
def test_any_text_round_trips_in_any_utf_encoding_or_is_refused_for_nul(
    tmp_path_factory, text, codec
):
    path = tmp_path_factory.mktemp("enc") / "t.txt"
    path.write_bytes(text.encode(codec))
    expected = text.removeprefix("\ufeff").replace("\r\n", "\n")
    # a UTF-16 BOM followed by U+0000 is the UTF-32 BOM: such a file reads as UTF-32
    ambiguous = codec == "utf-16" and text.startswith("\x00")
    try:
        got = read_text_file(path)
    except TextkitError as exc:
        assert "\x00" in text or ambiguous, exc
        return
    assert "\x00" not in got  # never a NUL in text handed to a model
    assert got == expected or ambiguous


FIELD = st.text(
    st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\r"), max_size=40
)


@settings(max_examples=60, deadline=None)
@given(
    rows=st.lists(st.tuples(FIELD, FIELD), min_size=1, max_size=8),
    fmt=st.sampled_from(["csv", "tsv", "jsonl"]),
)
def test_readers_return_exactly_what_was_written_or_a_clear_error(tmp_path_factory, rows, fmt):
    import csv
    import json

    path = tmp_path_factory.mktemp("rows") / f"data.{fmt}"
    if fmt == "jsonl":
        path.write_text("".join(json.dumps({"text": t, "label": lb}) + "\n" for t, lb in rows))
    else:
        with open(path, "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh, delimiter="," if fmt == "csv" else "\t")
            writer.writerow(["text", "label"])
            writer.writerows(rows)
    try:
        docs = list(read_documents(path, text_column="text", label_column="label"))
    except TextkitError:
        return
    assert [(d.text, d.label) for d in docs] == rows
