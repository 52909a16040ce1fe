"""Entities in training data: Rasa's inline syntax, ``[Boston](city)``, ``[Boston](city:BOS)``
and ``[Boston]{"entity": "city", "value": "BOS"}``, read into the plain text and character
spans of it.  The same syntax is read inside Rasa YAML/Markdown examples, intents.json patterns
and the text column of a CSV; SNIPS's segments and the NLU Evaluation corpora's token spans
become the same spans.

A ``[`` that is not followed, after its ``]``, by ``(`` or ``{`` is ordinary text ("see [1]");
one that is must be a whole, well-formed annotation: every problem is reported with its column.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

ENTITY_NAME = re.compile(r"[A-Za-z_][\w.\-]*\Z")  # city, date-time, snips/city, B_0
# an annotation: [text] then (name) / (name:value) / {json}; the text has no brackets
_ANNOTATION = re.compile(
    r"\[(?P<text>[^\[\]\n]*)\](?:\((?P<paren>[^()\n]*)\)|(?P<json>\{[^{}\n]*\}))"
)
_OPENS = re.compile(r"\][({]")  # what makes a "[...]" an annotation attempt


@dataclass(frozen=True)
class Entity:
    """One entity of a text: ``text[start:end]`` is what was matched; ``value`` is the
    canonical value (after synonyms), ``confidence`` in [0, 1], ``extractor`` what found it
    (``crf``, ``regex``, ``lookup``; ``annotation`` in training data)."""

    entity: str
    value: str
    start: int
    end: int
    confidence: float = 1.0
    extractor: str = "annotation"
    role: str | None = field(default=None, compare=False)

    def to_dict(self) -> dict:
        out = {
            "entity": self.entity,
            "value": self.value,
            "start": self.start,
            "end": self.end,
            "confidence": round(float(self.confidence), 4),
            "extractor": self.extractor,
        }
        if self.role:
            out["role"] = self.role
        return out

    def to_rasa(self) -> dict:
        """Rasa's shape of an extracted entity (``/model/parse``'s ``entities``)."""
        out = {
            "entity": self.entity,
            "start": self.start,
            "end": self.end,
            "confidence_entity": round(float(self.confidence), 4),
            "value": self.value,
            "extractor": self.extractor,
        }
        if self.role:
            out["role"] = self.role
        return out


class AnnotationError(ValueError):
    """Every problem of one annotated text, each with its 1-based column."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def parse_annotated(text: str) -> tuple[str, tuple[Entity, ...]]:
    """(plain text, entities) of a text with inline annotations; the plain text is stripped of
    surrounding whitespace and the offsets refer to it.  Raises AnnotationError listing every
    problem (unclosed or nested brackets, an empty annotation, a bad entity name or JSON)."""
    if "[" not in text and "]" not in text:
        stripped = text.strip()
        return stripped, ()
    problems: list[str] = []
    plain: list[str] = []
    entities: list[Entity] = []
    at = 0  # position in text
    length = 0  # length of the plain text so far
    for match in _ANNOTATION.finditer(text):
        before = text[at : match.start()]
        _check_plain(before, at, problems)
        plain.append(before)
        length += len(before)
        words = match["text"]
        column = match.start() + 1
        name, value, role = _meaning(match, column, problems)
        if not words.strip():
            problems.append(f"column {column}: an annotation with no text")
        elif words != words.strip():
            problems.append(
                f"column {column}: annotated text {words!r} starts or ends with a space"
            )
        elif name is not None:
            entities.append(
                Entity(
                    name,
                    value if value is not None else words,
                    length,
                    length + len(words),
                    role=role,
                )
            )
        plain.append(words)
        length += len(words)
        at = match.end()
    rest = text[at:]
    _check_plain(rest, at, problems)
    plain.append(rest)
    if problems:
        raise AnnotationError(problems)
    joined = "".join(plain)
    lead = len(joined) - len(joined.lstrip())
    stripped = joined.strip()
    return stripped, tuple(
        Entity(e.entity, e.value, e.start - lead, e.end - lead, e.confidence, e.extractor, e.role)
        for e in entities
    )


