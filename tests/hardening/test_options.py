"""Class 3: every numeric option has a range, checked in the API and surfaced as a usage
error before anything is created; an impossible network is refused up front."""

import math

import pytest

from textkit.errors import TextkitError

TRAIN = ["train-charrnn", "poems.txt", "--no-progress"]
BAD_TRAINING = [
    ["--lr", "inf"], ["--lr", "0"], ["--clip", "nan"], ["--weight-decay", "nan"],
    ["--momentum", "-5"], ["--epochs", "nan"], ["--epochs", "-1"], ["--warmup", "-10"],
    ["--patience", "-1"], ["--patience", "0"], ["--max-steps", "0"], ["--eval-every", "0"],
    ["--seed", "12345678901234567890123"], ["--seed", "-1"], ["--dropout", "1"],
    ["--val-fraction", "0.5"], ["--val-fraction", "nan"], ["--hidden", "-3"], ["--layers", "0"],
    ["--batch-size", "0"], ["--seq-len", "0"], ["--order", "0"], ["--time-budget", "-5m"],
    ["--time-budget", "nan"], ["--max-size", "lots"], ["--show-samples", "-1"], ["--name", "../x"],
]  # fmt: skip
BAD_GENERATE = [
    ["--temperature", "nan"], ["--temperature", "-0.1"], ["--temperatures", ","],
    ["--temperatures", "0.5,,1"], ["--top-p", "nan"], ["--top-k", "-2"], ["--length", "-5"],
    ["--num-samples", "0"], ["--seed", "1" * 23], ["--stop-at", ""], ["--check-original", "1"],
]  # fmt: skip


@pytest.mark.parametrize("args", BAD_TRAINING, ids=lambda a: " ".join(a))
def test_bad_training_options_are_usage_errors_and_create_nothing(workdir, run, args):
    r = run(*TRAIN, *args)
    assert r.exit_code == 2, r.output
    assert f"'{args[0]}'" in r.stderr and "Traceback" not in r.stderr
    assert not (workdir / "models").exists()


@pytest.mark.parametrize("args", BAD_GENERATE, ids=lambda a: " ".join(a))
def test_bad_sampling_options_are_usage_errors(workdir, run, args):
    r = run("generate", *args)
    assert r.exit_code == 2, r.output
    assert "Invalid value" in r.stderr


def test_a_network_too_big_for_the_machine_is_refused_up_front(workdir, run):
    r = run(*TRAIN, "--hidden", "60000", "--layers", "3")
    assert r.exit_code == 1 and "GiB to train" in r.stderr, r.stderr
    assert not any((workdir / "models").glob("*")), "nothing may be left behind"


@pytest.mark.parametrize(
    "kwargs",
    [dict(temperature=math.nan), dict(top_p=math.nan), dict(top_k=0), dict(length=-1),
     dict(seed=10**23), dict(num_samples=0), dict(temperatures=[]), dict(stop_at="")],
)  # fmt: skip
def test_the_python_api_checks_the_same_ranges(trained, kwargs):
    from textkit.charrnn import CharRNN

    model = CharRNN.load(trained, device="cpu")
    with pytest.raises(TextkitError, match=next(iter(kwargs)).split("_")[0].rstrip("s")):
        model.generate(**{"length": 5, **kwargs})
