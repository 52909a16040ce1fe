"""Streaming corpus readers for the formats users have: plain text (a document per line or per
blank-line-separated paragraph), a directory of .txt files, CSV/TSV, JSON Lines and intents.json.

Each yields ``Document``s one at a time, so a corpus larger than memory streams through.  Files
are read as bytes and decoded line by line, so an encoding error names its file and line.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from textkit import safejson
from textkit.errors import TextkitError, TextkitWarning
from textkit.settings import setting, validate
from textkit.text.io import expand_inputs
from textkit.text.io import open_text_lines as _lines
from textkit.text.nlu_formats import (
    is_nlu_evaluation,
    load_rasa_yaml,
    read_nlu_evaluation,
    read_rasa_markdown,
    read_rasa_rules,
    read_rasa_yaml,
    sniff_markdown,
)

FORMATS = (
    "auto", "lines", "paragraphs", "dir", "csv", "tsv", "jsonl", "json", "intents", "rasa-yaml",
    "rasa-md",
)  # fmt: skip


@dataclass
class Document:
    text: str
    label: str | None = None
    source: str = ""
    line: int = 0
    entities: tuple = ()  # textkit.entities.Entity spans of ``text``, where the format has them
    group: str | None = None  # the document it comes from (--group-column), where one is named


def read_lines(path: Path, encoding: str = "utf-8") -> Iterator[Document]:
    """One document per non-blank line."""
    for number, line in _lines(path, encoding):
        if line.strip():
            yield Document(line, source=str(path), line=number)


def read_paragraphs(path: Path, encoding: str = "utf-8") -> Iterator[Document]:
    """One document per block of lines separated by blank lines."""
    block: list[str] = []
    start = 0
    for number, line in _lines(path, encoding):
        if line.strip():
            if not block:
                start = number
            block.append(line)
        elif block:
            yield Document("\n".join(block), source=str(path), line=start)
            block = []
    if block:
        yield Document("\n".join(block), source=str(path), line=start)


def read_directory(path: Path, encoding: str = "utf-8") -> Iterator[Document]:
    """One document per text file below ``path`` (sorted), labelled with its folder name."""
    for file in expand_inputs([path]):
        text = "\n".join(line for _, line in _lines(Path(file), encoding))
        if text.strip():
            parent = Path(file).parent
            yield Document(
                text, label=None if parent == path else parent.name, source=str(file), line=1
            )


def read_table(
    path: Path,
    text_column: str | int | None = None,
    label_column: str | int | None = None,
    delimiter: str = ",",
    encoding: str = "utf-8",
    split: str | None = None,
    group_column: str | int | None = None,
) -> Iterator[Document]:
    """CSV/TSV with a header row; ``text_column`` defaults to "text" (or the only column);
    with ``split``, only the rows whose "split" column holds it."""
    lines = (line for _, line in _lines(path, encoding, keep_ends=True))
    reader = csv_reader(lines, delimiter, strict=True)
    try:
        header = next(reader)
    except StopIteration:
        raise TextkitError(f"{path} is empty") from None
    except csv.Error as exc:
        raise TextkitError(
            f"{path}, line 1: malformed {'TSV' if delimiter == chr(9) else 'CSV'} ({exc})"
        ) from exc

    def column(want: str | int | None, role: str, default: str | None) -> int | None:
        if want is None:
            if default in header:
                return header.index(default)
            if role == "text" and len(header) == 1:
                return 0
            if role == "text":
                raise TextkitError(
                    f"{path}: no 'text' column; choose one with --text-column from {header}"
                )
            return None
        if isinstance(want, int) or str(want).isdigit():
            if int(want) >= len(header):
                raise TextkitError(f"{path}: column {want} is out of range (it has {len(header)})")
            return int(want)
        if want not in header:
            raise TextkitError(f"{path}: no column {want!r}; columns are {header}")
        return header.index(want)

    text_i = column(text_column, "text", "text")
    label_i = column(label_column, "label", None)
    group_i = column(group_column, "group", None)
    if split is not None and SPLIT_FIELD not in header:
        raise TextkitError(f"{path}: no {SPLIT_FIELD!r} column for --split; columns are {header}")
    split_i = header.index(SPLIT_FIELD) if split is not None else None
    try:
        for row in reader:
            if not row:
                continue
            if len(row) != len(header):
                raise TextkitError(
                    f"{path}, line {reader.line_num}: {len(row)} fields where the header has {len(header)}"
                )
            if split_i is not None and row[split_i] != split:
                continue
            yield Document(
                row[text_i],
                row[label_i] if label_i is not None else None,
                str(path),
                reader.line_num,
                group=row[group_i] if group_i is not None else None,
            )
    except csv.Error as exc:
        raise TextkitError(f"{path}, line {reader.line_num}: malformed CSV ({exc})") from exc


def read_jsonl(
    path: Path,
    text_field: str | None = None,
    label_field: str | None = None,
    encoding: str = "utf-8",
    split: str | None = None,
    group_field: str | None = None,
) -> Iterator[Document]:
    """JSON Lines: one object per line, text in ``text_field`` (default "text")."""
    text_field = text_field or "text"
    for number, line in _lines(path, encoding):
        if not line.strip():
            continue
        try:
            obj = safejson.loads(line)
        except json.JSONDecodeError as exc:
            raise TextkitError(f"{path}, line {number}: not valid JSON ({exc.msg})") from exc
        if not isinstance(obj, dict) or not isinstance(obj.get(text_field), str):
            raise TextkitError(
                f"{path}, line {number}: expected an object with a string {text_field!r} field"
            )
        if not _in_split(obj, split, f"{path}, line {number}"):
            continue
        where = f"{path}, line {number}"
        label = _label(obj.get(label_field) if label_field else None, where)
        group = _group(obj, group_field, where)
        yield Document(obj[text_field], label, str(path), number, group=group)


# a CSV field may be a whole document: the file's size cap (--max-size) bounds it, not
# csv's default of 131,072 characters (a longer field is an error naming no file)
CSV_FIELD_LIMIT = (1 << 31) - 1


def csv_reader(lines, delimiter: str = ",", **kwargs):
    """``csv.reader`` whose fields may be as long as the file."""
    if csv.field_size_limit() < CSV_FIELD_LIMIT:
        csv.field_size_limit(CSV_FIELD_LIMIT)
    return csv.reader(lines, delimiter=delimiter, **kwargs)


SPLIT_FIELD = "split"  # the column or field --split reads


def _label(value, where: str) -> str | None:
    """A JSON label as text: a string, number or boolean; an object or a list is refused
    (stored as its Python repr it would be a label nobody wrote)."""
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, (dict, list)):
        kind = "an object" if isinstance(value, dict) else "a list"
        raise TextkitError(f"{where}: the label is {kind}; it must be a string or a number")
    return str(value)


def records_only(path: Path, option: str, found: str = "") -> TextkitError:
    """The error for an option that reads a column or field of every record (CSV, TSV, JSON
    records) given with a format that has none (``found``, where it is worth naming)."""
    not_this = f", not {found}" if found else ""
    return TextkitError(f"{path}: {option} reads CSV, TSV or JSON records{not_this}")


def _group(record: dict, field: str | None, where: str) -> str | None:
    """A JSON record's group (--group-column) as text; a record must have one."""
    if field is None:
        return None
    if field not in record:
        raise TextkitError(f"{where}: no {field!r} field (--group-column)")
    return _label(record[field], where)


