"""Word and document embeddings with gensim as the engine: ``Word2Vec``, ``Doc2Vec``, and the
``Vectors`` object every query and export goes through."""

from __future__ import annotations

from textkit.lazy import lazy_exports

_EXPORTS = {
    "Word2Vec": ".model",
    "Doc2Vec": ".model",
    "Vectors": ".vectors",
    "Word2VecConfig": ".config",
    "Doc2VecConfig": ".config",
}
__all__ = sorted(_EXPORTS)

__getattr__ = lazy_exports(__name__, _EXPORTS)
