"""textkit: train and serve small text models (char-RNN generators, intent classifiers,
word embeddings, short-text authorship)."""

__version__ = "0.1.0"
