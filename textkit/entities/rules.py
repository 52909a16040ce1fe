"""Entities by rule: regexes, lookup tables and synonyms (Rasa's ``regex:``, ``lookup:`` and
``synonym:`` sections, and synonyms learnt from annotations whose value differs from their
text, ``[NYC]{"entity": "city", "value": "New York"}``).

One rule for overlaps, between rules and with the tagger: the longer span wins; at equal
length the earlier one; at the same span, a regex over a lookup over the tagger.  Synonyms
then map every extracted value (case-insensitively) to its canonical value.

Regexes come from training data and a model folder, so they are data: compiled by ``regex``
and matched with a time limit per text (a pattern that backtracks catastrophically gives up
and is reported, never freezing the server).  Lookup tables are bounded in entries and length.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from textkit.entities.annotations import ENTITY_NAME, Entity
from textkit.errors import TextkitError
from textkit.text.pipeline import PATTERN_SECONDS, compile_pattern

MAX_LOOKUP_ENTRIES = 100_000  # over all tables: a million-entry table is refused, not loaded
MAX_PHRASE_TOKENS = 8  # a lookup phrase of more tokens is refused
MAX_REGEXES = 200
PRIORITY = {"regex": 0, "lookup": 1, "crf": 2}  # at the same span, the lower wins
_WORD = re.compile(r"\w+|[^\w\s]")


@dataclass
class Rules:
    regexes: list[tuple[str, str]] = field(default_factory=list)  # (entity, pattern)
    lookups: dict[str, list[str]] = field(default_factory=dict)  # entity -> phrases
    synonyms: dict[str, str] = field(default_factory=dict)  # lower-cased text -> value

    def __post_init__(self) -> None:
        self.check()
        self._compiled = [
            (name, compile_pattern(p, "entity regex", groups=True)) for name, p in self.regexes
        ]
        self._phrases: dict[tuple[str, ...], str] = {}
        for name, phrases in self.lookups.items():
            for phrase in phrases:
                key = tuple(w.lower() for w in _WORD.findall(phrase))
                if key:
                    self._phrases.setdefault(key, name)
        self._longest = max((len(k) for k in self._phrases), default=0)

    def check(self) -> None:
        problems = []
        if len(self.regexes) > MAX_REGEXES:
            problems.append(f"{len(self.regexes)} regexes (at most {MAX_REGEXES})")
        total = sum(len(v) for v in self.lookups.values())
        if total > MAX_LOOKUP_ENTRIES:
            problems.append(f"lookup tables of {total:,} entries (at most {MAX_LOOKUP_ENTRIES:,})")
        names = [n for n, _ in self.regexes] + list(self.lookups)
        problems += [f"{n!r} is not an entity name" for n in names if not ENTITY_NAME.match(n)]
        long = [
            p for v in self.lookups.values() for p in v if len(_WORD.findall(p)) > MAX_PHRASE_TOKENS
        ]
        if long:
            problems.append(
                f"lookup phrases of more than {MAX_PHRASE_TOKENS} words ({long[0][:40]!r}...)"
            )
        if problems:
            raise TextkitError("entity rules: " + "; ".join(problems))

    def __bool__(self) -> bool:
        return bool(self.regexes or self.lookups or self.synonyms)

    def extract(self, text: str) -> list[Entity]:
        """Every regex and lookup match (overlaps not yet resolved)."""
        out = []
        for name, compiled in self._compiled:
            try:
                matches = list(compiled.finditer(text, timeout=PATTERN_SECONDS + len(text) / 1e6))
            except TimeoutError:
                raise TextkitError(
                    f"the entity regex {compiled.pattern!r} took too long on a text of "
                    f"{len(text):,} characters (it backtracks); simplify it"
                ) from None
            out += [
                Entity(name, m.group(), m.start(), m.end(), 1.0, "regex")
                for m in matches
                if m.end() > m.start()
            ]
        if self._phrases:
            tokens = [(m.start(), m.end(), m.group().lower()) for m in _WORD.finditer(text)]
            for i in range(len(tokens)):
                for n in range(min(self._longest, len(tokens) - i), 0, -1):
                    key = tuple(t[2] for t in tokens[i : i + n])
                    name = self._phrases.get(key)
                    if name is not None:
                        s, e = tokens[i][0], tokens[i + n - 1][1]
                        out.append(Entity(name, text[s:e], s, e, 1.0, "lookup"))
                        break
        return out

    def canonical(self, entity: Entity) -> Entity:
        value = self.synonyms.get(entity.value.lower())
        if value is None or value == entity.value:
            return entity
        return Entity(
            entity.entity,
            value,
            entity.start,
            entity.end,
            entity.confidence,
            entity.extractor,
            entity.role,
        )

    def to_dict(self) -> dict:
        return {
            "regexes": [list(r) for r in self.regexes],
            "lookups": self.lookups,
            "synonyms": self.synonyms,
        }

    @classmethod
    def from_dict(cls, data, where: str) -> Rules:
        try:
            regexes = [(str(n), str(p)) for n, p in data.get("regexes", [])]
            lookups = {str(k): [str(p) for p in v] for k, v in data.get("lookups", {}).items()}
            synonyms = {str(k).lower(): str(v) for k, v in data.get("synonyms", {}).items()}
        except (AttributeError, TypeError, ValueError):
            raise TextkitError(f"{where} is corrupt (regexes, lookups, synonyms)") from None
        return cls(regexes, lookups, synonyms)


def resolve(entities: list[Entity]) -> list[Entity]:
    """Non-overlapping entities by the one rule (longer, earlier, regex > lookup > tagger),
    in text order."""
    ranked = sorted(
        entities, key=lambda e: (-(e.end - e.start), e.start, PRIORITY.get(e.extractor, 3))
    )
    kept: list[Entity] = []
    for e in ranked:
        if all(e.end <= k.start or e.start >= k.end for k in kept):
            kept.append(e)
    return sorted(kept, key=lambda e: e.start)


def learnt_synonyms(texts: list[str], entities: list[tuple]) -> dict[str, str]:
    """Annotated text -> value where an annotation gave a value other than its text."""
    out = {}
    for text, spans in zip(texts, entities, strict=True):
        for e in spans:
            words = text[e.start : e.end]
            if e.value != words:
                out[words.lower()] = e.value
    return out
