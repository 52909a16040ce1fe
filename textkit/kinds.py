"""Every kind of model textkit can save, as data: where its class lives and which metric is its
headline.  Nothing is imported here, so listing models or choosing a loader costs no torch import;
``textkit.loading`` imports a kind's class on first use (like Hugging Face's lazy config maps).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    name: str  # the "kind" written in config.json
    target: str  # "module:Class" of the class whose ``load(path, device)`` opens such a folder
    headline: str  # the metric `textkit models` shows, a key of config.json's "best_metrics"
    label: str  # how to show it
    percent: bool = False  # show the headline as a percentage


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("charrnn", "textkit.charrnn.rnn:CharRNN", "val_loss", "val loss"),
        Kind("charmarkov", "textkit.charrnn.markov:CharMarkov", "val_loss", "val loss"),
        Kind("intent", "textkit.intent.model:IntentClassifier", "val_accuracy", "accuracy", True),
        Kind(
            "author", "textkit.authorship.model:AuthorClassifier", "val_accuracy", "accuracy", True
        ),
        Kind(
            "word2vec", "textkit.embeddings.model:Word2Vec", "analogy_accuracy", "analogies", True
        ),
        Kind("doc2vec", "textkit.embeddings.model:Doc2Vec", "documents", "documents"),
    )
}


def headline(config: dict) -> tuple[str, str] | None:
    """(label, formatted value) of a model's headline metric, read from its config.json."""
    kind = KINDS.get(config.get("kind"))
    best = config.get("best_metrics")
    if kind is None or not isinstance(best, dict):
        return None
    value = best.get(kind.headline)
    if not isinstance(value, (int, float)) or isinstance(value, bool):
        return None
    if kind.percent:
        return kind.label, f"{value:.1%}"
    return kind.label, f"{value:,}" if isinstance(value, int) else f"{value:.4f}"
