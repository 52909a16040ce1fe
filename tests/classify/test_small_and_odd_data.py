"""Chatbot-sized and odd data: every head on a cross-fitted set and without validation, an FAQ
with one text per intent, text without spaces, an honest headline, and a refused folder refused
before any training."""

from __future__ import annotations

import itertools
import time
import warnings

import pytest

from textkit.classify.data import labelled_texts
from textkit.classify.evaluation import cross_validate
from textkit.errors import TextkitError, TextkitWarning
from textkit.intent import IntentClassifier
from textkit.modelio import list_models

HEADS = ("mlp", "linear", "nb", "centroid")


@pytest.mark.parametrize("head", HEADS)
@pytest.mark.parametrize("val_fraction", [0.1, 0.0])
def test_every_head_trains_on_a_chatbot_sized_file(head, val_fraction, repo, run, tmp_path):
    r = run(
        "train-intent",
        repo / "corpora" / "intents.json",
        "--classifier",
        head,
        "--val-fraction",
        val_fraction,
        "--models-dir",
        tmp_path,
        "--max-steps",
        30,
    )
    assert r.exit_code == 0, r.output
    (info,) = list_models(tmp_path)
    best = info.config["best_metrics"]
    if val_fraction:  # the headline is the held-out (out-of-fold) accuracy, not the fit
        assert best["held_out"] == "5-fold cross-fitting" and 0.3 < best["val_accuracy"] < 0.95
    else:
        assert best["val_accuracy"] is None and info.headline is None
    # one fit of a scikit-learn head draws no loss curve; its row is the fit to training data
    assert (info.path / "loss.png").exists() == (head == "mlp")
    if head != "mlp":
        assert best["train_accuracy"] > 0.9 and "val_loss" not in best


def _faq() -> dict[str, list[str]]:
    things = ["printer", "router", "laptop", "phone", "tablet", "monitor", "keyboard", "camera"]
    verbs = ["reset", "update", "clean"]
    return {f"{v}_{t}": [f"how do I {v} the {t}"] for v, t in itertools.product(verbs, things)}


@pytest.mark.parametrize("head", HEADS)
def test_an_faq_with_one_text_per_intent_answers_its_own_questions(head):
    clf = IntentClassifier(classifier=head)
    with pytest.warns(TextkitWarning, match="calibration can't be measured: only 0 of"):
        clf.fit(_faq(), train_config={"max_steps": 60})
    assert clf.threshold_ == 0.0 and clf.temperature_ == 1.0
    for label, (text,) in _faq().items():
        assert clf.predict(text).label == label
        assert clf.predict(text.upper() + " ").label == label  # as the pipeline reads it
    assert clf.predict("how can i reset my router").label == "reset_router"
    assert clf.predict("zxqv wplk").out_of_scope  # no known word: still no answer


def test_training_texts_are_answered_after_save_and_load(tmp_path, repo):
    clf = IntentClassifier(classifier="nb")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextkitWarning)
        clf.fit(_faq(), tmp_path / "faq")
    again = IntentClassifier.load(tmp_path / "faq")
    assert all(again.predict(t).label == lb for lb, (t,) in _faq().items())


ZH = {
    "greeting": ["你好", "您好", "早上好", "嗨，你好吗", "下午好", "晚上好", "哈喽", "你好啊"],
    "book_flight": ["我想订一张机票", "帮我订去北京的机票", "我要买飞往上海的机票", "预订明天的航班",
                    "有去广州的航班吗", "订一张到深圳的飞机票", "我需要订机票", "帮我查一下航班"],
    "weather": ["今天天气怎么样", "明天会下雨吗", "北京的天气如何", "外面冷不冷", "这周末天气好吗",
                "上海今天多少度", "会不会下雪", "天气预报说什么"],
    "cancel_order": ["我要取消订单", "帮我取消我的订单", "取消刚才的购买", "我不想要这个订单了",
                     "怎么取消订单", "请撤销我的订单", "订单可以取消吗", "我想退掉这个订单"],
    "opening_hours": ["你们几点开门", "营业时间是什么时候", "周末开门吗", "几点关门", "今天营业到几点",
                      "星期天开不开", "你们的营业时间", "晚上几点下班"],
}  # fmt: skip


