"""Predictive text and the inspection page, for the neural and the n-gram model."""

import re
from html.parser import HTMLParser

import pytest

from textkit.charrnn import CharMarkov, CharRNN
from textkit.charrnn.inspect import find_units, inspect_text, render_html
from textkit.errors import TextkitError


@pytest.fixture(scope="module")
def markov(tmp_path_factory, sonnets):
    corpus = tmp_path_factory.mktemp("mk") / "s.txt"
    corpus.write_text(sonnets)
    m = CharMarkov(order=5)
    m.fit(corpus, corpus.parent / "m")
    return m


def test_suggestions_complete_words_of_the_corpus(markov, trained, sonnets):
    words = set(re.findall(r"[A-Za-z']+", sonnets))
    found = markov.suggest("thy beau", k=3)
    assert found[0].word == "beauty" and found[0].completion == "ty"
    assert [s.probability for s in found] == sorted((s.probability for s in found), reverse=True)
    assert all(0 < s.probability <= 1 for s in found)
    nxt = markov.suggest("Shall I compare thee to a ", k=5)
    assert len(nxt) == 5 and all(s.word in words for s in nxt)
    neural = CharRNN.load(trained).suggest("And in the ", k=3)
    assert len(neural) == 3 and sum(s.word in words for s in neural) >= 2


class _Spans(HTMLParser):
    def __init__(self):
        super().__init__()
        self.main, self.depth, self.in_text = 0, 0, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "div" and attrs.get("class") == "text" and not self.main:
            self.in_text = True
        if self.in_text and tag == "span" and attrs.get("class") == "c":
            self.main += 1

    def handle_endtag(self, tag):
        if tag == "div":
            self.in_text = False


def test_the_page_has_one_entry_per_character_and_no_external_resource(trained):
    model = CharRNN.load(trained)
    text = "Shall I compare thee to a summer's day?\nThou art (more) lovely: and more temperate."
    result = inspect_text(model, text)
    assert result.text == text and len(result.surprise) == len(result.guesses) == len(text)
    assert result.activations.shape == (len(text), 64)
    units = find_units(result)
    assert set(units) == {
        "inside brackets",
        "position in line",
        "start of a word",
    }  # no quotes here
    page = render_html(result, [0, 5])
    parser = _Spans()
    parser.feed(page)
    assert parser.main == len(text)
    assert "<script" not in page and "http" not in page.replace("http-equiv", "")
    assert page.count("unit 0") >= 1 and "mean" in page


def test_a_familiar_text_surprises_less_than_a_scrambled_one(markov, sonnets):
    line = sonnets.splitlines()[0]
    scrambled = "".join(sorted(line))
    assert inspect_text(markov, line).mean_surprise < inspect_text(markov, scrambled).mean_surprise


def test_bad_requests(markov, trained):
    model = CharRNN.load(trained)
    with pytest.raises(TextkitError, match="outside the model's 64 hidden units"):
        render_html(inspect_text(model, "hello"), [64])
    with pytest.raises(TextkitError, match="neural model"):
        find_units(inspect_text(markov, "hello there"))
    with pytest.raises(TextkitError, match="empty"):
        inspect_text(model, "")
    with pytest.warns(match="dropped"):
        inspect_text(model, "snow ☃ man")


def test_the_commands(workdir, trained, run):
    import shutil

    shutil.copytree(trained, workdir / "models" / "s")
    r = run("suggest", "s", "And in the ", "-k", "2", "--json")
    assert r.exit_code == 0 and r.stdout.count("probability") == 2
    r = run(
        "inspect", "s", "Shall I compare thee", "--find-units", "--png", "i.png", "-o", "i.html"
    )
    assert r.exit_code == 0 and "start of a word: unit" in r.stdout
    assert (workdir / "i.html").read_text().startswith("<!DOCTYPE html>") and (
        workdir / "i.png"
    ).is_file()
    assert run("inspect", "s", "Shall I").exit_code == 0
    assert (workdir / "models" / "s" / "inspect.html").is_file()  # beside the model by default
    r = run("inspect", "s", "hello", "--units", "9999")
    assert r.exit_code == 1 and "outside the model's" in r.stderr
