"""``IntentClassifier``: the classifier a chatbot imports.

>>> clf = IntentClassifier()                      # mlp, word 1-2 + char 2-5 grams, TF-IDF
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


class IntentClassifier(TextClassifier):
    """Text -> intent, or None when out of scope (see ``TextClassifier``).  Trained from an
    intents.json it also keeps the intents' responses and context rules, for ``Chatbot``."""

    KIND = "intent"
    DEFAULT_PIPELINE: ClassVar[Pipeline] = INTENT_PIPELINE
    DEFAULT_FEATURES: ClassVar[FeatureConfig] = INTENT_FEATURES
    LABEL_NAME = "intent"

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.intents: list[Intent] = []

    def _remember_data(self, data: LabelledTexts) -> None:
        self.intents = list(data.extra.get("intents", []))

    def _write_static(self, folder: ModelFolder) -> None:
        super()._write_static(folder)
        self._write_extra(folder)

    def _write_extra(self, folder: ModelFolder) -> None:
        if self.intents:
            folder.write_json(INTENTS_FILE, {"intents": [it.to_dict() for it in self.intents]})

    def _load_extra(self, folder: ModelFolder) -> None:
        from textkit.text.readers import load_intents

        path = folder.file(INTENTS_FILE)
        self.intents = (
            load_intents(path, data=folder.read_json(INTENTS_FILE)) if path.is_file() else []
        )
