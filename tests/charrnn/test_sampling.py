import warnings

import pytest
import torch

from textkit.charrnn import CharRNN
from textkit.charrnn.sample import next_token_probs, sample_streams
from textkit.errors import TextkitError, TextkitWarning


@pytest.fixture(scope="module")
def model(trained):
    return CharRNN.load(trained, device="cpu")


def test_filtering_math_on_known_logits():
    logits = torch.log(torch.tensor([[0.5, 0.3, 0.15, 0.05]]))
    one = torch.ones(1)
    assert torch.allclose(next_token_probs(logits, one, None, None), logits.exp(), atol=1e-6)
    top2 = next_token_probs(logits, one, 2, None)
    assert torch.allclose(top2, torch.tensor([[0.625, 0.375, 0, 0]]), atol=1e-6)
    # nucleus: keep the fewest top tokens whose mass reaches p
    assert (next_token_probs(logits, one, None, 0.5) > 0).sum() == 1
    assert (next_token_probs(logits, one, None, 0.6) > 0).sum() == 2
    assert (next_token_probs(logits, one, None, 0.9) > 0).sum() == 3
    assert (next_token_probs(logits, one, None, 0.97) > 0).sum() == 4
    # temperature sharpens / flattens; 0 is one-hot on the argmax
    cold = next_token_probs(logits, torch.tensor([0.5]), None, None)
    assert cold[0, 0] > 0.5 and cold[0, 3] < 0.05
    greedy = next_token_probs(logits, torch.zeros(1), None, None)
    assert greedy.tolist() == [[1.0, 0.0, 0.0, 0.0]]


def test_temperature_one_samples_the_model_distribution(model):
    """Empirical next-character frequencies match the softmax of the logits."""
    stepper = model._stepper(torch.device("cpu"))
    _, logits = stepper.start(model.vocab_.encode("Shall I compare thee").tolist(), 1)
    probs = torch.softmax(logits[0].float(), 0)
    gen = torch.Generator().manual_seed(0)
    draws = torch.multinomial(
        next_token_probs(logits, torch.ones(1), None, None).expand(20000, -1), 1, generator=gen
    )
    freq = torch.bincount(draws.squeeze(1), minlength=len(probs)).float() / 20000
    assert (freq - probs).abs().max() < 0.02


def test_low_temperature_top_k_1_and_tiny_top_p_equal_argmax(model):
    greedy = model.generate(200, argmax=True)[0].text
    assert model.generate(200, temperature=0)[0].text == greedy
    assert model.generate(200, temperature=1e-4, seed=1)[0].text == greedy
    assert model.generate(200, temperature=1.5, top_k=1, seed=2)[0].text == greedy
    assert model.generate(200, temperature=1.0, top_p=1e-6, seed=3)[0].text == greedy
    assert model.generate(200, temperature=1.0, seed=4)[0].text != greedy


def test_fixed_seed_repeats_and_round_trip_gives_identical_samples(trained, model):
    a = model.generate(150, temperature=0.9, top_p=0.95, seed=7)[0].text
    assert model.generate(150, temperature=0.9, top_p=0.95, seed=7)[0].text == a
    assert (
        CharRNN.load(trained, device="cpu")
        .generate(150, temperature=0.9, top_p=0.95, seed=7)[0]
        .text
        == a
    )
    assert model.generate(150, temperature=0.9, top_p=0.95, seed=8)[0].text != a


def test_seed_text_starts_the_output_and_conditions_it(model):
    s = model.generate(100, seed=1, seed_text="Shall I compare thee")[0]
    assert s.text.startswith("Shall I compare thee") and len(s.generated) == 100
    assert s.generated != model.generate(100, seed=1)[0].generated


def test_preseed_never_appears_and_changes_the_continuation(model, sonnets):
    stanza = sonnets[20_000:20_400]
    pre = model.generate(300, seed=3, seed_text="When ", preseed=stanza)[0].text
    assert pre.startswith("When ") and stanza not in pre and stanza[:40] not in pre
    # the pre-seed changed the state the continuation starts from
    stepper = model._stepper(torch.device("cpu"))
    _, after_seed = stepper.start(model.vocab_.encode("When ").tolist(), 1)
    _, after_both = stepper.start(model.vocab_.encode(stanza + "When ").tolist(), 1)
    assert (after_seed.softmax(-1) - after_both.softmax(-1)).abs().max() > 1e-3
    # ...and generate() itself starts from that state: its first character's exact
    # distribution is the one after pre-seed + seed text, not the one after the seed text alone
    first = model.generate(1, seed=3, seed_text="When ", preseed=stanza, logprobs=5)[0]
    expected = torch.log_softmax(after_both[0].float(), -1).topk(5)
    assert [v for _, v in first.logprobs[0].top] == pytest.approx(
        expected.values.tolist(), abs=1e-4
    )
    auto = model.generate(300, seed=3, preseed="auto")[0].text
    assert model.preseed_excerpt and model.preseed_excerpt[:40] not in auto