def _in_split(record: dict, split: str | None, where: str) -> bool:
    if split is None:
        return True
    if SPLIT_FIELD not in record:
        raise TextkitError(f"{where}: no {SPLIT_FIELD!r} field for --split")
    return str(record[SPLIT_FIELD]) == split


@dataclass
class Intent:
    tag: str
    patterns: list[str]
    responses: list[str]
    context_set: str | None = None  # a chatbot remembers this for the user once answered
    context_filter: str | None = None  # only answered while the user's context is this
    required_slots: dict[str, str] | None = None  # slot -> the question asking for it

    def to_dict(self) -> dict:
        d = {"tag": self.tag, "patterns": self.patterns, "responses": self.responses}
        if self.context_set is not None:
            d["context_set"] = self.context_set
        if self.context_filter is not None:
            d["context_filter"] = self.context_filter
        if self.required_slots:
            d["required_slots"] = self.required_slots
        return d


FALLBACK_TAGS = ("fallback",)  # an intents.json tag holding only the responses for "no intent"
# the names other chatbot tutorials and datasets give intents.json's keys (Kaggle's "Chatbots:
# Intent Recognition Dataset" writes "intent" and "text"), the first present is read
INTENT_KEYS = {
    "tag": ("tag", "intent", "name", "label"),
    "patterns": ("patterns", "text", "examples", "utterances", "questions"),
    "responses": ("responses", "answers", "response"),
}


