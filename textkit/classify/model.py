"""``TextClassifier``: the estimator the intent and author classifiers share.

Hyperparameters in the constructor (``ClassifierConfig``, a ``FeatureConfig`` and a
``Pipeline``); ``fit`` learns from labelled texts in any supported form; ``predict`` returns a
``Prediction`` (a label, or None for out of scope, with a calibrated confidence and a ranking);
``save``/``load`` a model folder that holds no pickle and loads without torch or scikit-learn.

Three classifiers sit behind the same interface: ``mlp`` (a torch BagMLP trained by the shared
loop, CUDA when present) and the scikit-learn baselines ``nb`` (multinomial naive Bayes) and
``linear`` (logistic regression).  Whatever trained it, a model answers in numpy from its saved
arrays: features, logits, temperature-scaled softmax, the reject rule.
"""

from __future__ import annotations

import copy
import tempfile
import time
import warnings
from collections import Counter
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any, ClassVar

import numpy as np

from textkit.classify.calibration import (
    MIN_CALIBRATION_ROWS,
    RejectRule,
    choose_threshold,
    expected_calibration_error,
    fit_temperature,
    softmax,
)
from textkit.classify.config import (
    HEADS,
    MIN_EVAL_EVERY,
    MIN_STEPS,
    TRAIN_EPOCHS,
    TRAIN_LR,
    ClassifierConfig,
    FeatureConfig,
)
from textkit.classify.data import LabelledTexts, fold_of, labelled_texts, stratified_split
from textkit.classify.features import MAX_TEXT_CHARS, MAX_WEIGHTS, Featurizer, SparseRows
from textkit.errors import TextkitError, TextkitWarning
from textkit.estimator import Estimator
from textkit.modelio import ModelFolder, read_array_header
from textkit.progress import Progress
from textkit.settings import with_overrides
from textkit.text.pipeline import PIPELINE_FILE, Pipeline
from textkit.training.config import TrainConfig, chosen, run_config
from textkit.training.runlog import RunLog, TrainResult

VOCAB = "vocab.json"
MEMORY = "memory.json"  # digests of the training texts with their labels (_remember_texts)
LOSS_UNIT = "nats/text"
FAQ_LABELS = 2_000  # labels of one or two texts from which the svm's cost is said
BATCH_ROWS = 64  # texts from which a linear head's logits are one sparse product (scipy)
METRICS_CELLS = 4_000_000  # texts x labels of logits held at once for the metrics (32 MB)


@dataclass
class Prediction:
    """One answer. ``label`` is None when the text is out of scope (``reason`` says why)."""

    text: str
    label: str | None
    confidence: float  # calibrated probability of the top label; 0 for empty or unknown input
    ranking: list[tuple[str, float]] = field(default_factory=list)  # top labels, best first
    reason: str | None = (
        None  # empty | no known words | low confidence | small margin | out-of-scope label
    )
    entities: list = field(default_factory=list)  # textkit.entities.Entity, by start

    @property
    def out_of_scope(self) -> bool:
        return self.label is None

    def to_dict(self) -> dict:
        return {
            "text": self.text,
            "label": self.label,
            "confidence": round(self.confidence, 6),
            "out_of_scope": self.out_of_scope,
            "reason": self.reason,
            "ranking": [{"label": lb, "confidence": round(c, 6)} for lb, c in self.ranking],
            "entities": [e.to_dict() for e in self.entities],
        }