def test_preseed_from_file(model, tmp_path, sonnets):
    f = tmp_path / "pre.txt"
    f.write_text(sonnets[5_000:5_300], encoding="utf-8")
    from_file = model.generate(80, seed=1, preseed=f"@{f}")[0].text
    assert from_file == model.generate(80, seed=1, preseed=sonnets[5_000:5_300])[0].text
    assert from_file != model.generate(80, seed=1)[0].text  # the pre-seed was used at all


def test_unicode_seed_in_vocabulary(tmp_path, tiny_rnn, tiny_config):
    text = "Ça va? — naïve café, Tōkyō 東京 ✓.\n" * 400
    corpus = tmp_path / "u.txt"
    corpus.write_text(text, encoding="utf-8")
    m = tiny_rnn(seq_len=20, batch_size=8)
    m.fit(corpus, tmp_path / "u", tiny_config(max_steps=80, eval_every=40))
    out = m.generate(40, seed_text="naïve café, Tōkyō 東", temperature=0)[0].text
    assert out.startswith("naïve café, Tōkyō 東")
    assert "京" in out  # learnt the unicode continuation


def test_unknown_seed_characters_are_mapped_or_dropped_with_a_warning(model):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        s = model.generate(20, seed=0, seed_text="“Café” — ☃ Thee")[0]
    # é -> e and the em dash -> "-" are mapped; the sonnets have no double quotes and no ☃
    assert s.seed_text == "Cafe -  Thee" and s.text.startswith(s.seed_text)
    messages = [str(w.message) for w in caught if issubclass(w.category, TextkitWarning)]
    dropped = next(m for m in messages if "dropped" in m)
    assert "dropped 3" in dropped and "☃" in dropped and "“" in dropped
    replaced = next(m for m in messages if "replaced" in m)
    assert "'é'->'e'" in replaced and "'—'->'-'" in replaced
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model.generate(5, seed=0, seed_text="SHALL")  # letters the model knows only in lower case?
    if any(c not in model.vocab_ for c in "SHAL"):
        assert any("replaced" in str(w.message) for w in caught)
    with pytest.raises(TextkitError, match="no character the model knows"):
        model.generate(20, seed_text="☃☃東京")


def test_parallel_samples_sweeps_and_stop_at(model):
    samples = model.generate(120, num_samples=4, seed=5)
    assert len(samples) == 4 and len({s.text for s in samples}) == 4
    sweep = model.generate(120, temperatures=[0.0, 0.5, 1.2], seed=5)
    assert [s.temperature for s in sweep] == [0.0, 0.5, 1.2]
    assert sweep[0].text == model.generate(120, argmax=True)[0].text
    stanzas = model.generate(2000, num_samples=3, stop_at="\n", seed=6)
    assert all("\n" not in s.generated and len(s.generated) < 2000 for s in stanzas)


def test_streamed_text_equals_the_returned_text(model):
    chunks: dict[int, list[str]] = {0: [], 1: []}
    samples = model.generate(
        300, num_samples=2, stop_at="\n\n", seed=9, on_text=lambda i, c: chunks[i].append(c)
    )
    for i, s in enumerate(samples):
        assert "".join(chunks[i]) == s.generated


def test_several_stop_strings_end_a_text_at_the_first_to_appear(model):
    both = model.generate(2000, num_samples=3, stop_at=["\n", "th"], seed=6)
    lines = model.generate(2000, num_samples=3, stop_at="\n", seed=6)
    for b, line in zip(both, lines, strict=True):
        assert b.generated == line.generated.split("th")[0]
    assert any("th" in line.generated for line in lines)  # the second one mattered


class CountingStepper:
    """A model whose next-character distribution is known: after id i, softmax(i * w)."""

    weights = torch.tensor([0.0, 1.0, 2.0, -1.0])

    def start(self, prefix, batch):
        return None, self._logits(torch.full((batch,), prefix[-1]))

    def step(self, state, ids):
        return state, self._logits(ids)

    def _logits(self, ids):
        return (ids.float().unsqueeze(1) + 1) * self.weights + 3.0  # unnormalised on purpose


