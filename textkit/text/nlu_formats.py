"""Training data in other NLU tools' formats, read as labelled documents: Rasa's NLU YAML
(2.x/3.x: ``nlu:`` with ``- intent:`` and an ``examples: |`` list), Rasa's older Markdown
(``## intent:name`` then ``- example`` lines) and the NLU Evaluation corpora's JSON
(``{"sentences": [{"text", "intent", "training"}]}``).  Inline entity annotations
(``[Boston](city)``, ``[Boston]{"entity": "city", "value": "BOS"}``) are read as their plain
text; the entities themselves are for the extractor.  Also the writers ``textkit convert`` uses:
intents.json and Rasa YAML."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from textkit.errors import TextkitError

ANNOTATION = re.compile(r"\[([^\]\n]*)\](?:\([^)\n]*\)|\{[^}\n]*\})")
MD_SECTION = re.compile(r"^##\s*(\w+)\s*:\s*(.+?)\s*$")


def plain_text(text: str) -> str:
    """An example with its entity annotations replaced by the annotated words."""
    return ANNOTATION.sub(r"\1", text).strip()


def _example_lines(block: str) -> Iterator[tuple[int, str]]:
    """(line offset, text) of each ``- example`` line of an examples block."""
    for offset, line in enumerate(block.splitlines()):
        line = line.strip()
        if line.startswith("- "):
            yield offset, line[2:]
        elif line == "-":
            yield offset, ""


def read_rasa_yaml(path: Path, text: str) -> Iterator[tuple[str, str, int]]:
    """(text, intent, line) of every intent example of a Rasa NLU YAML file; synonyms, regexes
    and lookup tables are left for entity extraction."""
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
            for _, example in _example_lines(examples):
                if plain_text(example):
                    yield plain_text(example), intent, i + 1
        elif isinstance(examples, list):  # the long form: [{"text": ...}, ...]
            for example in examples:
                value = example.get("text") if isinstance(example, dict) else example
                if isinstance(value, str) and plain_text(value):
                    yield plain_text(value), intent, i + 1
        else:
            problems.append(f"nlu[{i}] (intent {intent!r}) has no 'examples' list")
    if problems:
        raise TextkitError(f"{path}: {len(problems)} problem(s): {'; '.join(problems[:20])}")


def read_rasa_markdown(path: Path, text: str) -> Iterator[tuple[str, str, int]]:
    """(text, intent, line) of every example under a ``## intent:name`` heading."""
    intent = None
    found = False
    for number, line in enumerate(text.splitlines(), 1):
        heading = MD_SECTION.match(line)
        if heading:
            intent = heading.group(2) if heading.group(1).lower() == "intent" else None
            found = found or intent is not None
            continue
        stripped = line.strip()
        if intent and stripped.startswith("- ") and plain_text(stripped[2:]):
            yield plain_text(stripped[2:]), intent, number
    if not found:
        raise TextkitError(f"{path}: no '## intent:NAME' section (not Rasa Markdown NLU data)")


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
) -> Iterator[tuple[str, str, int]]:
    """(text, intent, number) of its sentences: all of them, or ``split`` "train"/"test" (the
    corpus's own ``training`` flag)."""
    if split not in (None, "train", "test"):
        raise TextkitError(f"{path}: choose the split with --json-key train or test, not {split!r}")
    for i, s in enumerate(data["sentences"]):
        if split is not None and bool(s.get("training")) != (split == "train"):
            continue
        if not isinstance(s["text"], str) or not isinstance(s["intent"], str):
            raise TextkitError(f"{path}: sentences[{i}] needs a string 'text' and 'intent'")
        yield s["text"], s["intent"], i + 1


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


def rasa_yaml(examples: dict[str, list[str]]) -> str:
    """Rasa 3 NLU YAML, each intent's examples as the literal block Rasa writes."""
    lines = ['version: "3.1"', "nlu:"]
    for intent, texts in examples.items():
        if not texts:  # Rasa's NLU data has no place for an intent without examples
            continue
        lines += [f"- intent: {json.dumps(intent, ensure_ascii=False)}", "  examples: |"]
        lines += [f"    - {' '.join(t.split())}" for t in texts]
    return "\n".join(lines) + "\n"
