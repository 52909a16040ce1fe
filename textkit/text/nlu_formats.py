"""Training data in other NLU tools' formats, read as labelled documents: Rasa's NLU YAML
(2.x/3.x: ``nlu:`` with ``- intent:`` and an ``examples: |`` list), Rasa's older Markdown
(``## intent:name`` then ``- example`` lines) and the NLU Evaluation corpora's JSON
(``{"sentences": [{"text", "intent", "training"}]}``).  Inline entity annotations
(``[Boston](city)``, ``[Boston]{"entity": "city", "value": "BOS"}``) are read into the plain
text and its entity spans (``textkit.entities.annotations``).  Also the writers ``textkit convert`` uses:
intents.json and Rasa YAML."""

from __future__ import annotations

import json
import re
import warnings
from collections.abc import Iterator
from pathlib import Path

from textkit.entities.annotations import Entity, check_spans, parse_or_note, token_spans
from textkit.errors import TextkitError, TextkitWarning

MD_SECTION = re.compile(r"^##\s*(\w+)\s*:\s*(.+?)\s*$")


def _example_lines(block: str) -> Iterator[tuple[int, str]]:
    """(line offset, text) of each ``- example`` line of an examples block."""
    for offset, line in enumerate(block.splitlines()):
        line = line.strip()
        if line.startswith("- "):
            yield offset, line[2:]
        elif line == "-":
            yield offset, ""


def load_rasa_yaml(path: Path, text: str) -> dict:
    """A Rasa NLU YAML file's content, parsed once for its examples and its entity rules."""
    import yaml

    try:
        data = yaml.safe_load(text)
    except RecursionError:
        raise TextkitError(f"{path}: not valid YAML (nested too deeply)") from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f", line {mark.line + 1}" if mark is not None else ""
        raise TextkitError(
            f"{path}{where}: not valid YAML ({getattr(exc, 'problem', exc)})"
        ) from None
    if not isinstance(data, dict) or not isinstance(data.get("nlu"), list):
        raise TextkitError(f"{path}: expected Rasa NLU data (a top-level 'nlu:' list)")
    return data


def read_rasa_yaml(path: Path, data: dict) -> Iterator[tuple[str, str, int, tuple]]:
    """(text, intent, line, entities) of every intent example of parsed Rasa NLU YAML
    (``load_rasa_yaml``), the inline annotations read into entity spans; every problem of the
    file is listed at once.  Synonyms, regexes and lookup tables: ``read_rasa_rules``."""
    problems = []
    for i, item in enumerate(data["nlu"]):
        if not isinstance(item, dict):
            problems.append(f"nlu[{i}] is not a mapping")
            continue
        if "intent" not in item:
            continue  # synonym:, regex:, lookup:
        intent, examples = item["intent"], item.get("examples")
        if not isinstance(intent, str) or not intent.strip():
            problems.append(f"nlu[{i}].intent must be a name")
            continue
        if isinstance(examples, str):
            values = [example for _, example in _example_lines(examples)]
        elif isinstance(examples, list):  # the long form: [{"text": ...}, ...]
            values = [e.get("text") if isinstance(e, dict) else e for e in examples]
        else:
            values = None
        if values is not None:
            for k, value in enumerate(values):
                where = f"intent {intent!r} example {k + 1}"
                parsed = parse_or_note(value, where, problems) if isinstance(value, str) else None
                if parsed and parsed[0]:
                    yield parsed[0], intent, i + 1, parsed[1]
        else:
            problems.append(f"nlu[{i}] (intent {intent!r}) has no 'examples' list")
    if problems:
        raise TextkitError(f"{path}: {len(problems)} problem(s): {'; '.join(problems[:20])}")


def read_rasa_rules(path: Path, data: dict) -> dict:
    """The entity rules of parsed Rasa NLU YAML (``load_rasa_yaml``): ``regex:`` and
    ``lookup:`` sections (an entity name and its patterns or phrases) and ``synonym:`` (a value
    and the texts that mean it), as ``Rules``'s fields."""
    rules: dict = {"regexes": [], "lookups": {}, "synonyms": {}}
    for item in data["nlu"]:
        if not isinstance(item, dict):
            continue
        examples = item.get("examples")
        lines = [e for _, e in _example_lines(examples)] if isinstance(examples, str) else []
        lines = [line for line in lines if line]
        for key in ("regex", "lookup", "synonym"):
            name = item.get(key)
            if name is None:
                continue
            if not isinstance(name, str) or not lines:
                raise TextkitError(f"{path}: a '{key}:' section needs a name and examples")
            if key == "regex":
                rules["regexes"] += [(name, line) for line in lines]
            elif key == "lookup":
                rules["lookups"].setdefault(name, []).extend(lines)
            else:
                rules["synonyms"].update({line.lower(): name for line in lines})
    return rules


def read_rasa_markdown(path: Path, text: str) -> Iterator[tuple[str, str, int, tuple]]:
    """(text, intent, line, entities) of every example under a ``## intent:name`` heading."""
    intent = None
    found = False
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), 1):
        heading = MD_SECTION.match(line)
        if heading:
            intent = heading.group(2) if heading.group(1).lower() == "intent" else None
            found = found or intent is not None
            continue
        stripped = line.strip()
        if intent and stripped.startswith("- "):
            parsed = parse_or_note(stripped[2:], f"line {number}", problems)
            if parsed and parsed[0]:
                yield parsed[0], intent, number, parsed[1]
    if not found:
        raise TextkitError(f"{path}: no '## intent:NAME' section (not Rasa Markdown NLU data)")
    if problems:
        raise TextkitError(f"{path}: {len(problems)} problem(s): {'; '.join(problems[:20])}")


