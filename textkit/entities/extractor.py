"""The trained entity extractor: a linear-chain CRF tagger over token features
(``features``, ``crf``).  Trained through the shared loop into its own folder (``entities/``
inside the classifier's model folder: weights, config, metrics, resumable state); answers in
numpy, so a saved model needs no torch."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from textkit.entities.annotations import Entity
from textkit.entities.features import OUTSIDE, FeatureIndex, bio_tags, token_features, tokenize
from textkit.errors import TextkitError
from textkit.modelio import ModelFolder

# How the tagger trains (a train_config may change only device, progress and seed).  L2 was
# chosen on 20% held out of each of SNIPS's three 70-per-intent training draws, never a test
# set (benchmarks/entities.py --choose; benchmarks/README.md); the epoch is chosen by
# keep-best on the validation split; lr and patience were set once and not tuned.
TAGGER_DEFAULTS = {"epochs": 30, "lr": 0.05, "patience": 6}
BATCH_SIZES = (16, 128)  # sentences per step: a hundredth of the data, within these bounds
L2 = 1.0  # weight of the squared feature weights (per sentence: / the training sentences)
VAL_FRACTION = 0.1
MIN_VAL_SENTENCES = 20  # fewer annotated sentences: no split; train on all, fixed epochs
WEIGHTS = "tagger.safetensors"
RULES = "rules.json"
CONDITION_ON_INTENT = True  # every feature also conjoined with the text's intent


class EntityExtractor:
    """``fit(texts, entities)`` learns to find the annotated spans; ``extract(text)`` returns
    the entities of a text (character offsets into it, a confidence each)."""

    def __init__(self, rules=None) -> None:
        from textkit.entities.rules import Rules

        self.rules = rules if rules is not None else Rules()
        self.tags_: list[str] = []
        self.features_: FeatureIndex | None = None
        self.arrays: dict[str, np.ndarray] = {}
        self.info: dict = {}
        self.conditioned = False  # features conjoined with the text's intent

    # ------------------------------------------------------------------ training
    def fit(
        self,
        texts: Sequence[str],
        entities: Sequence[Sequence[Entity]],
        folder: ModelFolder,
        train_config=None,
        log: Callable[[str], None] | None = None,
        seed: int = 0,
        contexts: Sequence[str] | None = None,
        l2: float | None = None,
    ) -> EntityExtractor:
        from textkit.entities.crf import CRFNet, Sentences, TaggerTask
        from textkit.training.config import chosen, run_config
        from textkit.training.loop import Trainer

        l2 = L2 if l2 is None else l2
        tokens = [tokenize(t) for t in texts]
        tags = [bio_tags(s, e) for s, e in zip(tokens, entities, strict=True)]
        keep = [i for i, s in enumerate(tokens) if s]
        self.conditioned = contexts is not None
        feats = [
            token_features(texts[i], tokens[i], contexts[i] if contexts is not None else None)
            for i in keep
        ]
        tags = [tags[i] for i in keep]
        names = sorted({t for row in tags for t in row} - {OUTSIDE})
        if not names:
            raise TextkitError("no annotated entity to learn from")
        self.tags_ = [OUTSIDE, *names]
        tag_id = {t: i for i, t in enumerate(self.tags_)}
        order = list(range(len(feats)))
        random.Random(seed).shuffle(order)
        n_val = round(len(order) * VAL_FRACTION)
        n_val = n_val if n_val >= MIN_VAL_SENTENCES else 0
        val_rows, train_rows = order[:n_val], order[n_val:]
        self.features_ = FeatureIndex.fit(feats[i] for i in train_rows)

        def sentences(rows):
            return Sentences(
                [self.features_.rows(feats[i]) for i in rows],
                [[tag_id[t] for t in tags[i]] for i in rows],
            )

        train, val = sentences(train_rows), sentences(val_rows)
        batch = min(max(len(train) // 100, BATCH_SIZES[0]), BATCH_SIZES[1])
        defaults = dict(TAGGER_DEFAULTS, seed=seed, eval_every=max(1, -(-len(train) // batch)))
        if not n_val:
            defaults["patience"] = None
        picked = {
            k: v for k, v in chosen(train_config).items() if k in ("device", "progress", "seed")
        }
        cfg = run_config(picked, defaults)
        trainer = Trainer(cfg, folder, log=log, plot=False)  # seeds before the net is built
        net = CRFNet(len(self.features_), len(self.tags_))

        def on_best(row: dict) -> None:
            self._set_arrays({k: v.detach().cpu().numpy() for k, v in net.state_dict().items()})
            self.info["best_metrics"] = row
            self.save(folder)

        task = TaggerTask(
            net, train, val, batch, l2, cfg.seed, self._spans_of_ids, on_best, fingerprint=""
        )
        self.info.update(
            training=cfg.to_dict(),
            sentences=len(feats),
            validation_sentences=n_val,
            n_features=len(self.features_),
            batch_size=batch,
            l2=l2,
        )
        trainer.fit(task)
        self._set_arrays(folder.load_arrays(WEIGHTS))  # keep-best, as on disk
        return self

    def _spans_of_ids(self, path: list[int]) -> set:
        return {(s, e, name) for s, e, name in _bio_spans([self.tags_[i] for i in path])}

    def _set_arrays(self, state: dict[str, np.ndarray]) -> None:
        self.arrays = {
            "emit": np.asarray(state.get("emit.weight", state.get("emit")), dtype=np.float32),
            "start": np.asarray(state["start"], dtype=np.float32),
            "transition": np.asarray(state["transition"], dtype=np.float32),
            "end": np.asarray(state["end"], dtype=np.float32),
        }

    # ------------------------------------------------------------------ answering
    def extract(self, text: str, context: str | None = None) -> list[Entity]:
        """The entities of ``text`` (given its intent as ``context`` if the tagger learnt with
        intents): the tagger's and the rules', overlaps resolved by ``rules.resolve``, values
        mapped through the synonyms."""
        from textkit.entities.rules import resolve

        found = self._tagged(text, context) + self.rules.extract(text)
        return [self.rules.canonical(e) for e in resolve(found)]

    def _tagged(self, text: str, context: str | None) -> list[Entity]:
        """The tagger's entities: value = the matched text, confidence = the lowest marginal
        probability of the tokens' tags."""
        from textkit.entities.decode import marginals, viterbi

        spans = tokenize(text)
        if not spans or self.features_ is None:
            return []
        context = context if self.conditioned else None
        ids, offsets = self.features_.rows(token_features(text, spans, context))
        emissions = np.zeros((len(spans), len(self.tags_)), dtype=np.float64)
        counts = np.diff(np.append(offsets, len(ids)))
        if len(ids):  # each token's rows summed in one pass (tokens with none stay zero)
            sums = np.add.reduceat(self.arrays["emit"][ids].astype(np.float64), offsets[counts > 0])
            emissions[counts > 0] = sums
        a = self.arrays
        path = viterbi(emissions, a["start"], a["transition"], a["end"])
        probs = marginals(emissions, a["start"], a["transition"], a["end"])
        out = []
        for first, last, name in _bio_spans([self.tags_[i] for i in path]):
            start, end = spans[first][0], spans[last - 1][1]
            confidence = float(min(probs[t, path[t]] for t in range(first, last)))
            out.append(Entity(name, text[start:end], start, end, confidence, "crf"))
        return out

    # ------------------------------------------------------------------ the folder
    def save(self, folder: ModelFolder) -> None:
        folder.write_json(RULES, self.rules.to_dict())
        if self.features_ is None:
            return
        folder.save_arrays(self.arrays, WEIGHTS)
        folder.write_json(
            "tagger.json",
            {
                "tags": self.tags_,
                "features": self.features_.names,
                "conditioned": self.conditioned,
                **self.info,
            },
        )

    @classmethod
    def load(cls, path: Path) -> EntityExtractor:
        from textkit.entities.rules import Rules

        folder = ModelFolder(Path(path))
        rules = folder.read_json(RULES) if folder.file(RULES).is_file() else {}
        if not isinstance(rules, dict):
            raise TextkitError(f"{folder.file(RULES)} is corrupt")
        out = cls(Rules.from_dict(rules, str(folder.file(RULES))))
        if not folder.file("tagger.json").is_file():
            return out
        meta = folder.read_json("tagger.json")
        tags, names = meta.get("tags"), meta.get("features")
        if not (
            isinstance(tags, list)
            and tags[:1] == [OUTSIDE]
            and all(isinstance(t, str) and t[:2] in ("B-", "I-") for t in tags[1:])
            and isinstance(names, list)
            and all(isinstance(n, str) for n in names)
        ):
            raise TextkitError(f"{folder.file('tagger.json')} is corrupt (tags or features)")
        out.tags_, out.features_ = tags, FeatureIndex(names)
        out.conditioned = meta.get("conditioned") is True
        out._set_arrays(folder.load_arrays(WEIGHTS))
        a = out.arrays
        t = len(tags)
        if (
            a["emit"].shape != (len(names), t)
            or a["transition"].shape != (t, t)
            or a["start"].shape != (t,)
            or a["end"].shape != (t,)
        ):
            raise TextkitError(
                f"{folder.file(WEIGHTS)} does not fit tagger.json's tags and features"
            )
        out.info = {k: v for k, v in meta.items() if k not in ("tags", "features", "conditioned")}
        return out


def _bio_spans(tags: list[str]) -> list[tuple[int, int, str]]:
    """(first token, end token, entity) of each entity in a BIO sequence; an ``I-x`` that does
    not continue an ``x`` starts one (as conlleval counts them)."""
    out, begin, name = [], None, None
    for i, tag in enumerate([*tags, OUTSIDE]):
        kind, _, label = tag.partition("-")
        continues = kind == "I" and label == name
        if begin is not None and not continues:
            out.append((begin, i, name))
            begin, name = None, None
        if kind == "B" or (kind == "I" and not continues):
            begin, name = i, label
    return out
