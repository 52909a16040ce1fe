"""Options several commands share, written once: training, text pipeline, input, output and
model choice, plus the parameter types (finite ranges, lists, durations) that make every bad
value a usage error (exit 2) naming its option.

Defaults and choices come from the torch-free settings modules (``TrainConfig``, ``Pipeline``,
the readers), so `--help` shows what the Python API would use and nothing is written twice.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import fields
from pathlib import Path

import click

from textkit.text.pipeline import NUMBER_MODES, PLACEHOLDER_MODES, STEMMERS, TOKENIZERS, Pipeline
from textkit.text.readers import FORMATS
from textkit.training.config import MAX_SEED, OPTIMIZERS, SCHEDULES, TrainConfig

TRAIN_DEFAULTS = {f.name: f.default for f in fields(TrainConfig)}
PIPELINE_DEFAULTS = {f.name: f.default for f in fields(Pipeline) if f.init}


# ---------------------------------------------------------------- parameter types
class Number(click.ParamType):
    """A finite int or float in a range: NaN, infinities and out-of-range values are usage
    errors (click's own ranges let NaN through)."""

    def __init__(self, low: float | None = None, high: float | None = None, *,
                 integer: bool = False, low_open: bool = False) -> None:  # fmt: skip
        self.low, self.high, self.integer, self.low_open = low, high, integer, low_open
        self.name = "integer" if integer else "float"

    def convert(self, value, param, ctx):
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            number = value
        else:
            try:
                number = int(value, 10) if self.integer else float(value)
            except (TypeError, ValueError):
                self.fail(f"{value!r} is not {'an integer' if self.integer else 'a number'}",
                          param, ctx)  # fmt: skip
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number", param, ctx)
        low_bad = self.low is not None and (
            number <= self.low if self.low_open else number < self.low
        )
        if low_bad or (self.high is not None and number > self.high):
            self.fail(f"{value} is not in the range {self._range()}", param, ctx)
        return number

    def _range(self) -> str:
        parts = []
        if self.low is not None:
            parts.append(f"{'>' if self.low_open else '>='} {self.low:g}")
        if self.high is not None:
            parts.append(f"<= {self.high:g}")
        return " and ".join(parts)

    def get_metavar(self, param, ctx=None) -> str:
        return "INTEGER" if self.integer else "FLOAT"


class NumberList(click.ParamType):
    """Comma-separated numbers, e.g. ``0.3,0.6,0.9`` or ``1,2``; each checked like ``Number``."""

    name = "list"

    def __init__(self, item: Number) -> None:
        self.item = item

    def convert(self, value, param, ctx):
        if isinstance(value, (list, tuple)):
            return list(value)
        parts = [p.strip() for p in str(value).split(",")]
        if not any(parts) or not all(parts):
            self.fail(f"{value!r}: give comma-separated numbers, e.g. 1,2", param, ctx)
        return [self.item.convert(p, param, ctx) for p in parts]


def parse_duration(value: str | None) -> float | None:
    """'90', '90s', '5m', '1.5h' -> seconds (ValueError for anything else)."""
    if value is None:
        return None
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smh]?)\s*", str(value))
    if not m:
        raise ValueError(f"{value!r}: use seconds or a unit, e.g. 90, 90s, 5m, 1h")
    seconds = float(m.group(1)) * {"": 1, "s": 1, "m": 60, "h": 3600}[m.group(2)]
    if not 0 < seconds <= 1e9:
        raise ValueError(f"{value!r}: the budget must be more than 0 seconds")
    return seconds


