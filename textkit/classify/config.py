"""Settings of the text classifiers (intent and authorship), their choices and ranges, in one
torch-free place: what the constructors take, config.json stores and the CLI shows."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from textkit.errors import TextkitError
from textkit.settings import from_dict, setting, validate

HEADS = ("svm", "mlp", "nb", "linear", "centroid")  # what a trained model can be
CLASSIFIERS = (*HEADS, "auto")  # auto: one of the heads, chosen on held-out training texts
WEIGHTINGS = ("tfidf", "counts", "binary")
CHAR_SPANS = ("words", "text")
MONITORS = ("val_macro_f1", "val_accuracy", "val_loss")
DEFAULT_OOS_LABELS = ("oos", "out_of_scope", "out-of-scope")
# Training defaults of the mlp head (TextClassifier.training_defaults): TRAIN_EPOCHS passes over
# the data but at least MIN_STEPS steps, evaluated once an epoch (at least every MIN_EVAL_EVERY
# steps), at learning rate TRAIN_LR.  A train_config setting replaces the matching default.
TRAIN_LR = 1e-2
TRAIN_EPOCHS = 6
MIN_STEPS = 100
MIN_EVAL_EVERY = 20


def _ngram_range(value) -> tuple[int, int] | None:
    """(min, max) from a pair or one size; None (off) stays None; anything else is left for
    the validator to name."""
    if isinstance(value, int) and not isinstance(value, bool):
        return (value, value)
    if isinstance(value, list):
        return tuple(value)
    return value


NGRAMS = dict(kind="range", low=1, high=10, optional=True, metavar="MIN-MAX|none")


@dataclass(frozen=True)
class FeatureConfig:
    """How a text becomes a sparse bag of features: word n-grams of the pipeline's tokens and
    character n-grams inside words (as scikit-learn's ``char_wb``), weighted and normalised."""

    word_ngrams: tuple[int, int] | None = setting(
        (1, 2), **NGRAMS, help="Word n-gram sizes, e.g. 1-2, or none."
    )
    char_ngrams: tuple[int, int] | None = setting(
        (3, 5), **NGRAMS, help="Character n-gram sizes (typos, unseen forms), e.g. 3-5, or none."
    )
    char_span: str = setting(
        "words",
        choices=CHAR_SPANS,
        help="Character n-grams inside each word (words, as scikit-learn's char_wb) or across "
        "words too (text).",
    )
    weighting: str = setting(
        "tfidf", choices=WEIGHTINGS, help="Feature weights (each text's vector is L2-normalised)."
    )
    sublinear_tf: bool = setting(
        True, flag="--sublinear-tf/--no-sublinear-tf", help="1 + log(count) instead of the count."
    )
    min_count: int = setting(
        1,
        low=1,
        high=10**9,
        integer=True,
        help="Keep word features seen in at least this many training texts.",
    )
    min_char_count: int = setting(
        2,
        low=1,
        high=10**9,
        integer=True,
        help="Keep character n-grams seen in at least this many training texts.",
    )
    max_features: int = setting(
        300_000,
        low=1,
        high=10**8,
        integer=True,
        help="Keep at most this many features (the most frequent).",
    )

    def __post_init__(self) -> None:
        object.__setattr__(self, "word_ngrams", _ngram_range(self.word_ngrams))
        object.__setattr__(self, "char_ngrams", _ngram_range(self.char_ngrams))
        validate(self)
        if self.word_ngrams is None and self.char_ngrams is None:
            raise TextkitError("word_ngrams and char_ngrams can't both be off: no features")

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, saved: dict) -> FeatureConfig:
        return from_dict(cls, saved)


@dataclass(frozen=True)
class ClassifierConfig:
    """The model behind the features, and how its answers are turned into "no answer"."""

    classifier: str = setting(
        "svm",
        choices=CLASSIFIERS,
        help="mlp: a small network over word and character n-grams (the shared training loop, "
        "CUDA when present); svm: a linear SVM (squared hinge); nb: naive Bayes; linear: "
        "logistic regression; centroid: the nearest label centroid (as accurate as the svm "
        "with one or two texts per label, and trained in one pass: FAQs with thousands of "
        "answers); auto: the svm, unless another of these is clearly more accurate on "
        "held-out training texts (McNemar's test; compared within --auto-budget).",
    )
    auto_budget: float = setting(
        120.0,
        low=1,
        high=86_400,
        help="auto: seconds for comparing the heads (the default head is always tried; the "
        "others only where they are expected to fit).",
    )
    hidden: int = setting(128, low=1, high=65_536, integer=True, help="mlp: hidden units.")
    dropout: float = setting(
        0.5, low=0, high=1, high_open=True, help="mlp: dropout after the hidden layer."
    )
    batch_size: int = setting(64, low=1, high=1_000_000, integer=True, help="mlp: texts per step.")
    c: float = setting(
        10.0,
        low=0,
        high=1e6,
        low_open=True,
        help="linear: inverse regularisation strength of the logistic regression.",
    )
    svm_c: float = setting(
        1.0,
        low=0,
        high=1e6,
        low_open=True,
        help="svm: inverse regularisation strength of the linear SVM (squared hinge).",
    )
    alpha: float = setting(0.1, low=0, high=1e6, low_open=True, help="nb: additive smoothing.")
    val_fraction: float = setting(
        0.1,
        low=0,
        high=0.5,
        high_open=True,
        help="Share of each label held out for keep-best, calibration and the threshold.",
    )
    class_weights: bool = setting(
        True,
        flag="--class-weights/--no-class-weights",
        help="Weight the loss so rare labels count as much as common ones.",
    )
    monitor: str = setting(
        "val_macro_f1", choices=MONITORS, help="mlp: the metric keep-best follows."
    )
    calibrate: bool = setting(
        True,
        flag="--calibrate/--no-calibrate",
        help="Temperature scaling of the confidences on validation data.",
    )
    threshold: float | None = setting(
        None,
        low=0,
        high=1,
        optional=True,
        help="Confidence below which the answer is 'out of scope'. "
        "[default: chosen on validation data]",
    )
    max_in_scope_loss: float = setting(
        0.02, low=0, high=1, help="For the automatic threshold: the in-scope accuracy it may cost."
    )
    margin: float = setting(
        0.0,
        low=0,
        high=1,
        help="Out of scope when the top two labels are closer than this (0: off).",
    )
    oos_labels: tuple[str, ...] = setting(
        DEFAULT_OOS_LABELS,
        multiple=True,
        flag="--oos-label",
        help="A label meaning 'out of scope' in the data (repeat for several).",
    )

    def __post_init__(self) -> None:
        validate(self)
        object.__setattr__(self, "oos_labels", tuple(self.oos_labels))

    def to_dict(self) -> dict:
        d = asdict(self)
        d["oos_labels"] = list(self.oos_labels)
        return d

    @classmethod
    def from_dict(cls, saved: dict) -> ClassifierConfig:
        return from_dict(cls, saved)