def is_intents(data) -> bool:
    """intents.json's shape: ``{"intents": [...]}``, or the list of intents alone (its first
    object holds a list of patterns; a JSON record's text is a string)."""
    if isinstance(data, dict):
        return "intents" in data
    first = data[0] if isinstance(data, list) and data else None
    return isinstance(first, dict) and any(
        isinstance(first.get(k), list) for k in INTENT_KEYS["patterns"]
    )


def _intent_key(item: dict, key: str, renamed: dict[str, str]) -> str:
    """The key ``item`` holds ``key`` under (``key`` itself when none is there); another name
    read is noted in ``renamed``."""
    found = next((k for k in INTENT_KEYS[key] if k in item), key)
    if found != key:
        renamed.setdefault(found, key)
    return found


def read_json_value(path: Path, encoding: str = "utf-8"):
    """The parsed content of a JSON file, with errors naming file and line."""
    return _load_json(path, encoding)


def _load_json(path: Path, encoding: str):
    text = "\n".join(line for _, line in _lines(Path(path), encoding))
    try:
        return safejson.loads(text)
    except json.JSONDecodeError as exc:
        raise TextkitError(f"{path}, line {exc.lineno}: not valid JSON ({exc.msg})") from exc


def load_intents(path: Path, encoding: str = "utf-8", data=None) -> list[Intent]:
    """intents.json: ``{"intents": [{"tag", "patterns": [...], "responses": [...]}]}``, read as
    people write it.  Recovered, each with one warning listing where (JSON paths): a tag that
    appears twice (merged), blank patterns and empty responses (skipped), an intent without
    patterns (kept for its responses), a single string where a list belongs (a one-item list),
    keys by other names (``INTENT_KEYS``: "intent" and "text" for "tag" and "patterns"...), the
    list of intents without its ``{"intents": ...}``.
    What can't be recovered (no tag, a pattern that isn't text...) is reported all at once."""
    if data is None:
        data = _load_json(path, encoding)
    if isinstance(data, list) and is_intents(data):  # the list of intents without its key
        data = {"intents": data}
    if not isinstance(data, dict) or not isinstance(data.get("intents"), list):
        raise TextkitError(f'{path}: expected {{"intents": [...]}} at the top level')
    problems: list[str] = []
    notes: dict[str, list[str]] = {}
    renamed: dict[str, str] = {}  # another name for a key -> the key it was read as
    by_tag: dict[str, Intent] = {}
    first_at: dict[str, str] = {}
    for i, item in enumerate(data["intents"]):
        at = f"intents[{i}]"
        if not isinstance(item, dict):
            problems.append(f"{at} is not an object")
            continue
        tag = item.get(_intent_key(item, "tag", renamed))
        if not isinstance(tag, str) or not tag.strip():
            problems.append(f"{at} (intent #{i + 1}) has no 'tag' string")
            continue
        lists = {}
        for canonical in ("patterns", "responses"):
            key = _intent_key(item, canonical, renamed)
            value = item.get(key, [])
            if isinstance(value, str):  # "responses": "sure"
                value = [value]
            if not isinstance(value, list):
                problems.append(f"{at}.{key} (intent {tag!r}) must be a list of strings")
                value = []
            bad = [j for j, v in enumerate(value) if not isinstance(v, str)]
            for j in bad:
                problems.append(f"{at}.{key}[{j}] (intent {tag!r}) is not a string")
            blank = [j for j, v in enumerate(value) if isinstance(v, str) and not v.strip()]
            if blank:
                what = "blank patterns" if canonical == "patterns" else "empty responses"
                notes.setdefault(f"{what} skipped", []).extend(f"{at}.{key}[{j}]" for j in blank)
            lists[canonical] = [v for v in value if isinstance(v, str) and v.strip()]
        context = {}
        for key in ("context_set", "context_filter"):
            value = item.get(key)
            if isinstance(value, list) and len(value) == 1:  # some tutorials write ["rental"]
                value = value[0]
            if value is not None and not isinstance(value, str):
                problems.append(f"{at}.{key} (intent {tag!r}) must be a string")
                value = None
            context[key] = value
        slots = item.get("required_slots")
        if slots is not None:
            from textkit.entities.annotations import ENTITY_NAME

            if not isinstance(slots, dict) or not all(
                isinstance(k, str) and ENTITY_NAME.match(k) and isinstance(v, str) and v.strip()
                for k, v in slots.items()
            ):
                problems.append(
                    f"{at}.required_slots (intent {tag!r}) must map slot names to the "
                    'questions asking for them: {"people": "For how many people?"}'
                )
                slots = None
        context["required_slots"] = slots or None
        if tag in by_tag:  # a copy-paste extension of the intent: one intent
            notes.setdefault("tags that appear twice merged", []).append(
                f"{tag!r} ({first_at[tag]} and {at})"
            )
            old = by_tag[tag]
            old.patterns += lists["patterns"]
            old.responses += [r for r in lists["responses"] if r not in old.responses]
            old.context_set = old.context_set or context["context_set"]
            old.context_filter = old.context_filter or context["context_filter"]
            old.required_slots = old.required_slots or context["required_slots"]
            continue
        by_tag[tag], first_at[tag] = (
            Intent(tag, lists["patterns"], lists["responses"], **context),
            at,
        )
    if renamed:
        notes["keys read by another name"] = [f"{k!r} as {v!r}" for k, v in renamed.items()]
    if problems:
        listed = "; ".join(problems[:20]) + (
            f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        )
        raise TextkitError(f"{path}: {len(problems)} problem(s): {listed}")
    intents = list(by_tag.values())
    silent = [it.tag for it in intents if not it.patterns and it.tag not in FALLBACK_TAGS]
    if silent:
        notes.setdefault(
            "intents without patterns kept for their responses (nothing triggers them)", []
        ).extend(repr(t) for t in silent)
    for what, where in notes.items():
        shown = ", ".join(where[:8]) + (f" and {len(where) - 8} more" if len(where) > 8 else "")
        warnings.warn(f"{path}: {len(where)} {what}: {shown}", TextkitWarning, stacklevel=3)
    if not any(it.patterns for it in intents):
        raise TextkitError(f"{path}: no intent has any patterns")
    return intents


