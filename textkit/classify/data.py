"""Labelled texts for the classifiers: read from any format the readers know (intents.json,
CSV/TSV, JSON records, JSON Lines) or given as Python lists, checked, and split for validation
with every label represented."""

from __future__ import annotations

import warnings
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from textkit import safejson
from textkit.errors import TextkitError, TextkitWarning


@dataclass
class LabelledTexts:
    """Texts and their labels, and where they came from."""

    texts: list[str]
    labels: list[str]
    source: str = "data"
    skipped_empty: int = 0
    extra: dict = field(default_factory=dict)  # e.g. the intents of an intents.json
    entities: list[tuple] | None = None  # per text, its Entity spans (annotated data only)
    groups: list[str] | None = None  # per text, the document it comes from (--group-column)

    @property
    def annotated(self) -> bool:
        """Whether any text has an entity: the data trains an entity extractor too."""
        return bool(self.entities) and any(self.entities)

    def __len__(self) -> int:
        return len(self.texts)

    def counts(self) -> Counter:
        return Counter(self.labels)


def labelled_texts(
    data, labels: Sequence[str] | None = None, annotations: bool = False
) -> LabelledTexts:
    """Labelled texts from a path or a ``Source`` (any reader format; a Source says which
    columns), a list of (text, label) pairs, a list of texts with ``labels``, a
    ``{label: [texts]}`` dict, or a LabelledTexts.  Rows whose text is empty are skipped and
    counted; a row without a label is an error naming it.  With ``annotations``, inline entity
    annotations (``[Boston](city)``) are read out of every text, every problem listed at once;
    formats with their own spans (Rasa, SNIPS, NLU Evaluation) bring them either way."""
    from textkit.text.readers import Source

    if isinstance(data, LabelledTexts):
        return data
    extra: dict = {}
    spans: dict[int, tuple] = {}  # row -> entities its format gave
    groups: list[str] | None = None  # row -> its document, where the input names them
    where: list[str] = []  # row -> how problems name it
    if isinstance(data, (str, Path)):
        data = Source(data)
    if isinstance(data, Source):
        from textkit.text.readers import (
            detect_format,
            is_intents,
            load_intents,
            read_json_value,
            records_only,
        )

        path, src = Path(data.path), data
        fmt = detect_format(path) if src.format == "auto" and path.exists() else src.format
        raw = read_json_value(path, src.encoding) if fmt in ("json", "intents") else None
        if fmt == "intents" or (src.json_key is None and is_intents(raw)):
            if src.split is not None or src.group_column is not None:
                option = "--split" if src.split is not None else "--group-column"
                raise records_only(path, option, "intents")
            extra["intents"] = load_intents(path, src.encoding, raw)
            pairs = [(p, it.tag) for it in extra["intents"] for p in it.patterns]
            where = [
                f"intent {it.tag!r} pattern {k + 1}"
                for it in extra["intents"]
                for k in range(len(it.patterns))
            ]
        else:
            if src.label_column is None and fmt in ("csv", "tsv", "jsonl", "json"):
                guessed = _guess_label_column(path, fmt, src.encoding, src.json_key, raw)
                src = replace(src, label_column=guessed)
            if src.label_column is not None and src.label_column == (src.text_column or "text"):
                raise TextkitError(
                    f"--text-column and --label-column are both {src.label_column!r}: the label "
                    "must be another column"
                )
            documents = src.documents()
            if fmt == "rasa-yaml":  # its examples and its entity rules, from one parse
                from textkit.text.readers import read_rasa_file

                documents, extra["rules"] = read_rasa_file(path, src.encoding)
            pairs, where = [], []
            groups = [] if src.group_column is not None else None
            for d in documents:
                if d.label is None or not str(d.label).strip():
                    raise TextkitError(
                        f"{d.source}, line {d.line}: this row has no label; every "
                        "training text needs one (--label-column)"
                    )
                pairs.append((d.text, str(d.label)))
                where.append(f"line {d.line}")
                if groups is not None:
                    groups.append(d.group)
                if d.entities:
                    spans[len(pairs) - 1] = d.entities
        source = str(path)
    elif isinstance(data, dict):
        pairs = [(t, str(lb)) for lb, texts in data.items() for t in texts]
        source = "dict"
    else:
        items = list(data)
        if labels is not None:
            if len(labels) != len(items):
                raise TextkitError(f"{len(items)} texts but {len(labels)} labels")
            items = list(zip(items, labels, strict=True))
        pairs = []
        for i, item in enumerate(items):
            if not (isinstance(item, (tuple, list)) and len(item) == 2):
                raise TextkitError(f"item #{i + 1} is not a (text, label) pair: {item!r}")
            pairs.append((item[0], item[1]))
        source = "list"
    for i, (text, label) in enumerate(pairs):
        if not isinstance(text, str) or not isinstance(label, str):
            raise TextkitError(
                f"{source}: item #{i + 1} must be a text and a label (strings), "
                f"got {text!r}, {label!r}"
            )
    entities = _read_entities(pairs, spans, where, source) if annotations or spans else None
    keep = [i for i, (t, _) in enumerate(pairs) if t.strip()]
    out = LabelledTexts(
        [pairs[i][0] for i in keep],
        [pairs[i][1] for i in keep],
        source,
        len(pairs) - len(keep),
        extra,
        [entities[i] for i in keep] if entities is not None else None,
        [groups[i] for i in keep] if groups is not None else None,
    )
    if out.skipped_empty:
        warnings.warn(
            f"{source}: skipped {out.skipped_empty} row(s) with empty text",
            TextkitWarning,
            stacklevel=2,
        )
    return out


