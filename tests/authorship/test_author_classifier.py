"""AuthorClassifier on real text: learning a style, combining several texts, explanations,
tweet-aware normalisation, and the bad inputs of authorship data."""

import subprocess
import sys
import warnings

import numpy as np
import pytest

from textkit.authorship import AuthorClassifier
from textkit.errors import TextkitError, TextkitWarning
from textkit.text.readers import Source
from textkit.training.config import TrainConfig


def _accuracy(preds, gold):
    return np.mean([p.label == g for p, g in zip(preds, gold, strict=True)])


def test_learns_who_wrote_a_sentence(author_model, presidents):
    test = presidents[1]
    preds = author_model.predict_many([t for t, _ in test], threshold=0)
    assert _accuracy(preds, [a for _, a in test]) > 0.7  # four presidents: chance is 0.25


def test_combining_texts_of_one_author_is_more_reliable(author_model, presidents):
    by_author: dict[str, list[str]] = {}
    for text, author in presidents[1]:
        by_author.setdefault(author, []).append(text)
    single, combined = [], []
    for author, texts in by_author.items():
        for i in range(0, 50, 5):
            group = texts[i : i + 5]
            combined.append(
                author_model.predict_many(group, threshold=0, combine=True).label == author
            )
            single += [p.label == author for p in author_model.predict_many(group, threshold=0)]
    assert np.mean(combined) > np.mean(single) + 0.1 and np.mean(combined) > 0.9
    pred = author_model.predict_many(by_author["Lincoln"][:5], combine=True, k=4)
    assert len(pred.ranking) == 4 and abs(sum(c for _, c in pred.ranking) - 1) < 1e-6


def test_explanations_name_the_features_that_pushed_the_decision(author_model):
    text = "The war continues, and the Union must be preserved; emancipation of slaves is near."
    reasons = author_model.explain(text, k=5, authors=2)
    top = author_model.predict(text).ranking[0][0]
    assert next(iter(reasons)) == top and 1 <= len(reasons[top]) <= 5
    gains = [g for _, g in reasons[top]]
    assert gains == sorted(gains, reverse=True) and gains[0] > 0
    assert all(f.startswith(("word '", "chars '")) for f, _ in reasons[top])
    # the top word feature, once removed from the text, costs that author probability
    word = next(
        (f[6:-1] for f, _ in reasons[top] if f.startswith("word '") and " " not in f[6:-1]), None
    )
    if word:
        before = dict(author_model.rank(text, k=4))[top]
        after = dict(author_model.rank(text.replace(word, ""), k=4))[top]
        assert after < before


def test_tweet_pipeline_keeps_style_as_signal():
    pipe = AuthorClassifier.DEFAULT_PIPELINE
    tokens = pipe.tokens("Soooo happy!!! 😍 @khloekardashian see https://t.co/abc &amp; more #KKW")
    assert "<url>" in tokens and "&" in tokens and "Sooo" in tokens and "😍" in tokens
    assert "@khloekardashian" in tokens and "#KKW" in tokens and "!" in tokens


def test_empty_and_emoji_only_texts_are_answered_sensibly(author_model):
    empty = author_model.predict("")
    assert empty.out_of_scope and empty.confidence == 0.0 and empty.reason == "empty"
    emoji = author_model.predict("🇺🇸🇺🇸")
    assert emoji.ranking and emoji.confidence < 0.9  # an answer, and not a confident one


def test_unbalanced_authors_few_texts_and_bad_data(tmp_path, presidents):
    train = [(t, a) for t, a in presidents[0] if a != "Obama"] + [
        (t, a) for t, a in presidents[0] if a == "Obama"
    ][:8]
    with pytest.warns(TextkitWarning, match=r"too few examples .*'Obama' \(8\)"):
        clf = AuthorClassifier()
        clf.fit(train, train_config=TrainConfig(max_steps=30))
    weights = clf._class_weights(np.array([clf.labels_.index(a) for _, a in train]))
    assert weights[clf.labels_.index("Obama")] > 10 * weights[clf.labels_.index("Lincoln")]
    with pytest.raises(TextkitError, match="only one label"):
        AuthorClassifier().fit([(t, "Lincoln") for t, _ in presidents[0][:20]])
    (tmp_path / "t.csv").write_text("who,tweet\nme,hello\n")
    with pytest.raises(TextkitError, match="no column 'text'"):
        AuthorClassifier().fit(Source(tmp_path / "t.csv", text_column="text", label_column="who"))
    (tmp_path / "n.csv").write_text(
        "text,author\n" + "".join(f"{i * 7},{'a' if i % 2 else 'b'}\n" for i in range(60)) + ",a\n"
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        clf = AuthorClassifier()
        clf.fit(tmp_path / "n.csv", train_config=TrainConfig(max_steps=20))
    assert any("skipped 1 row(s) with empty text" in str(w.message) for w in caught)
    assert clf.predict("1234").ranking  # a text column of numbers trains and answers


def test_loads_without_torch_and_refuses_other_kinds(author_model, tmp_path, intent_model):
    author_model.save(tmp_path / "a")
    code = (
        "import sys; from textkit.authorship import AuthorClassifier\n"
        f"m = AuthorClassifier.load({str(tmp_path / 'a')!r})\n"
        "print(m.predict_many(['We hold these truths', 'Thank you'], combine=True).label)\n"
        "print(m.explain('We hold these truths')); assert 'torch' not in sys.modules"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0, out.stderr
    with pytest.raises(TextkitError, match="holds a model of kind 'intent', not 'author'"):
        AuthorClassifier.load(intent_model)


def test_the_combination_scale_undoes_dependent_evidence_and_leaves_independent_alone():
    """Calibrated texts (each text's label drawn from its own probabilities) that are all
    different: summing their log-probabilities is Bayes' rule, so alpha stays 0; texts that
    are copies of a few (dependent evidence, as sentences of one speech are): the plain sum is
    over-confident and alpha grows."""
    from textkit.authorship.model import fit_combination

    rng = np.random.default_rng(0)

    def alpha(distinct: int) -> float:
        texts = rng.dirichlet(np.full(4, 0.7), size=distinct)[rng.integers(0, distinct, 4000)]
        y = np.array([rng.choice(4, p=p) for p in texts])  # calibrated by construction
        return fit_combination(np.log(texts), y)

    independent = np.mean([alpha(4000) for _ in range(4)])
    copies = np.mean([alpha(5) for _ in range(8)])  # each draw: 4,000 copies of 5 texts
    assert independent <= 0.05 and copies >= 0.2, (independent, copies)


def test_the_combination_scale_is_saved_and_checked_on_load(author_model, tmp_path):
    import json

    assert 0 <= author_model.combine_alpha_ <= 1  # fitted on its validation texts
    author_model.save(tmp_path / "m")
    saved = json.loads((tmp_path / "m" / "config.json").read_text())
    assert saved["combine_alpha"] == author_model.combine_alpha_
    assert AuthorClassifier.load(tmp_path / "m").combine_alpha_ == author_model.combine_alpha_
    saved["combine_alpha"] = 7
    (tmp_path / "m" / "config.json").write_text(json.dumps(saved))
    with pytest.raises(TextkitError, match="combine_alpha"):
        AuthorClassifier.load(tmp_path / "m")
