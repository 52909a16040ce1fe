"""Settings of the text classifiers (intent and authorship), their choices and ranges, in one
torch-free place: what the constructors take, config.json stores and the CLI shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

from textkit.checks import check_choice, check_number
from textkit.errors import TextkitError

CLASSIFIERS = ("mlp", "nb", "linear")
WEIGHTINGS = ("tfidf", "counts", "binary")
CHAR_SPANS = ("words", "text")
MONITORS = ("val_macro_f1", "val_accuracy", "val_loss")
DEFAULT_OOS_LABELS = ("oos", "out_of_scope", "out-of-scope")


def _ngram_range(name: str, value) -> tuple[int, int] | None:
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        value = (value, value)
    if not isinstance(value, (list, tuple)) or len(value) != 2:
        raise TextkitError(f"{name} must be a (min, max) pair of n-gram sizes, got {value!r}")
    for n in value:
        check_number(name, n, 1, 10, integer=True)
    if value[0] > value[1]:
        raise TextkitError(f"{name} must be (min, max) with min <= max, got {value!r}")
    return (int(value[0]), int(value[1]))


@dataclass(frozen=True)
class FeatureConfig:
    """How a text becomes a sparse bag of features: word n-grams of the pipeline's tokens and
    character n-grams inside words (as scikit-learn's ``char_wb``), weighted and normalised."""

    word_ngrams: tuple[int, int] | None = (1, 2)
    char_ngrams: tuple[int, int] | None = (2, 5)  # None: words only
    char_span: str = "words"  # words: n-grams inside each token (char_wb); text: across tokens too
    weighting: str = "tfidf"  # tfidf | counts | binary
    sublinear_tf: bool = True  # 1 + log(count) instead of the count
    min_count: int = 1  # keep word features seen in at least this many training texts
    min_char_count: int = 2  # the same for character n-grams (there are many rare ones)
    max_features: int = 300_000  # keep the most frequent beyond that

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_ngrams", _ngram_range("word_ngrams", self.word_ngrams))
        object.__setattr__(self, "char_ngrams", _ngram_range("char_ngrams", self.char_ngrams))
        if self.word_ngrams is None and self.char_ngrams is None:
            raise TextkitError("word_ngrams and char_ngrams can't both be off: no features")
        check_choice("weighting", self.weighting, WEIGHTINGS)
        check_choice("char_span", self.char_span, CHAR_SPANS)
        if not isinstance(self.sublinear_tf, bool):
            raise TextkitError(f"sublinear_tf must be true or false, got {self.sublinear_tf!r}")
        check_number("min_count", self.min_count, 1, 10**9, integer=True)
        check_number("min_char_count", self.min_char_count, 1, 10**9, integer=True)
        check_number("max_features", self.max_features, 1, 10**8, integer=True)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict) -> FeatureConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in known})


@dataclass(frozen=True)
class ClassifierConfig:
    """The model behind the features, and how its answers are turned into "no answer"."""

    classifier: str = "mlp"  # mlp (torch, the shared loop) | nb | linear (scikit-learn)
    hidden: int = 128  # mlp: hidden units
    dropout: float = 0.5  # mlp: dropout after the hidden layer
    batch_size: int = 64  # mlp
    c: float = 10.0  # linear: inverse regularisation strength of the logistic regression
    alpha: float = 0.1  # nb: additive smoothing
    val_fraction: float = 0.1  # stratified held-out share, for keep-best, calibration, threshold
    class_weights: bool = True  # weight the loss so rare labels count as much as common ones
    monitor: str = "val_macro_f1"  # mlp: the metric keep-best follows
    calibrate: bool = True  # temperature scaling on validation data
    threshold: float | None = None  # None: chosen on validation data
    max_in_scope_loss: float = 0.02  # threshold choice: in-scope accuracy it may cost
    margin: float = 0.0  # reject when the top two labels are closer than this
    oos_labels: tuple[str, ...] = DEFAULT_OOS_LABELS  # labels that mean "no intent"

    def __post_init__(self) -> None:
        check_choice("classifier", self.classifier, CLASSIFIERS)
        check_number("hidden", self.hidden, 1, 65_536, integer=True)
        check_number("dropout", self.dropout, 0, 1, high_open=True)
        check_number("batch_size", self.batch_size, 1, 1_000_000, integer=True)
        check_number("c", self.c, 0, 1e6, low_open=True)
        check_number("alpha", self.alpha, 0, 1e6, low_open=True)
        check_number("val_fraction", self.val_fraction, 0, 0.5, high_open=True)
        check_choice("monitor", self.monitor, MONITORS)
        check_number("threshold", self.threshold, 0, 1, optional=True)
        check_number("max_in_scope_loss", self.max_in_scope_loss, 0, 1)
        check_number("margin", self.margin, 0, 1)
        for name in ("class_weights", "calibrate"):
            if not isinstance(getattr(self, name), bool):
                raise TextkitError(f"{name} must be true or false, got {getattr(self, name)!r}")
        labels = self.oos_labels
        if isinstance(labels, str) or not all(isinstance(x, str) for x in labels):
            raise TextkitError(f"oos_labels must be a list of labels, got {labels!r}")
        object.__setattr__(self, "oos_labels", tuple(labels))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["oos_labels"] = list(self.oos_labels)
        return d

    @classmethod
    def from_dict(cls, saved: dict) -> ClassifierConfig:
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in saved.items() if k in known})