def _read_entities(
    pairs: list[tuple[str, str]], spans: dict[int, tuple], where: list[str], source: str
) -> list[tuple]:
    """Each row's entities, its text made plain in ``pairs`` (inline annotations read out;
    rows whose format gave spans kept as they are); every problem listed in one error."""
    from textkit.entities.annotations import parse_or_note

    problems: list[str] = []
    out: list[tuple] = []
    for i, (text, label) in enumerate(pairs):
        if i in spans:
            out.append(spans[i])
            continue
        name = where[i] if i < len(where) else f"item #{i + 1}"
        parsed = parse_or_note(text, name, problems)
        plain, entities = parsed if parsed else (text, ())
        pairs[i] = (plain, label)
        out.append(entities)
    if problems:
        shown = "; ".join(problems[:20]) + (
            f"; and {len(problems) - 20} more" if len(problems) > 20 else ""
        )
        raise TextkitError(f"{source}: {len(problems)} annotation problem(s): {shown}")
    return out


def _guess_label_column(
    path: Path, fmt: str, encoding: str, json_key: str | None, raw
) -> str | None:
    """A table's label column when none is named: the one conventional name it has."""
    names = ("label", "intent", "category", "author", "tag", "class")
    first: object = {}
    if fmt in ("csv", "tsv"):
        import csv

        from textkit.text.io import open_text_lines
        from textkit.text.readers import csv_reader

        lines = (line for _, line in open_text_lines(path, encoding, keep_ends=True))
        try:
            first = dict.fromkeys(next(csv_reader(lines, "," if fmt == "csv" else "\t"), []))
        except csv.Error:
            return None  # the reader reports the malformed line, naming the file
    elif fmt == "jsonl":
        from textkit.text.io import open_text_lines

        for _, line in open_text_lines(path, encoding):
            if line.strip():
                try:
                    first = safejson.loads(line)
                except ValueError:
                    return None
                break
    else:
        records = raw.get(json_key) if isinstance(raw, dict) and json_key else raw
        first = records[0] if isinstance(records, list) and records else {}
    found = [n for n in names if isinstance(first, dict) and n in first]
    if len(found) > 1:
        raise TextkitError(
            f"{path}: several possible label columns {found}; choose one with --label-column"
        )
    columns = list(first) if isinstance(first, dict) else []
    if not found and columns:  # say so now, not as "line 2: this row has no label"
        tabbed = fmt == "csv" and len(columns) == 1 and "\t" in columns[0]
        hint = " (it looks tab-separated: --format tsv)" if tabbed else ""
        raise TextkitError(
            f"{path}: no label column among {columns}{hint}; name it with --label-column"
        )
    return found[0] if found else None  # (formats that label their texts themselves)


