"""Reading corpora and turning them into tokens."""

from textkit.text.io import read_corpus, read_text_file

__all__ = ["read_corpus", "read_text_file"]
