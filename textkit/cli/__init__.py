"""The `textkit` command line (``textkit.cli:main``)."""

from textkit.cli import author, charrnn, classify, embeddings, intent, models, serve, text  # noqa: F401 (registers)
from textkit.cli.base import main
from textkit.cli.params import parse_duration, unescape

__all__ = ["main", "parse_duration", "unescape"]