def stratified_split(
    labels: Sequence[str], val_fraction: float, seed: int = 0, groups: Sequence[str] | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Train and validation row indices: about ``val_fraction`` of each label held out (at least
    one where the label has three or more examples, none where it has fewer).  With ``groups``
    (each text's document), whole documents are held out: see ``grouped_split``."""
    if groups is not None:
        return grouped_split(labels, groups, val_fraction, seed)
    rng = np.random.default_rng(seed)
    by_label: dict[str, list[int]] = {}
    for i, lb in enumerate(labels):
        by_label.setdefault(lb, []).append(i)
    train, val = [], []
    for lb in sorted(by_label):
        rows = np.array(by_label[lb])
        rng.shuffle(rows)
        n_val = 0 if len(rows) < 3 or val_fraction == 0 else max(1, round(len(rows) * val_fraction))
        val.extend(rows[:n_val])
        train.extend(rows[n_val:])
    return np.sort(np.array(train, dtype=np.int64)), np.sort(np.array(val, dtype=np.int64))


def grouped_split(
    labels: Sequence[str], groups: Sequence[str], val_fraction: float, seed: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """``stratified_split`` holding out whole documents: in random order, a document is held
    out while one of its labels has less than ``val_fraction`` of its texts held out, and only
    if every label keeps a text in training.  A label found in one document only is never held
    out (validation can't measure it on a document the model never saw)."""
    labels, groups = np.asarray(labels, dtype=object), np.asarray(groups, dtype=object)
    names, group_of = np.unique(groups, return_inverse=True)
    label_names, label_of = np.unique(labels, return_inverse=True)
    total = np.bincount(label_of, minlength=len(label_names))
    want = np.where(
        (total >= 3) & (val_fraction > 0), np.maximum(1, np.round(total * val_fraction)), 0
    )
    held, left = np.zeros(len(label_names), dtype=np.int64), total.copy()
    rows_of = [np.flatnonzero(group_of == g) for g in range(len(names))]
    val: list[np.ndarray] = []
    for g in np.random.default_rng(seed).permutation(len(names)):
        counts = np.bincount(label_of[rows_of[g]], minlength=len(label_names))
        present = counts > 0
        if np.any(held[present] < want[present]) and np.all(left[present] > counts[present]):
            val.append(rows_of[g])
            held += counts
            left -= counts
    val_rows = np.sort(np.concatenate(val)) if val else np.zeros(0, dtype=np.int64)
    train_rows = np.setdiff1d(np.arange(len(labels)), val_rows)
    return train_rows.astype(np.int64), val_rows.astype(np.int64)


def fold_of(
    y: np.ndarray, k: int, seed: int = 0, groups: Sequence[str] | None = None
) -> np.ndarray:
    """Each text's cross-fitting fold (0 to k-1): each label's texts dealt round the folds in
    random order; with ``groups``, whole documents are dealt instead (a document's texts
    share a fold, so no fold's model saw the document it scores)."""
    rng = np.random.default_rng(seed)
    if groups is not None:
        _, group_of = np.unique(np.asarray(groups, dtype=object), return_inverse=True)
        order = rng.permutation(group_of.max() + 1 if len(group_of) else 0)
        position = np.empty_like(order)
        position[order] = np.arange(len(order))
        return (position[group_of] % k).astype(np.int64)
    fold = np.zeros(len(y), dtype=np.int64)
    for label in np.unique(y):
        rows = np.flatnonzero(y == label)
        rng.shuffle(rows)
        fold[rows] = np.arange(len(rows)) % k
    return fold
