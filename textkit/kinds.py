"""Every kind of model textkit can save, as data: where its class lives, its family, and which
metric is its headline; and per family, what the command line and the server look up (which
commands accept it, how many requests one served model runs at once).  Nothing is imported
here, so listing models or choosing a loader costs no torch import; ``textkit.loading`` imports
a kind's class on first use (like Hugging Face's lazy config maps)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    what: str  # how messages name a model of the family
    serve_concurrency: int | None  # requests one served model runs at once (None: not served)


# a generation holds a core for seconds; a classification takes about a millisecond
FAMILIES: dict[str, Family] = {
    f.name: f
    for f in (
        Family("generator", "char model", 4),
        Family("classifier", "text classifier", 64),
        Family("embeddings", "embedding model", None),
    )
}


@dataclass(frozen=True)
class Kind:
    name: str  # the "kind" written in config.json
    family: str  # a key of FAMILIES
    target: str  # "module:Class" of the class whose ``load(path, device)`` opens such a folder
    headline: str  # the metric `textkit models` shows, a key of config.json's "best_metrics"
    label: str  # how to show it
    percent: bool = False  # show the headline as a percentage


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("charrnn", "generator", "textkit.charrnn.rnn:CharRNN", "val_loss", "val loss"),
        Kind(
            "charmarkov", "generator", "textkit.charrnn.markov:CharMarkov", "val_loss", "val loss"
        ),
        Kind(
            "intent",
            "classifier",
            "textkit.intent.model:IntentClassifier",
            "val_accuracy",
            "accuracy",
            True,
        ),
        Kind(
            "author",
            "classifier",
            "textkit.authorship.model:AuthorClassifier",
            "val_accuracy",
            "accuracy",
            True,
        ),
        Kind(
            "word2vec",
            "embeddings",
            "textkit.embeddings.model:Word2Vec",
            "analogy_accuracy",
            "analogies",
            True,
        ),
        Kind("doc2vec", "embeddings", "textkit.embeddings.model:Doc2Vec", "documents", "documents"),
    )
}


def kinds_of(*names: str) -> tuple[str, ...]:
    """The kinds a command accepts, named by family ("generator") or kind ("intent")."""
    out: list[str] = []
    for name in names:
        if name in FAMILIES:
            out.extend(k.name for k in KINDS.values() if k.family == name)
        elif name in KINDS:
            out.append(name)
        else:
            raise KeyError(f"{name!r} is neither a model kind nor a family")
    return tuple(dict.fromkeys(out))


def family_of(kind: str) -> Family:
    return FAMILIES[KINDS[kind].family]


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