def read_intents(path: Path, encoding: str = "utf-8", data=None) -> Iterator[Document]:
    """Every pattern of an intents.json file, labelled with its intent's tag."""
    for intent in load_intents(path, encoding, data):
        for pattern in intent.patterns:
            yield Document(pattern, intent.tag, str(path))


def read_json(
    path: Path,
    text_field: str | None = None,
    label_field: str | None = None,
    key: str | None = None,
    encoding: str = "utf-8",
    split: str | None = None,
    group_field: str | None = None,
) -> Iterator[Document]:
    """A JSON file of records: a list of objects, or ``{key: [objects], ...}`` (choose ``key``,
    e.g. "train" in the SNIPS benchmark file); ``{"intents": ...}`` is read as intents.json.
    Unlike the other readers this loads the whole file: JSON has no record boundaries."""
    data = _load_json(path, encoding)
    structured = is_intents(data) or is_nlu_evaluation(data)
    if split is not None and structured:
        raise TextkitError(f"{path}: --split reads JSON records (use --json-key for a split)")
    if group_field is not None and structured:
        raise records_only(path, "--group-column")
    if key is None and is_intents(data):
        yield from read_intents(path, encoding, data)
        return
    if is_nlu_evaluation(data):  # the NLU Evaluation corpora; --json-key train/test: a split
        for text, intent, n, entities in read_nlu_evaluation(path, data, key):
            yield Document(text, intent, str(path), n, entities)
        return
    if isinstance(data, dict):
        lists = [k for k, v in data.items() if isinstance(v, list)]
        if key is None:
            raise TextkitError(f"{path} holds the lists {lists}; choose one with --json-key")
        if key not in lists:
            raise TextkitError(f"{path}: no list {key!r}; it has {lists}")
        data = data[key]
    if not isinstance(data, list):
        raise TextkitError(f"{path}: expected a list of objects (or intents.json)")
    text_field = text_field or "text"
    for i, obj in enumerate(data):
        where = f"{path}: record #{i + 1}"
        if isinstance(obj, dict) and text_field not in obj and isinstance(obj.get("data"), list):
            text, entities = read_segments(obj["data"], where)  # SNIPS's segments
        elif not isinstance(obj, dict) or not isinstance(obj.get(text_field), str):
            raise TextkitError(f"{where} has no string {text_field!r} field")
        else:
            text, entities = obj[text_field], ()
        if not _in_split(obj, split, where):
            continue
        label = _label(obj.get(label_field) if label_field else None, where)
        yield Document(text, label, str(path), i + 1, entities, _group(obj, group_field, where))


