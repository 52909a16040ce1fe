"""Reading corpora and turning them into tokens: readers for every input format, and the
Pipeline (normalise, tokenize, filter, stem) shared by the word-level models."""

from textkit.text.io import read_corpus, read_text_file
from textkit.text.pipeline import Pipeline, split_sentences
from textkit.text.readers import Document, read_documents

__all__ = [
    "Document",
    "Pipeline",
    "read_corpus",
    "read_documents",
    "read_text_file",
    "split_sentences",
]