def is_nlu_evaluation(data) -> bool:
    """The NLU Evaluation corpora's shape: ``{"sentences": [{"text", "intent", ...}]}``."""
    sentences = data.get("sentences") if isinstance(data, dict) else None
    return (
        isinstance(sentences, list)
        and bool(sentences)
        and all(isinstance(s, dict) and "text" in s and "intent" in s for s in sentences)
    )


def read_nlu_evaluation(
    path: Path, data: dict, split: str | None
) -> Iterator[tuple[str, str, int, tuple]]:
    """(text, intent, number, entities) of its sentences: all of them, or ``split``
    "train"/"test" (the corpus's own ``training`` flag).  Entities are spans of whitespace
    tokens (``start``..``stop``, inclusive) whose ``text`` must match those tokens."""
    if split not in (None, "train", "test"):
        raise TextkitError(f"{path}: choose the split with --json-key train or test, not {split!r}")
    problems: list[str] = []
    moved: list[str] = []
    for i, s in enumerate(data["sentences"]):
        if split is not None and bool(s.get("training")) != (split == "train"):
            continue
        if not isinstance(s["text"], str) or not isinstance(s["intent"], str):
            raise TextkitError(f"{path}: sentences[{i}] needs a string 'text' and 'intent'")
        where = f"sentences[{i}]"
        entities = _token_entities(s["text"], s.get("entities") or [], where, problems, moved)
        yield s["text"], s["intent"], i + 1, entities
    if problems:
        raise TextkitError(f"{path}: {len(problems)} problem(s): {'; '.join(problems[:20])}")
    if moved:
        warnings.warn(
            f"{path}: {len(moved)} entity span(s) disagreed with their text and were placed "
            f"where the text occurs ({', '.join(moved[:5])}{'...' if len(moved) > 5 else ''})",
            TextkitWarning,
            stacklevel=2,
        )


def _token_entities(text: str, spans, where: str, problems: list[str], moved: list[str]) -> tuple:
    """Entities given as token spans.  Where a span's tokens and its stated ``text`` disagree
    (the published corpora have a few off-by-one spans), the stated text wins if it occurs in
    the sentence: placed at its occurrence nearest the span, and counted in ``moved``."""
    tokens = token_spans(text)
    out = []
    for e in spans if isinstance(spans, list) else []:
        start, stop, name = (
            e.get(k) if isinstance(e, dict) else None for k in ("start", "stop", "entity")
        )
        if not (isinstance(start, int) and isinstance(stop, int) and isinstance(name, str)):
            problems.append(f"{where}: an entity needs 'entity', 'start' and 'stop'")
            continue
        inside = 0 <= start <= stop < len(tokens)
        begin, end = (tokens[start][0], tokens[stop][1]) if inside else (0, 0)
        said = e.get("text") if isinstance(e.get("text"), str) else None
        if said is not None and "".join(said.split()) != "".join(text[begin:end].split()):
            found = (
                [m.start() for m in re.finditer(re.escape(said.strip()), text)]
                if said.strip()
                else []
            )
            if not found:
                problems.append(f"{where}: entity {name!r} says {said!r}, which is not in the text")
                continue
            begin = min(found, key=lambda at: abs(at - begin))
            end = begin + len(said.strip())
            moved.append(where)
        elif not inside:
            problems.append(f"{where}: entity {name!r} tokens {start}-{stop} are outside the text")
            continue
        out.append(Entity(name, text[begin:end], begin, end))
    problems.extend(check_spans(text, out, where))
    return tuple(out)


def sniff_markdown(path: Path) -> bool:
    """A .md file that is Rasa NLU data (an ``## intent:`` heading near the top)."""
    try:
        with open(path, encoding="utf-8", errors="replace") as fh:
            head = [fh.readline() for _ in range(200)]
    except OSError:
        return False
    return any(MD_SECTION.match(line) and "intent" in line.lower() for line in head)


# ---------------------------------------------------------------- writers (textkit convert)
def intents_json(examples: dict[str, list[str]], responses: dict[str, list[str]]) -> str:
    intents = [{"tag": tag, "patterns": texts, "responses": responses.get(tag, [])}
               for tag, texts in examples.items()]  # fmt: skip
    return json.dumps({"intents": intents}, indent=2, ensure_ascii=False) + "\n"


def rasa_yaml(examples: dict[str, list[str]], rules: dict | None = None) -> str:
    """Rasa 3 NLU YAML, each intent's examples as the literal block Rasa writes; with
    ``rules`` (``read_rasa_rules``'s shape) also its regex, lookup and synonym sections."""
    lines = ['version: "3.1"', "nlu:"]

    def section(key: str, name: str, items) -> None:
        lines.extend([f"- {key}: {json.dumps(name, ensure_ascii=False)}", "  examples: |"])
        lines.extend(f"    - {' '.join(str(t).split())}" for t in items)

    for intent, texts in examples.items():
        if texts:  # Rasa's NLU data has no place for an intent without examples
            section("intent", intent, texts)
    rules = rules or {}
    by_name: dict[str, list[str]] = {}
    for name, pattern in rules.get("regexes", []):
        by_name.setdefault(name, []).append(pattern)
    for name, patterns in by_name.items():
        section("regex", name, patterns)
    for name, phrases in rules.get("lookups", {}).items():
        section("lookup", name, phrases)
    values: dict[str, list[str]] = {}
    for text, value in rules.get("synonyms", {}).items():
        values.setdefault(value, []).append(text)
    for value, texts in values.items():
        section("synonym", value, texts)
    return "\n".join(lines) + "\n"