class Duration(click.ParamType):
    name = "duration"

    def convert(self, value, param, ctx):
        if isinstance(value, float):
            return value
        try:
            return parse_duration(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "DURATION"


class ModelName(click.ParamType):
    """One folder name under --models-dir (never a path, never hidden)."""

    name = "name"

    def convert(self, value, param, ctx):
        from textkit.errors import TextkitError
        from textkit.modelio import check_model_name

        try:
            return check_model_name(value)
        except TextkitError as exc:
            self.fail(str(exc), param, ctx)


def parse_size(value: str) -> int:
    """'500M', '2G', '1.5G', '800000' -> bytes (ValueError for anything else)."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([kmgt]?)i?b?\s*", str(value).lower())
    if not m:
        raise ValueError(f"{value!r}: give a size such as 800M or 2G")
    size = int(float(m.group(1)) * 1024 ** " kmgt".index(m.group(2) or " "))
    if size < 1:
        raise ValueError(f"{value!r}: the size must be at least 1 byte")
    return size


class Size(click.ParamType):
    name = "size"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as exc:
            self.fail(str(exc), param, ctx)

    def get_metavar(self, param, ctx=None) -> str:
        return "SIZE"


POSITIVE = Number(0, low_open=True)
COUNT = Number(1, integer=True)
FRACTION = Number(0, 1)


def unescape(value: str | None) -> str | None:
    r"""Let users type \n and \t on the command line."""
    if value is None:
        return None
    return value.replace("\\n", "\n").replace("\\t", "\t")


# ---------------------------------------------------------------- grouping
def group(*decorators: Callable) -> Callable:
    """Several option decorators as one, applied in the order written (as they'd be stacked)."""

    def apply(f):
        for d in reversed(decorators):
            f = d(f)
        return f

    return apply


def _opt(*names: str, **kw) -> Callable:
    kw.setdefault("show_default", "default" in kw and kw["default"] is not None)
    return click.option(*names, **kw)


# ---------------------------------------------------------------- model choice and output
MODELS_DIR = _opt(
    "--models-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("models"),
    help="Folder holding one sub-folder per trained model.",
)  # fmt: skip
DEVICE = _opt(
    "--device", default=TRAIN_DEFAULTS["device"], metavar="auto|cpu|cuda|cuda:N|mps",
    help="Where to run; auto picks CUDA when present.",
)  # fmt: skip
MODEL_CHOICE = group(
    _opt("--model", "model_path", metavar="PATH|NAME",
         help="Model folder, or its name under --models-dir. [default: the most recently trained one]"),
    MODELS_DIR,
)  # fmt: skip
MODEL_ARGUMENT = click.argument("model", metavar="MODEL", type=click.Path(path_type=Path))


def load_chosen(model: Path | str | None, models_dir: Path, kinds: tuple[str, ...],
                device: str = "auto"):  # fmt: skip
    """The model a command names (MODEL, --model, or the newest of ``kinds``), loaded."""
    from textkit.loading import load_model
    from textkit.modelio import resolve_model_path

    return load_model(resolve_model_path(model, models_dir, kinds), device=device, kinds=kinds)


OUTPUT = group(
    _opt("--name", type=ModelName(),
         help="Model name: saved to MODELS_DIR/NAME. [default: the input file's name]"),
    MODELS_DIR,
    _opt("--overwrite", is_flag=True,
         help="Replace MODELS_DIR/NAME instead of saving to NAME-2, NAME-3..."),
)  # fmt: skip


# ---------------------------------------------------------------- training
def training_options(
    lr_help: str = "Peak learning rate.", steps_help: str | None = None
) -> Callable:
    """The shared loop's settings (TrainConfig); ``lr`` and ``max_steps`` help text may name a
    command's own defaults (e.g. a preset's)."""
    d = TRAIN_DEFAULTS
    return group(
        _opt("--optimizer", type=click.Choice(OPTIMIZERS), default=d["optimizer"], help="Optimiser."),
        _opt("--lr", type=Number(0, 10, low_open=True), help=lr_help),
        _opt("--momentum", type=Number(0, 0.9999), default=d["momentum"],
             help="Momentum for momentum/nesterov."),
        _opt("--weight-decay", type=Number(0, 10), default=d["weight_decay"],
             help="L2 penalty (decoupled for adamw)."),
        _opt("--clip", type=Number(0), default=d["clip"], help="Gradient-norm clipping; 0 turns it off."),
        _opt("--schedule", type=click.Choice(SCHEDULES), default=d["schedule"],
             help="LR schedule after warm-up, decaying to 10% at the end of training."),
        _opt("--warmup", type=Number(0, integer=True), default=d["warmup"], help="Steps of linear LR warm-up."),
        _opt("--max-steps", type=Number(1, 10**12, integer=True),
             help=steps_help or "Stop after this many steps."),
        _opt("--epochs", type=Number(0, 1e9, low_open=True),
             help="Stop after this many passes over the training data."),
        _opt("--time-budget", type=Duration(),
             help="Stop after this much wall-clock time, e.g. 300, 5m, 1h."),
        _opt("--eval-every", type=COUNT,
             help=f"Steps between validation runs and checkpoints. [default: {d['eval_every']}, "
                  "or the char-RNN preset's]"),
        _opt("--patience", type=COUNT,
             help="Stop after this many evaluations without improvement."),
        _opt("--seed", type=Number(0, MAX_SEED, integer=True), default=d["seed"],
             help="Random seed; the same seed repeats a run exactly."),
        DEVICE,
        _opt("--no-amp", is_flag=True,
             help="Train in full fp32 precision on CUDA (mixed precision is the default there)."),
        _opt("--progress/--no-progress", default=None,
             help="Progress bar. [default: when stderr is a terminal]"),
        _opt("--overfit-batch", is_flag=True,
             help="Debugging: train on one batch only; a healthy model drives its loss near zero."),
        _opt("--swa", type=Number(0, 1, low_open=True), metavar="FRACTION",
             help="Stochastic weight averaging over this last fraction of training (e.g. 0.25); "
                  "the average is kept if it beats the best checkpoint."),
        _opt("--tensorboard", type=click.Path(file_okay=False), metavar="DIR",
             help="Also write TensorBoard event files (losses, LR, throughput, samples) to DIR."),
        _opt("--plateau-evals", type=Number(0, 10**6, integer=True), default=d["plateau_evals"],
             help="Warn when the monitored metric hasn't moved in this many evaluations (0: off)."),
    )  # fmt: skip


TRAIN_OPTION_NAMES = (*(f.name for f in fields(TrainConfig) if f.name != "amp"), "no_amp")


def train_config_from(opts: dict, **fallbacks) -> TrainConfig:
    """A TrainConfig from a command's options; ``fallbacks`` fill options left unset (None),
    e.g. a preset's lr and max_steps."""
    values = {name: opts[name] for name in TRAIN_OPTION_NAMES if name in opts and name != "no_amp"}
    for name, value in fallbacks.items():
        if values.get(name) is None:
            values[name] = value
    for name in ("lr", "eval_every"):  # options whose default may come from a preset
        values[name] = values.get(name) or TRAIN_DEFAULTS[name]
    return TrainConfig(**values, amp=not opts.get("no_amp", False))


def typed_options(names: tuple[str, ...]) -> set[str]:
    """Which of ``names`` the user typed on this command line (as opposed to defaults)."""
    ctx = click.get_current_context()
    return {
        name for name in names
        if ctx.get_parameter_source(name) == click.core.ParameterSource.COMMANDLINE
    }  # fmt: skip


# ---------------------------------------------------------------- input
INPUT = group(
    _opt("--format", "fmt", type=click.Choice(FORMATS), default="auto",
         help="Input format; auto goes by suffix (.csv, .tsv, .jsonl, .json = records or "
              "intents.json, a directory, else a document per line)."),
    _opt("--text-column", help="CSV/TSV column or JSON field holding the text. [default: text]"),
    _opt("--label-column", help="CSV/TSV column or JSON field holding the label."),
    _opt("--json-key", help="For a JSON file holding several lists of records, the one to read (e.g. train)."),
    _opt("--encoding", default="utf-8", help="Text encoding of the input."),
)  # fmt: skip


# ---------------------------------------------------------------- text pipeline
def pipeline_options() -> Callable:
    d = PIPELINE_DEFAULTS
    return group(
        _opt("--pipeline", "pipeline_file", type=click.Path(path_type=Path),
             help="Load the pipeline settings from this JSON file (or model folder); "
                  "the pipeline options below are then ignored."),
        _opt("--lower/--no-lower", default=d["lowercase"], show_default=True, help="Lower-case the text."),
        _opt("--unicode", "unicode_form", type=click.Choice(["NFKC", "NFC", "NFKD", "NFD", "none"]),
             default=d["unicode_form"], help="Unicode normalisation."),
        _opt("--strip-accents", is_flag=True, help="Remove accents (café -> cafe)."),
        _opt("--tokenizer", type=click.Choice(TOKENIZERS), default=d["tokenizer"],
             help="regexp: fast, words and punctuation; treebank: NLTK's Penn Treebank rules after "
                  "sentence splitting; tweet: keeps @handles, #tags, URLs, emoticons; whitespace."),
        _opt("--pattern", help="Token pattern for --tokenizer regexp (a Python regular expression)."),
        _opt("--punctuation/--no-punctuation", default=d["punctuation"], show_default=True,
             help="Keep punctuation tokens."),
        _opt("--numbers", type=click.Choice(NUMBER_MODES), default=d["numbers"],
             help="Numbers: keep, drop, or replace with <num>."),
        _opt("--html/--no-html", default=d["html"], show_default=True, help="Decode HTML entities (&amp; -> &)."),
        _opt("--urls", type=click.Choice(PLACEHOLDER_MODES), default=d["urls"],
             help="URLs: keep, replace with <url>, or drop."),
        _opt("--mentions", type=click.Choice(PLACEHOLDER_MODES), default=d["mentions"],
             help="@handles: keep, replace with <user>, or drop."),
        _opt("--max-repeat", type=Number(1, 100, integer=True),
             help="Shorten runs of a repeated character to this many (soooo -> sooo with 3)."),
        _opt("--stopwords", metavar="none|english|@FILE", default="none",
             help="Remove stop words: the built-in English list, or one word per line from FILE."),
        _opt("--stem", type=click.Choice(["none", *STEMMERS]), default="none", help="Stemmer."),
        _opt("--ngrams", type=NumberList(Number(1, 10, integer=True)), default="1", metavar="N[,M...]",
             help="Token n-gram sizes to emit, e.g. 1,2 (joined with _)."),
        _opt("--min-length", type=Number(1, 1000, integer=True), default=d["min_length"],
             help="Drop tokens shorter than this."),
    )  # fmt: skip


PIPELINE_OPTION_FIELDS = {"lower": "lowercase", "unicode_form": "unicode_form",
                          "strip_accents": "strip_accents", "tokenizer": "tokenizer",
                          "pattern": "pattern", "punctuation": "punctuation", "numbers": "numbers",
                          "stopwords": "stopwords", "stem": "stemmer", "ngrams": "ngrams",
                          "min_length": "min_length", "html": "html", "urls": "urls",
                          "mentions": "mentions", "max_repeat": "max_repeat"}  # fmt: skip


def pipeline_from(opts: dict, base: Pipeline | None = None) -> Pipeline:
    """The Pipeline a command's options describe, or the one ``--pipeline`` names.  With
    ``base`` (a model kind's default), only the options typed on the command line change it."""
    from dataclasses import replace

    from textkit.errors import TextkitError
    from textkit.text.io import read_small_text
    from textkit.text.pipeline import DEFAULT_PATTERN

    if opts.get("pipeline_file") is not None:
        return Pipeline.load(opts["pipeline_file"])
    stopwords = opts["stopwords"]
    if stopwords.startswith("@"):
        words = [w.strip() for w in read_small_text(stopwords[1:]).splitlines() if w.strip()]
    elif stopwords in ("none", "english"):
        words = None if stopwords == "none" else "english"
    else:
        raise click.BadParameter(f"{stopwords!r}: use none, english or @FILE",
                                 param_hint="'--stopwords'")  # fmt: skip
    values = {
        "lowercase": opts["lower"], "unicode_form": None if opts["unicode_form"] == "none" else opts["unicode_form"],
        "strip_accents": opts["strip_accents"], "tokenizer": opts["tokenizer"],
        "pattern": opts["pattern"] or DEFAULT_PATTERN, "punctuation": opts["punctuation"],
        "numbers": opts["numbers"], "stopwords": words,
        "stemmer": None if opts["stem"] == "none" else opts["stem"], "ngrams": tuple(opts["ngrams"]),
        "min_length": opts["min_length"], "html": opts["html"], "urls": opts["urls"],
        "mentions": opts["mentions"], "max_repeat": opts["max_repeat"],
    }  # fmt: skip
    if base is not None:
        typed = typed_options(tuple(PIPELINE_OPTION_FIELDS))
        values = {PIPELINE_OPTION_FIELDS[n]: values[PIPELINE_OPTION_FIELDS[n]] for n in typed}
    try:
        return replace(base, **values) if base is not None else Pipeline(**values)
    except TextkitError as exc:
        raise click.UsageError(str(exc)) from None


# ---------------------------------------------------------------- text classifiers
def _range_pair(text: str) -> tuple[int, int] | None:
    if text in ("none", "off", "0"):
        return None
    parts = text.split("-") if "-" in text else [text, text]
    lo, hi = (int(p) for p in parts)
    return lo, hi


class NgramRange(click.ParamType):
    """``1-2``, ``3`` or ``none``."""

    name = "range"

    def convert(self, value, param, ctx):
        if value is None or isinstance(value, tuple):
            return value
        try:
            pair = _range_pair(str(value).strip().lower())
        except ValueError:
            self.fail(f"{value!r}: give a range like 1-2, a size like 3, or none", param, ctx)
        if pair is not None and not (1 <= pair[0] <= pair[1] <= 10):
            self.fail(f"{value!r}: sizes from 1 to 10, smallest first", param, ctx)
        return pair

    def get_metavar(self, param, ctx=None) -> str:
        return "MIN-MAX|none"


def classifier_options(features, classifier_help: str) -> Callable:
    """The text classifiers' model and feature options (defaults: ``ClassifierConfig`` and the
    kind's ``features``, a FeatureConfig)."""
    from textkit.classify.config import CLASSIFIERS, MONITORS, WEIGHTINGS, ClassifierConfig

    d = ClassifierConfig()
    show = lambda r: "none" if r is None else f"{r[0]}-{r[1]}"  # noqa: E731
    return group(
        _opt("--classifier", type=click.Choice(CLASSIFIERS), default=d.classifier, help=classifier_help),
        _opt("--hidden", type=Number(1, 65_536, integer=True), default=d.hidden, help="mlp: hidden units."),
        _opt("--dropout", type=Number(0, 0.99), default=d.dropout, help="mlp: dropout after the hidden layer."),
        _opt("--batch-size", type=Number(1, 1_000_000, integer=True), default=d.batch_size, help="mlp: texts per step."),
        _opt("--c", "c", type=Number(0, 1e6, low_open=True), default=d.c,
             help="linear: inverse regularisation strength of the logistic regression."),
        _opt("--alpha", type=Number(0, 1e6, low_open=True), default=d.alpha, help="nb: additive smoothing."),
        _opt("--val-fraction", type=Number(0, 0.49), default=d.val_fraction,
             help="Share of each label held out for keep-best, calibration and the threshold."),
        _opt("--class-weights/--no-class-weights", default=d.class_weights, show_default=True,
             help="Weight the loss so rare labels count as much as common ones."),
        _opt("--monitor", type=click.Choice(MONITORS), default=d.monitor, help="mlp: the metric keep-best follows."),
        _opt("--calibrate/--no-calibrate", default=d.calibrate, show_default=True,
             help="Temperature scaling of the confidences on validation data."),
        _opt("--threshold", type=Number(0, 1),
             help="Confidence below which the answer is 'out of scope'. [default: chosen on validation data]"),
        _opt("--max-in-scope-loss", type=Number(0, 1), default=d.max_in_scope_loss,
             help="For the automatic threshold: the in-scope accuracy it may cost."),
        _opt("--margin", type=Number(0, 1), default=d.margin,
             help="Out of scope when the top two labels are closer than this (0: off)."),
        _opt("--oos-label", "oos_labels", multiple=True, default=d.oos_labels,
             help="A label meaning 'out of scope' in the data (repeat for several)."),
        _opt("--word-ngrams", type=NgramRange(), default=show(features.word_ngrams),
             help="Word n-gram sizes, e.g. 1-2, or none."),
        _opt("--char-ngrams", type=NgramRange(), default=show(features.char_ngrams),
             help="Character n-gram sizes inside words (typos, unseen forms), e.g. 2-5, or none."),
        _opt("--weighting", type=click.Choice(WEIGHTINGS), default=features.weighting,
             help="Feature weights (each text's vector is L2-normalised)."),
        _opt("--min-count", type=Number(1, 10**9, integer=True), default=features.min_count,
             help="Keep word features seen in at least this many training texts."),
        _opt("--max-features", type=Number(1, 10**8, integer=True), default=features.max_features,
             help="Keep at most this many features (the most frequent)."),
    )  # fmt: skip


CLASSIFIER_NAMES = ("classifier", "hidden", "dropout", "batch_size", "c", "alpha", "val_fraction",
                    "class_weights", "monitor", "calibrate", "threshold", "max_in_scope_loss",
                    "margin", "oos_labels")  # fmt: skip


def classifier_from(cls, opts: dict, pipeline: Pipeline | None = None):
    """A TextClassifier subclass ``cls`` configured by a command's options."""
    from dataclasses import replace

    from textkit.classify.config import ClassifierConfig

    features = replace(cls.DEFAULT_FEATURES, word_ngrams=opts["word_ngrams"], char_ngrams=opts["char_ngrams"],
                       weighting=opts["weighting"], min_count=opts["min_count"],
                       max_features=opts["max_features"])  # fmt: skip
    config = ClassifierConfig(**{k: opts[k] for k in CLASSIFIER_NAMES})
    return cls(config, pipeline=pipeline or cls.DEFAULT_PIPELINE, features=features)


def read_lines_or_args(texts: tuple[str, ...]) -> list[str]:
    """The texts given as arguments, or one per line of standard input when there are none."""
    import sys

    if texts:
        return list(texts)
    if sys.stdin.isatty():
        raise click.UsageError("give a text, or pipe texts in, one per line")
    return [line.rstrip("\n") for line in sys.stdin]