def _meaning(
    match: re.Match, column: int, problems: list[str]
) -> tuple[str | None, str | None, str | None]:
    """(entity name, value or None, role or None) of one annotation's ``(...)`` or ``{...}``."""
    if match["paren"] is not None:
        name, _, value = match["paren"].partition(":")
        name, value = name.strip(), value.strip() or None
        role = None
    else:
        try:
            spec = json.loads(match["json"])
        except ValueError:
            problems.append(f"column {column}: {match['json']} is not valid JSON")
            return None, None, None
        if not isinstance(spec, dict) or not isinstance(spec.get("entity"), str):
            problems.append(f'column {column}: {match["json"]} needs an "entity" name')
            return None, None, None
        name = spec["entity"].strip()
        value = spec.get("value")
        if value is not None and not isinstance(value, (str, int, float)):
            problems.append(f"column {column}: the value of {name!r} must be text")
            return None, None, None
        value = None if value is None else str(value)
        role = spec.get("role") if isinstance(spec.get("role"), str) else None
    if not ENTITY_NAME.match(name):
        problems.append(
            f"column {column}: {name!r} is not an entity name (letters, digits, _ . -; no spaces)"
        )
        return None, None, None
    return name, value, role


def _check_plain(segment: str, offset: int, problems: list[str]) -> None:
    """Text between annotations: a ``](`` or ``]{`` left there began an annotation that is
    not well formed (unclosed, nested, or with brackets inside)."""
    for m in _OPENS.finditer(segment):
        problems.append(f"column {offset + m.start() + 1}: an unclosed or nested annotation")


def annotate(text: str, entities: tuple[Entity, ...] | list[Entity]) -> str:
    """``text`` with ``entities`` written inline (the inverse of ``parse_annotated``): the
    ``[words](name)`` form, or the JSON form when the value differs from the words."""
    out, at = [], 0
    for e in sorted(entities, key=lambda e: e.start):
        words = text[e.start : e.end]
        out.append(text[at : e.start])
        if e.value == words and e.role is None:
            out.append(f"[{words}]({e.entity})")
        else:
            spec = {"entity": e.entity, "value": e.value}
            if e.role:
                spec["role"] = e.role
            out.append(f"[{words}]{json.dumps(spec, ensure_ascii=False)}")
        at = e.end
    out.append(text[at:])
    return "".join(out)


def check_spans(text: str, entities: list[Entity], where: str) -> list[str]:
    """Problems of spans given by offsets (SNIPS, NLU Evaluation, JSON records): out of the
    text, empty, overlapping."""
    problems = []
    last_end, last = -1, None
    for e in sorted(entities, key=lambda e: (e.start, e.end)):
        if not (0 <= e.start < e.end <= len(text)):
            problems.append(
                f"{where}: entity {e.entity!r} at {e.start}-{e.end} is outside the text"
            )
            continue
        if e.start < last_end:
            problems.append(f"{where}: entities {last!r} and {e.entity!r} overlap")
        last_end, last = max(last_end, e.end), e.entity
    return problems


def parse_or_note(
    text: str, where: str, problems: list[str]
) -> tuple[str, tuple[Entity, ...]] | None:
    """``parse_annotated``, with its problems added to ``problems`` (each prefixed by
    ``where``) instead of raised, so a reader can list every problem of a file at once."""
    try:
        return parse_annotated(text)
    except AnnotationError as exc:
        problems.extend(f"{where}, {p}" for p in exc.problems)
        return None


def token_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each token, a run of word characters or one other non-space character:
    how the NLU Evaluation corpora count the tokens their entity spans refer to ("u-bahn" is
    three tokens there)."""
    return [(m.start(), m.end()) for m in re.finditer(r"\w+|[^\w\s]", text)]
