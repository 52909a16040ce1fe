"""textkit: train and serve small text models (char-RNN generators, intent classifiers,
word embeddings, short-text authorship).

The public API is imported lazily, so ``textkit --help`` doesn't pay for importing torch.
"""

from __future__ import annotations

from textkit.lazy import lazy_exports

__version__ = "0.1.0"

_EXPORTS = {
    "CharRNN": "textkit.charrnn.rnn",
    "CharRNNConfig": "textkit.charrnn.config",
    "CharMarkov": "textkit.charrnn.markov",
    "CharMarkovConfig": "textkit.charrnn.config",
    "Sample": "textkit.charrnn.generator",
    "TrainConfig": "textkit.training.config",
    "TrainResult": "textkit.training.runlog",
    "IntentClassifier": "textkit.intent.model",
    "Chatbot": "textkit.intent.chatbot",
    "AuthorClassifier": "textkit.authorship.model",
    "Word2Vec": "textkit.embeddings.model",
    "Doc2Vec": "textkit.embeddings.model",
    "Vectors": "textkit.embeddings.vectors",
    "Prediction": "textkit.classify.model",
    "ClassifierConfig": "textkit.classify.config",
    "FeatureConfig": "textkit.classify.config",
    "TextkitError": "textkit.errors",
    "TextkitWarning": "textkit.errors",
    "load_model": "textkit.loading",
    "read_corpus": "textkit.text.io",
    "Pipeline": "textkit.text.pipeline",
    "read_documents": "textkit.text.readers",
    "Source": "textkit.text.readers",
}

__all__ = [*sorted(_EXPORTS), "__version__"]

__getattr__ = lazy_exports(__name__, _EXPORTS)