class TextClassifier(Estimator):
    """Base of IntentClassifier and AuthorClassifier (see the module docstring)."""

    DEFAULT_PIPELINE: ClassVar[Pipeline] = Pipeline()
    DEFAULT_FEATURES: ClassVar[FeatureConfig] = FeatureConfig()
    CROSS_FIT_BELOW: ClassVar[int] = 1000  # texts: smaller sets are cross-fitted, not split
    CROSS_FIT_FOLDS: ClassVar[int] = 5
    NO_VALIDATION_THRESHOLD: ClassVar[float] = 0.25  # the classic tutorials' ERROR_THRESHOLD
    REJECT_UNKNOWN: ClassVar[bool] = True  # text with no known word is out of scope
    NO_ANSWER: ClassVar[str] = "(out of scope)"  # how reports and the CLI show "no label"
    FEW_EXAMPLES: ClassVar[int] = 2  # warn about labels with fewer training texts than this
    LABEL_NAME: ClassVar[str] = "label"  # how messages name a label ("intent", "author")
    READS_ANNOTATIONS: ClassVar[bool] = False  # inline entity annotations in the texts

    def __init__(
        self,
        config: ClassifierConfig | None = None,
        *,
        pipeline: Pipeline | None = None,
        features: FeatureConfig | None = None,
        **overrides,
    ) -> None:
        self.config = with_overrides(type(self).__name__, ClassifierConfig, config, overrides)
        self.pipeline = pipeline or self.DEFAULT_PIPELINE
        self.feature_config = features or self.DEFAULT_FEATURES
        self.labels_: list[str] = []  # learned by fit (as everything ending in _)
        self.featurizer: Featurizer | None = None
        self.arrays: dict[str, np.ndarray] = {}
        self.temperature_, self.threshold_ = 1.0, 0.0
        self.memory_: dict[str, int] = {}
        self.info: dict = {}

    def is_trained(self) -> bool:
        return self.featurizer is not None and bool(self.arrays) and bool(self.labels_)

    # ================================================================== training
    def fit(
        self,
        data,
        out: str | Path | None = None,
        train_config: TrainConfig | dict | None = None,
        *,
        overwrite: bool = False,
        log: Callable[[str], None] | None = None,
    ) -> TrainResult:
        """Learn from ``data``: a path or a ``Source`` (any supported format; the Source names
        the columns), (text, label) pairs, ``{label: [texts]}`` or LabelledTexts.  With ``out``
        the model folder is written there as training goes (``overwrite=True`` replaces a model
        there); without, the model stays in memory until ``save``.  ``train_config`` (a
        TrainConfig or a dict) changes the training defaults (``training_defaults``)."""
        self._check_out(out, overwrite)
        TrainConfig(**chosen(train_config)).check_device()  # before any work, for every head
        data = labelled_texts(data, annotations=self.READS_ANNOTATIONS)
        self._check_data(data)
        seed = chosen(train_config).get("seed", TrainConfig.seed)
        self.labels_ = sorted(set(data.labels))
        index = {lb: i for i, lb in enumerate(self.labels_)}
        y = np.array([index[lb] for lb in data.labels], dtype=np.int64)
        if self.config.classifier == "auto":
            from textkit.classify.auto import choose_head

            self.config = choose_head(self, data, y, train_config, log)
        cross_fit = 0 < len(data) < self.CROSS_FIT_BELOW and self.config.val_fraction > 0
        sklearn = self.config.classifier != "mlp"
        if cross_fit or sklearn:  # every text trains (the mlp's keep-best needs a split)
            train_rows, val_rows = np.arange(len(data)), np.zeros(0, dtype=np.int64)
        else:
            train_rows, val_rows = stratified_split(
                data.labels, self.config.val_fraction, seed, data.groups
            )
        held_out = self.config.val_fraction > 0 and not cross_fit
        with self._fit_progress(train_config, cross_fit, held_out) as progress:
            # a small set: every text validates (out of fold), and all of them train
            out_of_fold = self._cross_fit(data, y, train_config, progress) if cross_fit else None
            cfg = run_config(train_config, self.training_defaults(len(train_rows)))
            self.featurizer = Featurizer(self.pipeline, self.feature_config)
            counts = self.featurizer.count(data.texts)  # once: a split model reuses them
            x_train = self._fit_features([counts[i] for i in train_rows])
            x_val = self.featurizer.weigh_counted([counts[i] for i in val_rows])
            self._remember_data(data)
            with tempfile.TemporaryDirectory() as tmp:
                target = Path(out) if out is not None else Path(tmp) / "model"
                with self._run(target, overwrite=overwrite) as folder:
                    self.folder = folder
                    self._write_static(folder)
                    train, val = (x_train, y[train_rows]), (x_val, y[val_rows])
                    split = None  # the held-out logits of a scikit-learn head's split model
                    if sklearn:
                        result, split = self._fit_sklearn_and_split(
                            folder, cfg, train, data, counts, y, held_out
                        )
                        progress.update()
                    else:
                        progress.close()  # the training loop shows its own steps
                        result = self._fit_mlp(folder, cfg, train, val, log, out is not None)
                    by_document = " (whole documents)" if data.groups is not None else ""
                    if cross_fit:
                        method = f"{self.CROSS_FIT_FOLDS}-fold cross-fitting{by_document}"
                        self._calibrate_on(out_of_fold, y, method, data.groups)
                    else:
                        logits, val_rows = split or (self._logits_rows(x_val), val_rows)
                        self._calibrate_on(
                            logits,
                            y[val_rows],
                            f"held-out split{by_document}",
                            None if data.groups is None else [data.groups[i] for i in val_rows],
                        )
                        if split:
                            progress.update()
                    self._headline_held_out()
                    self._remember_texts(data)
                    self._write_memory(folder)
                    self._write_config(folder)
                    self._fit_extra(folder, data, train_config, log)
                self.folder = folder if out is not None else None
        return result

    def _fit_progress(self, train_config, cross_fit: bool, held_out: bool) -> Progress:
        """Progress in fits: the cross-fitting folds, then the scikit-learn head's fit on every
        text and the split model that calibrates it.  The mlp's own training shows its steps."""
        sklearn = self.config.classifier != "mlp"
        fits = (self.CROSS_FIT_FOLDS if cross_fit else 0) + sklearn * (1 + held_out)
        show = chosen(train_config).get("progress") if fits else False
        return Progress(fits, "fit", desc=f"training ({self.config.classifier})", show=show)

    def training_defaults(self, n_train: int) -> dict:
        """``TRAIN_EPOCHS`` passes over the data, but at least ``MIN_STEPS`` steps (a small
        intents.json is a few batches an epoch), evaluated about once an epoch, at ``TRAIN_LR``:
        what a run uses for every setting its ``train_config`` leaves out."""
        per_epoch = -(-n_train // min(self.config.batch_size, max(n_train, 1)))
        steps = max(round(TRAIN_EPOCHS * per_epoch), MIN_STEPS)
        return {"max_steps": steps, "lr": TRAIN_LR, "eval_every": max(per_epoch, MIN_EVAL_EVERY)}

    def _fit_sklearn_and_split(
        self, folder, cfg: TrainConfig, train, data: LabelledTexts, counts, y, held_out: bool
    ):
        """The scikit-learn head fitted on every text and, with ``held_out``, what the split
        model that calibrates it says (``_split_logits``; else None), trained alongside: each
        on half the cores, their solvers freeing the GIL (benchmarks/intent_speed.py)."""
        rows = None
        if held_out:
            rows = stratified_split(data.labels, self.config.val_fraction, cfg.seed, data.groups)
        if rows is not None and len(rows[1]) == 0:  # no label has texts to spare: no 2nd fit
            rows = None
        cores = max(1, _cores() // 2) if rows is not None else _cores()
        with ThreadPoolExecutor(1) as pool:
            split = None
            if rows is not None:
                split = pool.submit(self._split_logits, counts, y, rows, cfg.seed, cores)
            result = self._fit_sklearn(folder, cfg, train, cores)
            return result, None if split is None else split.result()

    def _split_logits(
        self, counts: list[Counter], y: np.ndarray, rows, seed: int, cores: int
    ) -> tuple[np.ndarray, np.ndarray]:
        """To calibrate a scikit-learn head trained on every text: the logits of a second model,
        trained on the split's ``rows`` (train, val), on the texts it held out, and those
        texts' rows.  Trained alongside the first."""
        train, val = rows
        split = copy.copy(self)  # the same settings and labels; its own features and weights
        split.featurizer = Featurizer(self.pipeline, self.feature_config)
        x = split._fit_features([counts[i] for i in train], say=False)
        split.arrays = split._sklearn_arrays(x.to_scipy(), y[train], seed, cores)
        logits = split._logits_rows(split.featurizer.weigh_counted([counts[i] for i in val]))
        return logits, val

    def _headline_held_out(self) -> None:
        """``best_metrics`` (what `textkit models` shows) from held-out texts only: the
        validation split or the out-of-fold predictions, never the fit to the training data
        (None when nothing was held out)."""
        v = self.info["validation"]
        best = dict(self.info.get("best_metrics") or {})
        best.update(val_accuracy=v["accuracy"], val_macro_f1=v["macro_f1"], held_out=v["method"])
        self.info["best_metrics"] = best

    def _remember_texts(self, data: LabelledTexts) -> None:
        """A digest of each training text (as the pipeline reads it) with its label, so the
        model always answers its own training texts with their label (an FAQ bot is asked its
        own questions).  A text seen under two labels is left to the classifier."""
        seen: dict[str, int] = {}
        for text, label in zip(data.texts, data.labels, strict=True):
            key = self._text_key(text)
            index = self.labels_.index(label)
            seen[key] = index if seen.get(key, index) == index else -1
        self.memory_ = {k: v for k, v in seen.items() if v >= 0}

    def _text_key(self, text: str) -> str:
        import hashlib

        tokens = "\x1f".join(self.pipeline.tokens(text[:MAX_TEXT_CHARS]))
        return hashlib.blake2b(tokens.encode("utf-8"), digest_size=12).hexdigest()

    def _fit_features(self, counts: list[Counter], say: bool = True) -> SparseRows:
        """Fit ``self.featurizer`` on the texts' feature counts.  A linear head holds labels x
        features weights: with very many labels, only the most frequent features are kept, so
        that it stays within ``MAX_WEIGHTS`` (said when it drops any)."""
        cap = max(1000, MAX_WEIGHTS // max(len(self.labels_), 1))
        rows = self.featurizer.fit_counted(counts, max_features=cap)
        if say and self.featurizer.candidates > cap < self.feature_config.max_features:
            warnings.warn(
                f"{len(self.labels_):,} {self.LABEL_NAME}s: keeping the {cap:,} most frequent "
                f"of {self.featurizer.candidates:,} features (max_features) so the model stays "
                f"within {MAX_WEIGHTS:,} weights",
                TextkitWarning,
                stacklevel=4,
            )
        return rows

    def _check_data(self, data: LabelledTexts) -> None:
        counts = data.counts()
        if len(counts) < 2:
            only = next(iter(counts), None)
            raise TextkitError(
                f"{data.source}: "
                + (
                    f"only one label ({only!r}): nothing to classify; add examples "
                    "of at least one more"
                    if only
                    else "no labelled texts"
                )
            )
        if all(self.is_out_of_scope_label(lb) for lb in counts):
            raise TextkitError(
                f"{data.source}: every label is an out-of-scope label; nothing to learn"
            )
        long = sum(len(t) > MAX_TEXT_CHARS for t in data.texts)
        if long:
            warnings.warn(
                f"{data.source}: {long} text(s) longer than {MAX_TEXT_CHARS:,} characters: "
                "only their beginning counts",
                TextkitWarning,
                stacklevel=3,
            )
        if (
            self.config.classifier == "svm"
            and len(counts) >= FAQ_LABELS
            and len(data) <= 2 * len(counts)
        ):
            warnings.warn(
                f"{data.source}: {len(counts):,} {self.LABEL_NAME}s of one or two texts: the "
                "svm solves a problem for each (minutes at 10,000); --classifier centroid is "
                "as accurate with so few texts per label and trains in one pass",
                TextkitWarning,
                stacklevel=3,
            )
        rare = sorted((lb, n) for lb, n in counts.items() if n < self.FEW_EXAMPLES)
        if rare:
            listed = ", ".join(f"{lb!r} ({n})" for lb, n in rare[:10])
            warnings.warn(
                f"{data.source}: {len(rare)} {self.LABEL_NAME}(s) with too few examples to "
                f"learn or validate well (fewer than {self.FEW_EXAMPLES}): {listed}",
                TextkitWarning,
                stacklevel=3,
            )

    def _fit_extra(self, folder: ModelFolder, data: LabelledTexts, train_config, log) -> None:
        """Hook: what a kind trains besides the classifier (an intent model's entities)."""

    def _entities_of(self, text: str, label: str | None) -> list:
        """Hook: the entities of ``text`` whose top label is ``label``."""
        return []

    def _remember_data(self, data: LabelledTexts) -> None:
        """Hook for kinds that keep more of their training data (an intents.json's responses)."""

    def _class_weights(self, y: np.ndarray) -> np.ndarray | None:
        """Balanced weights, so a rare intent counts as much as a common one; except for the
        out-of-scope labels, whose texts count one each: "everything else" is meant to be
        large, and weighing it down to one intent's share teaches the model to ignore it
        (BANKING77-OOS: out-of-scope recall 49% balanced, 91% so; benchmarks/README.md)."""
        if not self.config.class_weights:
            return None
        counts = np.bincount(y, minlength=len(self.labels_)).astype(np.float64)
        w = np.where(counts > 0, len(y) / (len(self.labels_) * np.maximum(counts, 1)), 0.0)
        oos = np.array([self.is_out_of_scope_label(lb) for lb in self.labels_], dtype=bool)
        w[oos & (counts > 0)] = 1.0
        return w.astype(np.float32)

    def _fit_mlp(self, folder: ModelFolder, cfg: TrainConfig, train, val, log, plot: bool):
        from textkit.classify.net import BagMLP
        from textkit.classify.task import ClassifierTask
        from textkit.training.loop import Trainer

        trainer = Trainer(cfg, folder, log=log, plot=plot)  # seeds before the net is built
        net = BagMLP(
            self.featurizer.n_features, len(self.labels_), self.config.hidden, self.config.dropout
        )

        def on_best(row: dict) -> None:
            self._set_mlp_arrays({k: v.detach().cpu().numpy() for k, v in net.state_dict().items()})
            self.info["best_metrics"] = row
            folder.save_arrays(self._arrays_to_save(), self.WEIGHTS)
            self._write_config(folder)

        task = ClassifierTask(
            net,
            train,
            val,
            self.config.batch_size,
            len(self.labels_),
            self._class_weights(train[1]),
            self.config.monitor,
            cfg.seed,
            on_best,
            fingerprint="",
        )
        self.info.update(
            training=cfg.to_dict(),
            trained_on=str(trainer.device),
            num_params=sum(p.numel() for p in net.parameters()),
        )
        result = trainer.fit(task)
        self._set_mlp_arrays(folder.load_arrays(self.WEIGHTS))  # keep-best, as on disk
        return result

    def _set_mlp_arrays(self, state: dict[str, np.ndarray]) -> None:
        self.arrays = {k: np.asarray(v, dtype=np.float32) for k, v in state.items() if k != "idf"}

    def _fit_sklearn(self, folder: ModelFolder, cfg: TrainConfig, train, cores: int):
        """The one-shot heads (scikit-learn's, the centroids): fitted once on every text (on ``cores`` threads where the
        solver can use them), their learned arrays stored (no pickle).  Their metrics row is
        the fit to the training data; held-out figures join the headline after calibration
        (``_headline_held_out``).  No loss.png: one fit draws no curve."""
        x, y = train[0].to_scipy(), train[1]
        start = time.monotonic()
        self.arrays = self._sklearn_arrays(x, y, cfg.seed, cores)
        elapsed = time.monotonic() - start
        folder.save_arrays(self._arrays_to_save(), self.WEIGHTS)
        runlog = RunLog(folder, "train_accuracy", "max")
        row = {
            "step": 0,
            "epoch": 1.0,
            **self._fit_metrics(*train),
            "elapsed_s": round(elapsed, 3),
            "units_per_s": len(y) / max(elapsed, 1e-9),
        }
        runlog.record(row)
        self.info.update(
            best_metrics=row,
            training={"seed": cfg.seed},
            trained_on="cpu",
            num_params=int(sum(v.size for v in self.arrays.values())),
        )
        self._write_config(folder)
        return runlog.result(0, "fitted", elapsed_s=elapsed, units_per_s=row["units_per_s"])

    def _sklearn_arrays(self, x, y: np.ndarray, seed: int, cores: int) -> dict[str, np.ndarray]:
        """Fit the one-shot head (scikit-learn's, or the centroids) on ``x``, ``y``; its learned
        arrays (no pickle)."""
        weights = self._class_weights(y)
        sample_weight = None if weights is None else weights[y]
        if self.config.classifier == "nb":
            from sklearn.naive_bayes import MultinomialNB

            nb = MultinomialNB(alpha=self.config.alpha).fit(x, y, sample_weight=sample_weight)
            arrays = {
                "feature_log_prob": nb.feature_log_prob_,
                "class_log_prior": nb.class_log_prior_,
            }
        elif self.config.classifier == "centroid":
            arrays = {"coef": label_centroids(x, y, len(self.labels_))}
            arrays["intercept"] = np.zeros(len(arrays["coef"]))
        else:
            if self.config.classifier == "svm":
                coef, intercept = linear_svc(x, y, sample_weight, self.config.svm_c, seed, cores)
            else:
                from sklearn.linear_model import LogisticRegression

                lr = LogisticRegression(C=self.config.c, max_iter=1000, random_state=seed)
                lr.fit(x, y, sample_weight=sample_weight)
                coef, intercept = lr.coef_, lr.intercept_
            if len(coef) == 1:  # scikit-learn keeps one row for two classes
                coef = np.vstack([-coef / 2, coef / 2])
                intercept = np.array([-intercept[0] / 2, intercept[0] / 2])
            arrays = {"coef": coef, "intercept": intercept}
        return {k: v.astype(np.float32) for k, v in arrays.items()}

    def _fit_metrics(self, x: SparseRows, y: np.ndarray) -> dict[str, float]:
        """Loss, accuracy and macro-F1 on the training texts ``x``, a block of rows at a time:
        texts x labels logits at once would be 1.6 GB for 20,000 texts of 10,000 labels."""
        if len(y) == 0:
            return {}
        block = max(1, METRICS_CELLS // len(self.labels_))
        pred, losses = np.zeros(len(y), dtype=np.int64), np.zeros(len(y))
        by_feature = self._by_feature()
        for start in range(0, len(y), block):
            rows = np.arange(start, min(start + block, len(y)))
            logits = self._logits_rows(x.select(rows), by_feature)
            pred[rows] = logits.argmax(1)
            p = softmax(logits)[np.arange(len(rows)), y[rows]]
            losses[rows] = -np.log(np.clip(p, 1e-12, None))
        f1 = _macro_f1(pred, y)
        loss, accuracy = float(losses.mean()), float((pred == y).mean())
        return {"train_loss": loss, "train_accuracy": accuracy, "train_macro_f1": f1}

    def _cross_fit(
        self, data: LabelledTexts, y: np.ndarray, train_config, progress: Progress
    ) -> np.ndarray:
        """Out-of-fold logits of every text: ``CROSS_FIT_FOLDS`` models, each trained (in memory,
        same settings) on the other folds, score the texts they never saw.  On a small data set
        this grounds calibration and the threshold on all of it instead of a handful held out."""
        from dataclasses import replace

        k = self.CROSS_FIT_FOLDS
        seed = chosen(train_config).get("seed", TrainConfig.seed)
        fold = fold_of(y, k, seed, data.groups)
        logits = np.full((len(y), len(self.labels_)), -1e9)
        quiet = {**chosen(train_config), "progress": False}  # the folds show as one bar
        for f in range(k):
            train, test = np.flatnonzero(fold != f), np.flatnonzero(fold == f)
            if len(test) == 0 or len(np.unique(y[train])) < 2:
                progress.update()
                continue
            clone = type(self)(
                replace(self.config, val_fraction=0.0),
                pipeline=self.pipeline,
                features=self.feature_config,
            )
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", TextkitWarning)
                clone.fit(
                    LabelledTexts(
                        [data.texts[i] for i in train], [data.labels[i] for i in train], data.source
                    ),
                    train_config=quiet,
                )
            columns = [self.labels_.index(lb) for lb in clone.labels_]
            scores = clone._logits_rows(clone.featurizer.transform(data.texts[i] for i in test))
            logits[np.ix_(test, columns)] = scores
            progress.update()
        return logits

    def _calibrate_on(
        self, logits: np.ndarray, y: np.ndarray, method: str, groups: list | None = None
    ) -> None:
        """Temperature and threshold from validation logits.  Only texts whose label their
        fold's model knew can measure anything (an FAQ bot with one text per intent has none);
        with too few of those, nothing is learnt: temperature 1 and no confidence threshold
        (the model answers, and says why it can't judge its confidence)."""
        c = self.config
        measurable = logits[np.arange(len(y)), y] > -1e8 if len(y) else np.zeros(0, dtype=bool)
        usable = int(measurable.sum())
        if len(y) and usable < max(MIN_CALIBRATION_ROWS, len(y) // 2):
            why = (
                f"only {usable} of {len(y)} held-out texts have an {self.LABEL_NAME} with other "
                "training examples"
                if usable < len(y) // 2
                else f"{usable} held-out texts are too few to measure it on (at least "
                f"{MIN_CALIBRATION_ROWS} are needed)"
            )
            warnings.warn(
                f"calibration can't be measured: {why}; confidences are uncalibrated and no "
                f"confidence threshold is used (give each {self.LABEL_NAME} at least 2-3 "
                "examples, or set threshold)",
                TextkitWarning,
                stacklevel=3,
            )
            self.temperature_ = 1.0
            self.threshold_ = c.threshold if c.threshold is not None else 0.0
            self.info["validation"] = {
                "method": "none (too few texts per label to measure)",
                "texts": 0,
                "accuracy": None,
                "macro_f1": None,
                "temperature": 1.0,
                "threshold": self.threshold_,
            }
            self._calibrated(np.zeros((0, len(self.labels_))), np.zeros(0, dtype=np.int64), None)
            return
        logits, y = logits[measurable], y[measurable]
        groups = (
            None if groups is None else [g for g, m in zip(groups, measurable, strict=True) if m]
        )
        self.temperature_ = fit_temperature(logits, y) if c.calibrate and len(y) else 1.0
        probs = softmax(logits, self.temperature_) if len(y) else np.zeros((0, len(self.labels_)))
        pred, conf = probs.argmax(1), probs.max(1)
        oos = np.array([self.is_out_of_scope_label(self.labels_[i]) for i in y], dtype=bool)
        correct = pred == y
        if c.threshold is not None:
            self.threshold_ = c.threshold
        elif len(y):
            self.threshold_ = choose_threshold(conf, correct, ~oos, c.max_in_scope_loss)
        else:
            self.threshold_ = self.NO_VALIDATION_THRESHOLD
        raw = softmax(logits).max(1) if len(y) else conf
        self.info["validation"] = {
            "method": method if len(y) else "none",
            "texts": len(y),
            "accuracy": float(correct.mean()) if len(y) else None,
            "macro_f1": _macro_f1(pred, y),
            "ece": expected_calibration_error(conf, correct),
            "ece_uncalibrated": expected_calibration_error(raw, correct),
            "temperature": self.temperature_,
            "threshold": self.threshold_,
        }
        self._calibrated(probs, y, groups)

    def _calibrated(self, probs: np.ndarray, y: np.ndarray, groups: list | None) -> None:
        """Hook: the calibrated validation probabilities (the texts that could be measured, and
        their documents where the data names them), for what a kind fits on them (an author
        model's combination scale)."""

    # ================================================================== answering
    def is_out_of_scope_label(self, label: str) -> bool:
        """An explicit "no intent" label of the training data (``oos_labels``)."""
        return label.lower() in {x.lower() for x in self.config.oos_labels}

    def reject_rule(
        self, threshold: float | None = None, margin: float | None = None
    ) -> RejectRule:
        """The stored threshold and margin, or the given ones."""
        from textkit.checks import check_number

        check_number("threshold", threshold, 0, 1, optional=True)
        check_number("margin", margin, 0, 1, optional=True)
        return RejectRule(
            self.threshold_ if threshold is None else threshold,
            self.config.margin if margin is None else margin,
        )

    def _linear(self) -> tuple[np.ndarray, np.ndarray] | None:
        """A linear head's (weights, labels x features, and bias): naive Bayes's log
        probabilities and prior, or every other one-shot head's coef and intercept; None for
        the mlp."""
        a = self.arrays
        if self.config.classifier == "mlp":
            return None
        if self.config.classifier == "nb":
            return a["feature_log_prob"], a["class_log_prior"]
        return a["coef"], a["intercept"]

    def _logits_one(self, ids: np.ndarray, w: np.ndarray) -> np.ndarray:
        linear = self._linear()
        if linear is None:
            from textkit.classify.inference import numpy_forward

            return numpy_forward(self.arrays, ids, w)
        weights, bias = linear
        return weights[:, ids] @ w + bias

    def _by_feature(self) -> tuple[np.ndarray, np.ndarray] | None:
        """A linear head's weights as features x labels in C order, and its bias (None for the
        mlp): the order a sparse product of many texts needs (scipy copies any other order on
        every product: once per block of the metrics of 10,000 labels)."""
        linear = self._linear()
        return None if linear is None else (np.ascontiguousarray(linear[0].T), linear[1])

    def _logits_rows(self, rows: SparseRows, by_feature=None) -> np.ndarray:
        """Every row's logits; ``by_feature`` (``_by_feature()``), when a caller scores many
        blocks, is made once for all of them."""
        if by_feature is None and len(rows) >= BATCH_ROWS:
            by_feature = self._by_feature()
        if by_feature is not None:
            # one sparse product: a row at a time gathers a column of every label's weights
            # per feature (most of what benchmarks/many_labels.py lost, 318 s -> 239 s)
            weights, bias = by_feature
            return np.asarray(rows.to_scipy() @ weights, dtype=np.float64) + bias
        out = np.zeros((len(rows), len(self.labels_)), dtype=np.float64)
        for r in range(len(rows)):
            s, e = rows.indptr[r], rows.indptr[r + 1]
            out[r] = self._logits_one(rows.indices[s:e], rows.data[s:e])
        return out

    def predict_proba(self, texts: Iterable[str]) -> np.ndarray:
        """Calibrated label probabilities, one row per text (columns: ``self.labels_``)."""
        self._require_trained()
        return softmax(self._logits_rows(self.featurizer.transform(texts)), self.temperature_)

    def predict(
        self, text: str, threshold: float | None = None, margin: float | None = None, k: int = 5
    ) -> Prediction:
        """The label of ``text``, or None (out of scope) with the reason."""
        return self.predict_many([text], threshold, margin, k)[0]

    def rank(self, text: str, k: int = 5) -> list[tuple[str, float]]:
        """The ``k`` most likely labels with their calibrated confidences, best first."""
        return self.predict(text, k=k).ranking

    def predict_many(
        self,
        texts: Iterable[str],
        threshold: float | None = None,
        margin: float | None = None,
        k: int = 5,
    ) -> list[Prediction]:
        """Predictions for many texts in one call (threshold/margin override the stored ones)."""
        self._require_trained()
        from textkit.checks import check_number

        check_number("k", k, 1, 10**6, integer=True)
        rule = self.reject_rule(threshold, margin)
        return [self._predict_one(t, rule, k) for t in texts]

    def _predict_one(self, text: str, rule: RejectRule, k: int) -> Prediction:
        if not isinstance(text, str):
            raise TextkitError(f"predict needs text (a string), got {type(text).__name__}")
        known, total = self.featurizer.known_words(text)
        if total == 0:
            return Prediction(text, None, 0.0, [], "empty")
        ids, w = self.featurizer.transform_one(text)
        probs = softmax(self._logits_one(ids, w), self.temperature_)
        order = np.argsort(-probs, kind="stable")
        remembered = self.memory_.get(self._text_key(text)) if self.memory_ else None
        if remembered is not None:  # a training text: its own label, whatever the margins
            order = np.concatenate([[remembered], order[order != remembered]])
            ranking = [(self.labels_[i], float(probs[i])) for i in order[:k]]
            label = self.labels_[remembered]
            entities = self._entities_of(text, label)
            if self.is_out_of_scope_label(label):
                return Prediction(
                    text, None, float(probs[remembered]), ranking, "out-of-scope label", entities
                )
            return Prediction(text, label, float(probs[remembered]), ranking, None, entities)
        ranking = [(self.labels_[i], float(probs[i])) for i in order[:k]]
        top = self.labels_[order[0]]
        entities = self._entities_of(text, top)
        if known == 0 and self.REJECT_UNKNOWN:
            return Prediction(text, None, 0.0, ranking, "no known words", entities)
        reason = rule.reason(probs[order], self.is_out_of_scope_label(top))
        confidence = float(probs[order[0]])
        return Prediction(text, None if reason else top, confidence, ranking, reason, entities)

    # ================================================================== the folder
    def _arrays_to_save(self) -> dict[str, np.ndarray]:
        return {**self.arrays, "idf": self.featurizer.idf}

    def _write_static(self, folder: ModelFolder) -> None:
        self.pipeline.save(folder.file(PIPELINE_FILE))
        folder.write_json(VOCAB, self.featurizer.vocab)

    def _config_dict(self) -> dict:
        return {
            "model": self.config.to_dict(),
            "features": self.feature_config.to_dict(),
            "labels": self.labels_,
            "temperature": self.temperature_,
            "threshold": self.threshold_,
            "loss_unit": LOSS_UNIT,
            **self.info,
        }

    def _write_config(self, folder: ModelFolder) -> None:
        folder.write_config(self.KIND, self._config_dict())

    def _read_memory(self, folder: ModelFolder) -> dict[str, int]:
        """memory.json's [text digest, label index] pairs, checked (C-level loops: a large
        model has one per training text)."""
        if not folder.file(MEMORY).is_file():
            return {}
        memory = folder.read_json(MEMORY)
        try:
            if not isinstance(memory, list) or not all(map(isinstance, memory, repeat(list))):
                raise ValueError
            pairs = dict(memory)  # every entry two long, or ValueError
            labels = list(pairs.values())
            if not all(map(isinstance, pairs, repeat(str))) or not all(
                map(isinstance, labels, repeat(int))
            ):
                raise ValueError
            if labels and not 0 <= min(labels) <= max(labels) < len(self.labels_):
                raise ValueError
        except (ValueError, TypeError):
            raise TextkitError(f"{folder.file(MEMORY)} is corrupt; retrain") from None
        return pairs

    def _write_memory(self, folder: ModelFolder) -> None:
        folder.write_json(MEMORY, sorted(self.memory_.items()))

    def _write_folder(self, folder: ModelFolder) -> None:
        self._write_static(folder)
        folder.save_arrays(self._arrays_to_save(), self.WEIGHTS)
        self._write_memory(folder)
        self._write_extra(folder)
        self._write_config(folder)

    def _write_extra(self, folder: ModelFolder) -> None:
        """Hook for a kind's own files (the intents' responses)."""

    @classmethod
    def _from_config(cls, config: dict) -> TextClassifier:
        model = cls(
            ClassifierConfig.from_dict(config["model"]),
            features=FeatureConfig.from_dict(config["features"]),
        )
        if model.config.classifier not in HEADS:
            raise ValueError(f"'classifier' must be one of {', '.join(HEADS)}")
        labels = config["labels"]
        if (
            not isinstance(labels, list)
            or len(labels) < 2
            or not all(isinstance(x, str) for x in labels)
        ):
            raise ValueError("'labels' must list at least two label strings")
        model.labels_ = labels
        for name in ("temperature", "threshold"):
            value = config[name]
            if (
                isinstance(value, bool)
                or not isinstance(value, (int, float))
                or not np.isfinite(value)
            ):
                raise ValueError(f"'{name}' must be a number")
            setattr(model, name + "_", float(value))
        if model.temperature_ <= 0 or not 0 <= model.threshold_ <= 1:
            raise ValueError("'temperature' must be > 0 and 'threshold' in [0, 1]")
        model.info = {
            k: v
            for k, v in config.items()
            if k in ("validation", "best_metrics", "training", "saved_at")
        }
        return model

    def _load_arrays(self, folder: ModelFolder, device: str) -> None:
        """Pipeline, vocabulary and arrays, their shapes checked against each other.  The
        weights are read and checksummed in a thread (file reads and hashlib release the GIL)
        while this one parses the JSON files: a large model loads in about half the time."""
        path = folder.file(self.WEIGHTS)
        found = {k: shape for k, (_, shape) in read_array_header(path).items()}
        with ThreadPoolExecutor(1) as pool:
            weights = pool.submit(folder.load_arrays, self.WEIGHTS)
            try:
                self.pipeline = Pipeline.load(folder.file(PIPELINE_FILE))
                vocab = folder.read_json(VOCAB)
                if not isinstance(vocab, list):
                    raise TextkitError(f"{folder.file(VOCAB)} is not a list of features; retrain")
                expected = self._expected_shapes(len(vocab))
                if found != expected:
                    raise TextkitError(
                        f"{path} does not match config.json and vocab.json "
                        f"(expected {expected}, found {found}); retrain"
                    )
                self.featurizer = Featurizer(self.pipeline, self.feature_config, vocab)
                self.memory_ = self._read_memory(folder)
                self._load_extra(folder)
            except BaseException:
                weights.cancel()  # this error is the one to report, not the weights' own
                raise
            arrays = weights.result()
        self.featurizer.set_idf(arrays.pop("idf"))
        self.arrays = {k: v.astype(np.float32, copy=False) for k, v in arrays.items()}

    def _load_extra(self, folder: ModelFolder) -> None:
        """Hook for a kind's own files."""

    def _expected_shapes(self, n_features: int) -> dict[str, list[int]]:
        n, h = len(self.labels_), self.config.hidden
        shapes: dict[str, Any] = {"idf": [n_features]}
        if self.config.classifier == "mlp":
            shapes.update(
                {
                    "bag.weight": [n_features, h],
                    "norm.weight": [h],
                    "norm.bias": [h],
                    "out.weight": [n, h],
                    "out.bias": [n],
                }
            )
        elif self.config.classifier == "nb":
            shapes.update({"feature_log_prob": [n, n_features], "class_log_prior": [n]})
        else:
            shapes.update({"coef": [n, n_features], "intercept": [n]})
        return shapes


def _macro_f1(pred: np.ndarray, y: np.ndarray) -> float | None:
    if len(y) == 0:
        return None
    size = int(max(pred.max(), y.max())) + 1
    tp = np.bincount(y[pred == y], minlength=size)
    # per label of y: 2tp / (2tp + fp + fn), and 2tp + fp + fn = predicted + true counts
    both = np.bincount(pred, minlength=size) + np.bincount(y, minlength=size)
    labels = np.unique(y)
    return float(np.mean(2 * tp[labels] / np.maximum(both[labels], 1)))


def label_centroids(x, y: np.ndarray, labels: int) -> np.ndarray:
    """Each label's mean row, unit length: scored against a text's unit-length row, the cosine
    (a label without texts here scores 0).  No problem to solve per label: level with the svm
    on one or two texts per label (benchmarks/linear_variants.py --few)."""
    from scipy import sparse

    one_hot = sparse.csr_matrix((np.ones(len(y)), (y, np.arange(len(y)))), shape=(labels, len(y)))
    sums = np.asarray((one_hot @ x).todense())
    return sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)


def linear_svc(x, y: np.ndarray, sample_weight, c: float, seed: int, cores: int):
    """LinearSVC's one-vs-rest weights (one row per class; one row for two classes), the
    classes solved in parallel: each of ``cores`` threads solves a share of the classes, the
    others merged into one "rest" label (each class's problem is still itself against every
    other text, so the weights are the same), and liblinear runs without the GIL.  1.7x on
    2 cores for 151 intents (benchmarks/intent_speed.py)."""
    from concurrent.futures import ThreadPoolExecutor

    from sklearn.svm import LinearSVC

    classes = np.unique(y)
    shares = min(cores, len(classes) // 2)
    if shares < 2:
        svc = LinearSVC(C=c, random_state=seed).fit(x, y, sample_weight=sample_weight)
        return svc.coef_, svc.intercept_

    def solve(share: np.ndarray):
        mine = np.where(np.isin(y, share), y, -1)  # -1: every other class, as one
        svc = LinearSVC(C=c, random_state=seed).fit(x, mine, sample_weight=sample_weight)
        if len(svc.classes_) == 2:  # one class against the rest: its single row
            return svc.coef_, svc.intercept_
        rows = np.searchsorted(svc.classes_, share)
        return svc.coef_[rows], svc.intercept_[rows]

    with ThreadPoolExecutor(shares) as pool:
        parts = list(pool.map(solve, np.array_split(classes, shares)))
    return np.vstack([p[0] for p in parts]), np.concatenate([p[1] for p in parts])


def _cores() -> int:
    import os

    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
