"""``evaluate --against``'s arithmetic: which texts a new version fixed and broke, and
McNemar's exact test on them (checked against the binomial by hand)."""

from __future__ import annotations

import pytest

from textkit.classify.evaluation import EvaluationReport, compare, comparison_text


def _report(gold: list[str], predicted: list[str]) -> EvaluationReport:
    right = sum(a == b for a, b in zip(gold, predicted, strict=True)) / len(gold)
    return EvaluationReport(len(gold), right, right, right, None, None, 1.0, 0.0,
                            gold=gold, predicted=predicted)  # fmt: skip


def test_fixed_broken_and_the_exact_mcnemar_p_value():
    gold = ["a"] * 12
    before = _report(gold, ["b"] * 10 + ["a", "a"])
    after = _report(gold, ["a"] * 10 + ["a", "b"])  # 10 fixed, 1 broken
    result = compare(before, after, [f"t{i}" for i in range(12)], gold)
    assert [r["text"] for r in result["broke"]] == ["t11"] and len(result["fixed"]) == 10
    # two-sided exact binomial, 11 changed texts, 1 against: 2 * (1 + 11) / 2**11
    assert result["p_value"] == pytest.approx(2 * 12 / 2**11)
    assert result["metrics"]["accuracy"] == [pytest.approx(2 / 12), pytest.approx(11 / 12)]
    text = comparison_text(result, "v1", "v2")
    assert "v2 fixed 10 text(s) and broke 1" in text and "more than chance" in text


def test_a_change_that_could_be_chance_is_called_so():
    gold = ["a", "a", "a", "a"]
    result = compare(_report(gold, ["b", "a", "a", "a"]), _report(gold, ["a", "b", "a", "a"]),
                     ["w", "x", "y", "z"], gold)  # fmt: skip
    assert result["p_value"] == 1.0 and "could be chance" in comparison_text(result, "a", "b")
    same = compare(_report(gold, gold), _report(gold, gold), ["w", "x", "y", "z"], gold)
    assert "no text changed" in comparison_text(same, "a", "b")


def test_a_label_only_the_new_version_knows_counts_as_missed_by_the_old(tmp_path):
    from types import SimpleNamespace

    from textkit.classify.evaluation import common_gold

    def model(*labels):
        return SimpleNamespace(labels_=labels, NO_ANSWER="(none)",
                               is_out_of_scope_label=lambda lb: lb == "oos")  # fmt: skip

    gold = common_gold(["gift", "hi", "oos", "weird"], [model("hi", "gift", "oos"), model("hi")])
    assert gold == ["gift", "hi", "(none)", "(none)"]
