"""Labelling the fallback inbox: the owner's answers (an intent, a new intent, or "out of
scope") become training examples in a *copy* of the training data, from which `train-intent`
makes the next version.  The original file is never touched, and the inbox entries are
forgotten only once the copy is written."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from textkit.classify.config import DEFAULT_OOS_LABELS
from textkit.errors import TextkitError
from textkit.text.readers import Intent

WRITABLE = (".json", ".yml", ".yaml")  # intents.json, Rasa NLU YAML


@dataclass
class Labelled:
    """What a labelling session decided: new examples per label, a new intent's responses,
    and the inbox entries it covered."""

    examples: dict[str, list[str]] = field(default_factory=dict)
    responses: dict[str, list[str]] = field(default_factory=dict)
    ids: list = field(default_factory=list)

    def add(self, label: str, entries: list[dict]) -> None:
        known = self.examples.setdefault(label, [])
        for entry in entries:
            if entry["text"].strip() and entry["text"] not in known:
                known.append(entry["text"])
            self.ids.append(entry["id"])

    def __len__(self) -> int:
        return sum(len(v) for v in self.examples.values())


def out_of_scope_label(labels) -> str:
    """The data's own out-of-scope label, or the first default one (``oos``)."""
    for label in labels:
        if label.lower() in DEFAULT_OOS_LABELS:
            return label
    return DEFAULT_OOS_LABELS[0]


def training_text(texts, suffix: str, added: Labelled | None = None) -> str:
    """``texts`` (``labelled_texts(..., annotations=True)``) plus ``added``, written as an
    intents.json (``.json``: every intent's responses, context and required slots kept) or
    Rasa NLU YAML (``.yml``/``.yaml``: the entity rules kept)."""
    from textkit.entities import annotate
    from textkit.text.nlu_formats import intents_json, rasa_yaml

    added = added or Labelled()
    intents: list[Intent] | None = texts.extra.get("intents")
    if suffix == ".json" and intents is not None:
        by_tag = {it.tag: it for it in intents}
        for label, new in added.examples.items():
            if label not in by_tag:
                by_tag[label] = Intent(label, [], list(added.responses.get(label, [])))
            seen = set(by_tag[label].patterns)
            by_tag[label].patterns += [t for t in new if t not in seen]
        return (
            json.dumps(
                {"intents": [it.to_dict() for it in by_tag.values()]}, indent=2, ensure_ascii=False
            )
            + "\n"
        )
    spans = texts.entities or [()] * len(texts)
    examples: dict[str, list[str]] = {}
    for text, label, entities in zip(texts.texts, texts.labels, spans, strict=True):
        examples.setdefault(label, []).append(annotate(text, entities) if entities else text)
    for label, new in added.examples.items():
        seen = set(examples.setdefault(label, []))
        examples[label] += [t for t in new if t not in seen]
    if suffix == ".json":
        responses = {it.tag: it.responses for it in intents or []} | added.responses
        for tag in responses:  # intents without patterns (a fallback) keep their responses
            examples.setdefault(tag, [])
        return intents_json(examples, responses)
    return rasa_yaml(examples, texts.extra.get("rules"))


def default_output(data: Path, model_name: str) -> Path:
    """Where the labelled copy goes unless -o says: the current folder, named after the model,
    in the data's own format when it can be written (intents.json or Rasa YAML)."""
    suffix = data.suffix.lower() if data.suffix.lower() in WRITABLE else ".yml"
    return Path.cwd() / f"{model_name}-labelled{suffix}"


def check_output(output: Path) -> None:
    if output.suffix.lower() not in WRITABLE:
        raise TextkitError(
            f"{output}: use a .json (intents.json) or .yml/.yaml (Rasa) name for the labelled copy"
        )
    if output.exists():
        raise TextkitError(
            f"{output} exists: give -o a new name (to add to an earlier copy, pass it as --data)"
        )