def test_text_without_spaces_is_classified_by_its_characters():
    """A Chinese intents file: each ideograph is a token, so unseen sentences share features
    with the training ones (with one "word" per sentence, 5-fold accuracy was 0%)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TextkitWarning)
        scores = cross_validate(lambda: IntentClassifier(), labelled_texts(ZH), 5)
    assert scores["accuracy_mean"] >= 0.8


def test_a_folder_it_may_not_write_is_refused_before_training(tmp_path, repo):
    clf = IntentClassifier()
    clf.fit(repo / "corpora" / "intents.json", tmp_path / "bot", {"max_steps": 10})
    start = time.monotonic()
    with pytest.raises(TextkitError, match="already holds a model"):
        IntentClassifier().fit(repo / "corpora" / "intents.json", tmp_path / "bot")
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "todo.txt").write_text("mine")
    with pytest.raises(TextkitError, match="not a textkit model folder"):
        IntentClassifier().fit(repo / "corpora" / "intents.json", tmp_path / "notes")
    assert time.monotonic() - start < 1.0  # refused up front, not after training


def test_evaluate_draws_the_whole_out_of_scope_trade_off(run, repo, tmp_path):
    """`evaluate` writes tradeoff.png and the curve: in-scope accuracy falls and out-of-scope
    recall rises as the threshold goes up; an out-of-scope training text stays out of scope."""
    import json

    assert (
        run(
            "train-intent",
            repo / "corpora" / "intents.json",
            "--name",
            "bot",
            "--models-dir",
            tmp_path,
        ).exit_code
        == 0
    )
    held_out = tmp_path / "test.csv"
    held_out.write_text(
        "text,intent\nwhen do you open tomorrow,opening_hours\ncan I pay by card,payment\n"
        "what is the capital of peru,oos\nsing me a song about whales,oos\n",
        encoding="utf-8",
    )
    r = run("evaluate", "bot", held_out, "--models-dir", tmp_path, "-o", tmp_path / "ev")
    assert r.exit_code == 0, r.output
    curve = json.loads((tmp_path / "ev" / "report.json").read_text())["tradeoff"]
    assert (tmp_path / "ev" / "tradeoff.png").stat().st_size > 5000
    assert len(curve) == 100 and curve[0]["threshold"] == 0.0
    acc = [row["in_scope_accuracy"] for row in curve]
    recall = [row["oos_recall"] for row in curve]
    assert all(a >= b for a, b in itertools.pairwise(acc))
    assert all(a <= b for a, b in itertools.pairwise(recall))
    assert recall[-1] == 1.0
    from textkit.intent import IntentClassifier

    bot = IntentClassifier.load(tmp_path / "bot")
    oos_text = next(t for t, lb in zip(*_pairs(repo), strict=True) if lb == "oos")
    assert bot.predict(oos_text).out_of_scope


def _pairs(repo):
    from textkit.classify.data import labelled_texts

    data = labelled_texts(repo / "corpora" / "intents.json")
    return data.texts, data.labels


def test_what_one_text_and_many_labels_can_cost_is_bounded(monkeypatch):
    from textkit.classify import model as classify_model

    data = {  # each text with 12 words of its own: ~2,000 features, more than the cap allows
        f"topic{i}": [
            f"question about subject{i} please " + " ".join(f"w{i}x{j}" for j in range(12)),
            f"tell me about subject{i} " + " ".join(f"v{i}y{j}" for j in range(12)),
        ]
        for i in range(40)
    }
    data["topic0"].append("subject0 " * 300_000)  # 2.7 MB in one training text
    monkeypatch.setattr(classify_model, "MAX_WEIGHTS", 40 * 1500)
    clf = IntentClassifier()
    with pytest.warns(TextkitWarning) as said:
        clf.fit(data)
    messages = " ".join(str(w.message) for w in said)
    assert "longer than 10,000 characters" in messages and "1,500 most frequent of" in messages
    assert clf.featurizer.n_features <= 1500
    start = time.monotonic()
    assert clf.predict("subject7 " * 200_000).label == "topic7"
    assert time.monotonic() - start < 1.0


def test_many_labels_with_few_features_keep_them_all_and_say_nothing(monkeypatch):
    """The cap on features is said only when it drops some (it used to be said for every set
    with many labels, whatever its vocabulary)."""
    from textkit.classify import model as classify_model

    data = {
        f"topic{i}": [f"question about subject{i}", f"tell me about subject{i}"] for i in range(40)
    }
    monkeypatch.setattr(classify_model, "MAX_WEIGHTS", 40 * 1500)
    clf = IntentClassifier()
    with warnings.catch_warnings():
        warnings.simplefilter("error", TextkitWarning)
        clf.fit(data, train_config={"progress": False})
    assert 0 < clf.featurizer.n_features == clf.featurizer.candidates < 1500


def test_too_few_held_out_texts_for_calibration_is_said_as_such():
    data = {f"intent{k}": [f"word{k} thing{j}" for j in range(3)] for k in range(6)}
    with pytest.warns(TextkitWarning, match="18 held-out texts are too few to measure it on"):
        IntentClassifier().fit(data, train_config={"progress": False})


def test_an_faq_of_many_labels_hears_of_the_centroid_head(monkeypatch):
    from textkit.classify import model as classify_model

    monkeypatch.setattr(classify_model, "FAQ_LABELS", 30)
    faq = {f"answer{i}": [f"how do I fix thing{i}", f"thing{i} is broken"] for i in range(30)}
    said = {}
    for head, data in (("svm", faq), ("centroid", faq), ("svm", {**faq, "answer0": ["a"] * 3})):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            clf = IntentClassifier(classifier=head)
            clf.fit(data, train_config={"progress": False})
        said[head, len(data["answer0"])] = any(
            "--classifier centroid" in str(w.message) for w in caught
        )
        assert clf.predict("thing7 is broken").label == "answer7"
    assert said == {("svm", 2): True, ("centroid", 2): False, ("svm", 3): False}