def test_logprobs_are_exact_and_line_up_with_the_text():
    chars = "abcd"
    seen: dict[int, list] = {0: [], 1: []}
    run = sample_streams(
        CountingStepper(), chars.__getitem__, [0], [0.7, 1.3], 30, top_k=3, seed=1,
        stop_at=["dd"], logprobs=2, on_text=lambda r, c: None,
        on_logprobs=lambda r, items: seen[r].extend(items),
    )  # fmt: skip
    for row, text in enumerate(run.texts):
        items = run.logprobs[row]
        assert "".join(i.char for i in items) == text and seen[row] == items
        previous = [0] + [chars.index(c) for c in text]
        for before, item in zip(previous, items, strict=False):
            # the model's own distribution: temperature and top-k change the draw, not this
            exact = torch.log_softmax((before + 1) * CountingStepper.weights, 0)
            assert item.logprob == pytest.approx(exact[chars.index(item.char)].item(), abs=1e-5)
            assert [c for c, _ in item.top] == [chars[i] for i in exact.topk(2).indices]


@pytest.mark.parametrize(
    "kwargs",
    [dict(temperature=-0.5), dict(temperature=float("nan")), dict(top_p=0.0), dict(top_p=1.5),
     dict(top_k=0), dict(num_samples=0), dict(length=-1), dict(stop_at=["a", ""]),
     dict(logprobs=21), dict(logprobs=-1)],
)  # fmt: skip
def test_bad_sampling_options(model, kwargs):
    with pytest.raises(TextkitError, match=next(iter(kwargs)).split("_")[0]):  # names it
        model.generate(**{"length": 10, **kwargs})


def test_originality_report(model, sonnets):
    s = model.generate(400, seed=1, check_original=12)[0]
    assert 0.0 <= s.novel_fraction <= 1.0
    assert s.lines is not None and "\n".join(ln.line for ln in s.lines) == s.text
    # the corpus itself is entirely copied
    checker_sample = model.generate(0, seed_text=sonnets[:200], check_original=20, corpus=sonnets)[
        0
    ]
    assert all(ln.copied for ln in checker_sample.lines if len(ln.line) >= 20)


@pytest.mark.parametrize("cell", ["lstm", "gru", "rnn"])
def test_one_step_sampling_path_matches_the_recurrent_layer(cell):
    from textkit.charrnn.config import CharRNNConfig
    from textkit.charrnn.model import CharRNNNet

    torch.manual_seed(0)
    net = CharRNNNet(30, CharRNNConfig(cell=cell, embedding=8, hidden=16, layers=2)).eval()
    ids = torch.randint(0, 30, (5, 7))
    with torch.no_grad():
        full, full_state = net(ids)
        state = net.init_state(5, torch.device("cpu"))
        for t in range(7):
            logits, state = net.step(ids[:, t], state)
            assert torch.allclose(logits, full[:, t], atol=1e-5)
    for a, b in zip(
        state if cell == "lstm" else [state],
        full_state if cell == "lstm" else [full_state],
        strict=True,
    ):
        assert torch.allclose(a, b, atol=1e-5)


def test_loss_on_scores_real_verse_below_shuffled_text(model, sonnets):
    import random

    verse = sonnets[40_000:42_000]
    shuffled = list(verse)
    random.Random(0).shuffle(shuffled)
    assert model.loss_on(verse) < model.loss_on("".join(shuffled)) - 0.5


def test_temperature_sweep_shares_randomness_across_streams(model):
    same = model.generate(200, temperatures=[0.8, 0.8, 0.8], seed=4)
    assert len({s.text for s in same}) == 1  # same T, same random numbers -> same text
    independent = model.generate(200, temperature=0.8, num_samples=3, seed=4)
    assert len({s.text for s in independent}) == 3
    sweep = model.generate(200, temperatures=[0.2, 0.8, 1.5], seed=4)
    assert len({s.text for s in sweep}) == 3
    # inverse-CDF draws follow the distribution like multinomial ones do
    from textkit.charrnn.sample import sample_streams

    stepper = model._stepper(torch.device("cpu"))
    prefix = model.vocab_.encode("Shall I compare thee").tolist()
    _, logits = stepper.start(prefix, 1)
    probs = torch.softmax(logits[0].float(), 0)
    firsts = [
        sample_streams(
            stepper, lambda i: model.vocab_.chars[i], prefix, [1.0], 1, seed=s, shared_noise=True
        ).texts[0]
        for s in range(3000)
    ]
    for ch in {c for c in firsts}:
        assert abs(firsts.count(ch) / 3000 - probs[model.vocab_.index[ch]].item()) < 0.03
