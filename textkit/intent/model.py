"""``IntentClassifier``: the classifier a chatbot imports.

>>> clf = IntentClassifier()                      # svm, word 1-2 + char 3-5 grams, TF-IDF
>>> clf.fit("corpora/intents.json", "models/bot")
>>> clf.predict("when do you open tomorrow?")     # Prediction(label='opening_hours', ...)
>>> clf.predict("asdkjh qwe").out_of_scope         # True: no known words
"""

from __future__ import annotations

from typing import ClassVar

from textkit.classify.config import FeatureConfig
from textkit.classify.data import LabelledTexts
from textkit.classify.model import TextClassifier
from textkit.intent.config import INTENT_FEATURES, INTENT_PIPELINE
from textkit.modelio import ModelFolder
from textkit.text.pipeline import Pipeline
from textkit.text.readers import Intent

INTENTS_FILE = "intents.json"
ENTITIES_FOLDER = "entities"  # the entity tagger's own run: weights, tagger.json, metrics


class IntentClassifier(TextClassifier):
    """Text -> intent, or None when out of scope (see ``TextClassifier``).  Trained from an
    intents.json it also keeps the intents' responses and context rules, for ``Chatbot``."""

    KIND = "intent"
    DEFAULT_PIPELINE: ClassVar[Pipeline] = INTENT_PIPELINE
    DEFAULT_FEATURES: ClassVar[FeatureConfig] = INTENT_FEATURES
    LABEL_NAME = "intent"
    READS_ANNOTATIONS = True

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.intents: list[Intent] = []
        self.entities_ = None  # an EntityExtractor, when the training data had entities

    def _fit_extra(self, folder: ModelFolder, data: LabelledTexts, train_config, log) -> None:
        """Annotated data also trains the entity tagger (conditioned on the intent), in its
        own folder inside the model's, through the same loop; regexes, lookup tables and
        synonyms (Rasa's sections, and annotations whose value differs from their text) are
        kept beside it."""
        from textkit.entities import extractor as extractor_module
        from textkit.entities.extractor import EntityExtractor
        from textkit.entities.rules import Rules, learnt_synonyms
        from textkit.training.config import TrainConfig, chosen

        self.entities_ = None
        given = data.extra.get("rules") or {}
        synonyms = learnt_synonyms(data.texts, data.entities) if data.annotated else {}
        rules = Rules(
            given.get("regexes", []),
            given.get("lookups", {}),
            {**synonyms, **given.get("synonyms", {})},
        )
        if not (data.annotated or rules):
            return
        sub = ModelFolder(folder.path / ENTITIES_FOLDER)
        sub.path.mkdir(exist_ok=True)
        extractor = EntityExtractor(rules)
        if data.annotated:
            seed = chosen(train_config).get("seed", TrainConfig.seed)
            contexts = data.labels if extractor_module.CONDITION_ON_INTENT else None
            extractor.fit(
                data.texts, data.entities, sub, train_config, log, seed, contexts=contexts
            )
        extractor.save(sub)
        self.entities_ = extractor

    def _entities_of(self, text: str, label: str | None) -> list:
        return self.entities_.extract(text, label) if self.entities_ is not None else []

    def _remember_data(self, data: LabelledTexts) -> None:
        self.intents = list(data.extra.get("intents", []))

    def _write_static(self, folder: ModelFolder) -> None:
        super()._write_static(folder)
        self._write_extra(folder)

    def _write_extra(self, folder: ModelFolder) -> None:
        if self.intents:
            folder.write_json(INTENTS_FILE, {"intents": [it.to_dict() for it in self.intents]})
        if self.entities_ is not None and not (folder.path / ENTITIES_FOLDER).is_dir():
            (folder.path / ENTITIES_FOLDER).mkdir()
            self.entities_.save(ModelFolder(folder.path / ENTITIES_FOLDER))

    def _load_extra(self, folder: ModelFolder) -> None:
        from textkit.text.readers import load_intents

        path = folder.file(INTENTS_FILE)
        self.intents = (
            load_intents(path, data=folder.read_json(INTENTS_FILE)) if path.is_file() else []
        )
        self.entities_ = None
        if (folder.path / ENTITIES_FOLDER).is_dir():
            from textkit.entities.extractor import EntityExtractor

            self.entities_ = EntityExtractor.load(folder.path / ENTITIES_FOLDER)