def read_segments(segments: list, where: str) -> tuple[str, tuple]:
    """SNIPS's annotated query: ``[{"text": "book for "}, {"text": "4", "entity": "party_size"}]``
    joined into the text (surrounding whitespace stripped) and the spans of its entities."""
    from textkit.entities.annotations import ENTITY_NAME, Entity

    parts, entities, at = [], [], 0
    for j, seg in enumerate(segments):
        if not isinstance(seg, dict) or not isinstance(seg.get("text"), str):
            raise TextkitError(f"{where}: segment {j + 1} has no string 'text'")
        name = seg.get("entity")
        if name is not None:
            if not isinstance(name, str) or not ENTITY_NAME.match(name):
                raise TextkitError(f"{where}: segment {j + 1}: {name!r} is not an entity name")
            words = seg["text"].strip()
            if words:
                start = at + seg["text"].index(words)
                entities.append(Entity(name, words, start, start + len(words)))
        parts.append(seg["text"])
        at += len(seg["text"])
    text = "".join(parts)
    lead = len(text) - len(text.lstrip())
    shifted = tuple(Entity(e.entity, e.value, e.start - lead, e.end - lead) for e in entities)
    return text.strip(), shifted


def detect_format(path: Path) -> str:
    if path.is_dir():
        return "dir"
    suffix = path.suffix.lower()
    if suffix in (".csv",):
        return "csv"
    if suffix in (".tsv", ".tab"):
        return "tsv"
    if suffix in (".jsonl", ".ndjson"):
        return "jsonl"
    if suffix == ".json":
        return "json"
    if suffix in (".yml", ".yaml"):
        return "rasa-yaml"
    if suffix == ".md" and sniff_markdown(path):
        return "rasa-md"
    return "lines"


@dataclass(frozen=True)
class Source:
    """An input and how to read it: what a command's --format, --text-column, --label-column,
    --json-key and --encoding describe, handed to a model's ``fit`` as one value.

    >>> Source("tweets.csv", text_column="text", label_column="author")"""

    path: str | Path = setting(help="The input: a file or a folder.", kind="path", cli=False)
    format: str = setting(
        "auto",
        choices=FORMATS,
        help="Input format; auto goes by suffix (.csv, .tsv, .jsonl, .json = records, intents.json "
        "or the NLU Evaluation corpora, .yml = Rasa NLU YAML, .md with '## intent:' = Rasa "
        "Markdown, a directory, else a document per line).",
    )
    text_column: str | None = setting(
        None, optional=True, help="CSV/TSV column or JSON field holding the text. [default: text]"
    )
    label_column: str | None = setting(
        None, optional=True, help="CSV/TSV column or JSON field holding the label."
    )
    json_key: str | None = setting(
        None,
        optional=True,
        help="For a JSON file holding several lists of records, the one to read (e.g. train).",
    )
    encoding: str = setting("utf-8", help="Text encoding of the input.")
    split: str | None = setting(
        None,
        optional=True,
        help="Read only the rows whose 'split' column (CSV/TSV) or field (JSON records) is this, "
        "e.g. train or test.",
    )
    group_column: str | None = setting(
        None,
        optional=True,
        help="Classifiers: the CSV/TSV column or JSON field naming the document each text comes "
        "from (a speech, a conversation): validation (and --cross-validate's folds) then hold "
        "out whole documents, as new text comes from new documents.",
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "path", str(self.path))
        validate(self)

    def documents(self, labels: bool = True) -> Iterator[Document]:
        """The input's documents (with ``labels=False``, the label column is not read)."""
        return read_documents(
            self.path,
            self.format,
            self.text_column,
            self.label_column if labels else None,
            self.encoding,
            self.json_key,
            self.split,
            self.group_column,
        )

    def reader_key(self) -> list:
        """What decides how the input is read (for caches keyed by it)."""
        return [self.format, self.text_column, self.label_column, self.json_key, self.encoding,
                self.split, self.group_column]  # fmt: skip


def _read_nlu(path: Path, fmt: str, encoding: str) -> Iterator[Document]:
    """Rasa NLU data, YAML or Markdown, as documents labelled with their intent."""
    if fmt == "rasa-yaml":
        yield from read_rasa_file(path, encoding)[0]
        return
    text = "\n".join(line for _, line in _lines(path, encoding))
    for example, intent, number, entities in read_rasa_markdown(path, text):
        yield Document(example, intent, str(path), number, entities)


def read_rasa_file(path: Path, encoding: str = "utf-8") -> tuple[list[Document], dict]:
    """A Rasa NLU YAML file, read and parsed once: its examples as documents labelled with
    their intent, and its entity rules (``read_rasa_rules``)."""
    text = "\n".join(line for _, line in _lines(path, encoding))
    data = load_rasa_yaml(path, text)
    docs = [
        Document(example, intent, str(path), number, entities)
        for example, intent, number, entities in read_rasa_yaml(path, data)
    ]
    return docs, read_rasa_rules(path, data)


def read_documents(
    path: str | Path,
    format: str = "auto",
    text_column: str | None = None,
    label_column: str | None = None,
    encoding: str = "utf-8",
    json_key: str | None = None,
    split: str | None = None,
    group_column: str | None = None,
) -> Iterator[Document]:
    """Documents from one input in any supported format ("auto" goes by the file suffix);
    ``split``: only the rows whose "split" column or field is this; ``group_column``: the column
    or field naming each text's document."""
    path = Path(path)
    if format not in FORMATS:
        raise TextkitError(f"unknown format {format!r}; choose from {FORMATS}")
    if not path.exists():
        raise TextkitError(f"no such file: {path}")
    fmt = detect_format(path) if format == "auto" else format
    if fmt == "dir":
        return read_directory(path, encoding)
    if split is not None and fmt not in ("csv", "tsv", "jsonl", "json"):
        raise TextkitError(f"{path}: --split needs CSV, TSV or JSON records with a 'split' column")
    if group_column is not None and fmt not in ("csv", "tsv", "jsonl", "json"):
        raise records_only(path, "--group-column")
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        return read_table(path, text_column, label_column, delimiter, encoding, split, group_column)
    if fmt == "jsonl":
        return read_jsonl(path, text_column, label_column, encoding, split, group_column)
    if fmt == "json":
        return read_json(path, text_column, label_column, json_key, encoding, split, group_column)
    if fmt == "intents":
        return read_intents(path, encoding)
    if fmt in ("rasa-yaml", "rasa-md"):
        return _read_nlu(path, fmt, encoding)
    return read_paragraphs(path, encoding) if fmt == "paragraphs" else read_lines(path, encoding)
