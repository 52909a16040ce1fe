import json
import subprocess
import sys
import textwrap
import tracemalloc

import pytest

from textkit.errors import TextkitError
from textkit.modelio import ModelFolder
from textkit.text.pipeline import Pipeline, split_sentences
from textkit.text.preprocess import write_processed
from textkit.text.readers import read_documents, read_lines


@pytest.mark.parametrize(
    ("stemmer", "pairs"),
    [
        ("porter", [("having", "have"), ("running", "runs"), ("connection", "connected")]),
        (
            "snowball",
            [("having", "have"), ("generously", "generous"), ("connection", "connections")],
        ),
        ("lancaster", [("having", "have"), ("maximum", "maxim"), ("presumably", "presume")]),
    ],
)
def test_stemmers_conflate_inflections(stemmer, pairs):
    pipe = Pipeline(stemmer=stemmer)
    for a, b in pairs:
        assert pipe.tokens(a) == pipe.tokens(b), (stemmer, a, b)
    assert pipe.tokens("Having") != pipe.tokens("table")


def test_tokenizers_on_real_sentences():
    text = "I can't believe it's 3.5 degrees, said Dr. Who. Isn't it?"
    assert Pipeline(tokenizer="treebank", punctuation=True).tokens(text) == [
        "i", "ca", "n't", "believe", "it", "'s", "3.5", "degrees", ",", "said", "dr.", "who", ".",
        "is", "n't", "it", "?",
    ]  # fmt: skip
    assert Pipeline(tokenizer="regexp").tokens(text)[:4] == ["i", "can't", "believe", "it's"]
    tweet = "@fchollet Keras 3 is out!!! :D #deeplearning https://keras.io"
    assert Pipeline(tokenizer="tweet", punctuation=True).tokens(tweet) == [
        "@fchollet", "keras", "3", "is", "out", "!", "!", "!", ":D", "#deeplearning", "https://keras.io",
    ]  # fmt: skip
    assert Pipeline(tokenizer="whitespace", lowercase=False).tokens("A  b\tC") == ["A", "b", "C"]


def test_sentence_splitting_needs_no_data():
    assert split_sentences("Mr. Smith went to Washington. He said hi! Then he left.") == [
        "Mr. Smith went to Washington.", "He said hi!", "Then he left.",
    ]  # fmt: skip


def test_filters_numbers_stopwords_ngrams_and_unicode():
    pipe = Pipeline(stopwords="english", numbers="replace")
    assert pipe.tokens("The 42 cats and the 1,000 dogs!") == ["<num>", "cats", "<num>", "dogs"]
    assert Pipeline(numbers="drop").tokens("in 1999 we had 2nd place") == [
        "in",
        "we",
        "had",
        "place",
    ]
    assert Pipeline(stopwords=["cats"]).tokens("cats and dogs") == ["and", "dogs"]
    assert Pipeline(ngrams=(1, 2)).tokens("new york city") == [
        "new",
        "york",
        "city",
        "new_york",
        "york_city",
    ]
    assert Pipeline().tokens("ﬁne Ｃａｆé") == ["fine", "café"]  # NFKC folds ligatures and width
    assert Pipeline(strip_accents=True).tokens("Café naïve") == ["cafe", "naive"]
    assert Pipeline(min_length=3).tokens("a an the") == ["the"]


def test_config_round_trip_and_identical_output_at_predict_time(tmp_path):
    pipe = Pipeline(
        tokenizer="tweet", stopwords=["rt"], stemmer="lancaster", numbers="replace", ngrams=(1, 2)
    )
    texts = ["RT @user: Having 2 great days in Paris!", "They have been running :)", "naïve café"]
    before = [pipe.tokens(t) for t in texts]
    folder = ModelFolder(tmp_path / "model").create()
    path = pipe.save(folder.path)  # saved inside the model folder, as every model does
    assert path.name == "pipeline.json" and json.loads(path.read_text())["stemmer"] == "lancaster"
    again = Pipeline.load(folder.path)
    assert again == pipe and again.to_dict() == pipe.to_dict()
    assert [again.tokens(t) for t in texts] == before


@pytest.mark.parametrize(
    "bad",
    [dict(tokenizer="spacy"), dict(stemmer="krovetz"), dict(numbers="round"), dict(ngrams=(0,)),
     dict(stopwords="klingon"), dict(pattern="(unclosed"), dict(unicode_form="NFX")],
)  # fmt: skip
def test_bad_settings_are_refused(bad):
    with pytest.raises(TextkitError, match=next(iter(bad)).split("_")[0]):  # names the setting
        Pipeline(**bad)


def test_unknown_or_newer_settings_in_json():
    with pytest.raises(TextkitError, match="unknown pipeline setting"):
        Pipeline.from_dict({"lowercase": True, "lemmatize": True})
    with pytest.raises(TextkitError, match="newer textkit"):
        Pipeline.from_dict({"format_version": 99})
    with pytest.raises(TextkitError, match="malformed"):
        Pipeline.from_json("{nope")


def test_works_offline_without_any_nltk_data(tmp_path):
    """In a fresh interpreter where NLTK can find no data at all, every step still works."""
    code = textwrap.dedent(
        """
        import nltk
        nltk.data.path[:] = []
        from textkit.text.pipeline import Pipeline, split_sentences
        for tok in ("regexp", "treebank", "tweet"):
            for stem in ("porter", "snowball", "lancaster"):
                assert Pipeline(tokenizer=tok, stemmer=stem, stopwords="english").tokens(
                    "Dr. Who was having fun. Then he left!")
        assert len(split_sentences("One. Two! Three?")) == 3
        try:
            nltk.word_tokenize("this needs punkt data")
        except LookupError:
            print("no-data-confirmed")
        """
    )
    env = {"NLTK_DATA": str(tmp_path), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert "no-data-confirmed" in out.stdout  # NLTK really had no data, and we didn't need it


def test_streaming_a_large_file_keeps_memory_flat(tmp_path):
    """8 MB of text through the pipeline with a peak under 2 MB of Python memory (tracemalloc,
    which slows Python: the file is as large as the bound needs to tell streaming from
    reading whole)."""
    big = tmp_path / "big.txt"
    line = "Shall I compare thee to a summer's day? Thou art more lovely and more temperate.\n"
    lines = 100_000
    with open(big, "w") as fh:
        for _ in range(lines):  # ~8 MB
            fh.write(line)
    pipe = Pipeline(stemmer="porter", stopwords="english")
    pipe.tokens(line)  # loading the stemmer and stop words is not streaming (nor a test order)
    tracemalloc.start()
    stats = write_processed(read_lines(big), pipe, tmp_path / "out.txt", progress=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert stats.documents == lines
    assert peak < 2_000_000, f"peak {peak:,} bytes for a {big.stat().st_size:,}-byte file"
    with open(tmp_path / "out.txt") as fh:
        first = fh.readline().split()
        assert first == pipe.tokens(line) and 1 + sum(1 for _ in fh) == lines


def test_readers_for_every_format(tmp_path):
    (tmp_path / "p.txt").write_text("first para\nstill first\n\n\nsecond para\n")
    assert [d.text for d in read_documents(tmp_path / "p.txt", "paragraphs")] == [
        "first para\nstill first",
        "second para",
    ]
    assert [d.line for d in read_documents(tmp_path / "p.txt")] == [1, 2, 5]
    (tmp_path / "t.csv").write_text(
        'id,text,label\n1,"hello, world",greet\n2,"multi\nline",other\n'
    )
    docs = list(read_documents(tmp_path / "t.csv", label_column="label"))
    assert [(d.text, d.label) for d in docs] == [
        ("hello, world", "greet"),
        ("multi\nline", "other"),
    ]
    (tmp_path / "t.tsv").write_text("body\tcat\nsome text\tA\n")
    assert [
        (d.text, d.label)
        for d in read_documents(tmp_path / "t.tsv", text_column="body", label_column="cat")
    ] == [("some text", "A")]
    (tmp_path / "t.jsonl").write_text('{"text": "one", "y": 1}\n\n{"text": "two", "y": 2}\n')
    assert [(d.text, d.label) for d in read_documents(tmp_path / "t.jsonl", label_column="y")] == [
        ("one", "1"),
        ("two", "2"),
    ]
    (tmp_path / "d" / "pos").mkdir(parents=True)
    (tmp_path / "d" / "pos" / "a.txt").write_text("good film")
    assert [(d.text, d.label) for d in read_documents(tmp_path / "d")] == [("good film", "pos")]
    intents = {
        "intents": [
            {"tag": "greeting", "patterns": ["Hi", "Hello"], "responses": ["Hey!"]},
            {"tag": "bye", "patterns": ["Bye"], "responses": []},
        ]
    }
    (tmp_path / "intents.json").write_text(json.dumps(intents))
    assert [(d.text, d.label) for d in read_documents(tmp_path / "intents.json")] == [
        ("Hi", "greeting"), ("Hello", "greeting"), ("Bye", "bye"),
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("name", "content", "kwargs", "message"),
    [
        ("a.csv", "id,body\n1,hi\n", {}, "no 'text' column"),
        ("a.csv", "text,label\nhi,x\n", {"label_column": "tag"}, "no column 'tag'"),
        ("a.csv", "text,label\nhi,x\nextra,x,y\n", {}, "line 3: 3 fields where the header has 2"),
        ("a.csv", 'text\n"unterminated\n', {}, "line"),
        ("a.jsonl", '{"text": "ok"}\n{"text": broken}\n', {}, "line 2: not valid JSON"),
        ("a.jsonl", '{"body": "no text"}\n', {}, "line 1: expected an object with a string 'text'"),
        (
            "intents.json",
            '{"intents": [{"tag": "a", "patterns": ["x"]},]}',
            {},
            "line 1: not valid JSON",
        ),
        ("intents.json", '{"tags": []}', {"format": "intents"}, 'expected {"intents"'),
        ("intents.json", '{"tags": []}', {}, "choose one with --json-key"),
        ("intents.json", '{"intents": [{"patterns": ["x"]}]}', {}, "intent #1) has no 'tag'"),
        (
            "intents.json",
            '{"intents": [{"tag": "a", "patterns": 5}]}',
            {},
            "intents[0].patterns (intent 'a') must be a list",
        ),
        ("bad.txt", b"fine line\nbad \xff byte\n", {}, "bad.txt, line 2: not valid utf-8"),
    ],
)
def test_malformed_inputs_name_file_and_line(tmp_path, name, content, kwargs, message):
    path = tmp_path / name
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(TextkitError, match="(?i)" + __import__("re").escape(message)):
        list(read_documents(path, **kwargs))


def test_real_tweets_through_the_tweet_pipeline(shared_file):
    pipe = Pipeline(tokenizer="tweet", stopwords="english")
    docs = list(read_documents(shared_file("authors/celebrity_tweets.csv"), label_column="author"))
    assert len(docs) == 9000 and {d.label for d in docs} >= {"fchollet", "KimKardashian"}
    tokens = [t for d in docs[:2000] for t in pipe.tokens(d.text)]
    assert any(t.startswith("@") for t in tokens) and any(t.startswith("#") for t in tokens)
    assert "the" not in tokens


def test_the_tweet_tokenizer_skips_a_length_cap_already_made(shared_file):
    """Where max_repeat (<= 3) has capped every run after decoding HTML, NLTK's own reduce_len
    is skipped: the tokens are exactly those of the tokenizer with it, on real tweets and
    elongated, entity-laden text; with max_repeat 5 (or off) NLTK's cap still applies."""
    import itertools

    from nltk.tokenize import TweetTokenizer

    docs = read_documents(shared_file("authors/celebrity_tweets.csv"), label_column="author")
    texts = [d.text for d in itertools.islice(docs, 1500)] + [
        "sooooo goooood!!!!!! &amp;&amp;&amp;&amp; :DDDDD &lt;3 &#97;&#97;&#97;&#97;",
        "Whaaaaaat?!?! nooo\n\n\n\nyesss",
    ]
    for max_repeat in (3, 2, 5, None):
        pipe = Pipeline(tokenizer="tweet", lowercase=False, html=True, max_repeat=max_repeat)
        nltk_full = TweetTokenizer(preserve_case=True, reduce_len=True).tokenize
        for text in texts:
            assert pipe._split(pipe.normalise(text)) == nltk_full(pipe.normalise(text)), text
    assert Pipeline(tokenizer="tweet", max_repeat=5).tokens("goooooood") == ["goood"]


def test_json_records_on_the_real_snips_file(shared_file):
    snips = shared_file("intent/snips.json")
    with pytest.raises(TextkitError, match="choose one with --json-key"):
        list(read_documents(snips))
    train = list(read_documents(snips, json_key="train", label_column="intent"))
    test = list(read_documents(snips, json_key="test", label_column="intent"))
    assert (len(train), len(test)) == (13784, 700)
    assert len({d.label for d in test}) == 7 and all(d.text for d in test)
    with pytest.raises(TextkitError, match="no list 'dev'"):
        list(read_documents(snips, json_key="dev"))


def test_json_list_of_records_and_its_errors(tmp_path):
    f = tmp_path / "r.json"
    f.write_text(json.dumps([{"text": "one", "y": "a"}, {"text": "two", "y": "b"}]))
    assert [(d.text, d.label) for d in read_documents(f, label_column="y")] == [
        ("one", "a"),
        ("two", "b"),
    ]
    f.write_text(json.dumps([{"text": "one"}, {"body": "two"}]))
    with pytest.raises(TextkitError, match="record #2 has no string 'text'"):
        list(read_documents(f))
    f.write_text(json.dumps({"intents": [{"tag": "hi", "patterns": ["hello"]}]}))
    assert [(d.text, d.label) for d in read_documents(f)] == [("hello", "hi")]


def test_builtin_stopwords_are_the_shipped_copy_of_sklearns_list():
    """The vendored data file equals scikit-learn's list (a change upstream is noticed), and
    reading it imports neither scikit-learn nor NLTK's corpora."""
    code = (
        "import sys; from textkit.text.pipeline import english_stopwords; "
        "w = english_stopwords(); assert 'sklearn' not in sys.modules; print(len(w))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.returncode == 0 and out.stdout.strip() == "318", out.stderr
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    from textkit.text.pipeline import english_stopwords

    assert english_stopwords() == ENGLISH_STOP_WORDS


def test_a_pipeline_is_immutable_so_cached_tokens_never_go_stale():
    import dataclasses

    pipe = Pipeline(stemmer="porter")
    assert pipe.tokens("running runners") == ["run", "runner"]
    with pytest.raises(dataclasses.FrozenInstanceError):
        pipe.stemmer = "lancaster"
    other = dataclasses.replace(pipe, stemmer="lancaster")
    assert other.tokens("running runners") == ["run", "run"]
    assert pipe.tokens("running runners") == ["run", "runner"]  # the original is unchanged
    assert other.to_dict()["stemmer"] == "lancaster" and pipe.to_dict()["stemmer"] == "porter"


def test_save_into_a_new_model_folder(tmp_path):
    path = Pipeline().save(tmp_path / "models" / "my-intent")
    assert path == tmp_path / "models" / "my-intent" / "pipeline.json"
    with pytest.raises(TextkitError, match="does not exist"):
        Pipeline().save(tmp_path / "missing" / "pipe.json")


def test_processed_file_is_what_gensim_corpus_file_mode_reads(tmp_path, sonnets):
    from gensim.models import Word2Vec

    corpus = tmp_path / "sonnets.txt"
    corpus.write_text(sonnets, encoding="utf-8")
    pipe = Pipeline(stemmer="porter")
    out = tmp_path / "processed.txt"
    stats = write_processed(read_documents(corpus, "paragraphs"), pipe, out, progress=False)
    assert stats.documents == 154  # one line per sonnet
    model = Word2Vec(corpus_file=str(out), vector_size=16, min_count=5, epochs=1, workers=1, seed=0)
    assert model.corpus_total_words == stats.tokens
    assert {"love", "beauti", "thee"} <= set(model.wv.index_to_key)  # stemmed tokens, as written


def test_split_reads_only_the_rows_of_one_split(tmp_path, repo):
    from textkit.text.readers import Source

    csv_rows = list(read_documents(repo / "corpora" / "presidents.csv", split="test"))
    assert len(csv_rows) == 200  # 50 per president, as corpora/README.md says
    train = Source(repo / "corpora" / "presidents.csv", label_column="author", split="train")
    assert len(list(train.documents())) == 800
    assert {d.text for d in csv_rows}.isdisjoint(d.text for d in train.documents())
    (tmp_path / "r.jsonl").write_text(
        '{"text": "a", "split": "train"}\n{"text": "b", "split": "test"}\n'
    )
    assert [d.text for d in read_documents(tmp_path / "r.jsonl", split="test")] == ["b"]
    (tmp_path / "r.json").write_text('[{"text": "a", "split": "dev"}, {"text": "b"}]')
    with pytest.raises(TextkitError, match="record #2: no 'split' field"):
        list(read_documents(tmp_path / "r.json", split="dev"))
    (tmp_path / "t.csv").write_text("text,label\nhi,greet\n")
    with pytest.raises(TextkitError, match="no 'split' column"):
        list(read_documents(tmp_path / "t.csv", split="test"))
    with pytest.raises(TextkitError, match="--split needs CSV"):
        list(read_documents(repo / "corpora" / "poems.txt", split="test"))
    from textkit.classify.data import labelled_texts

    with pytest.raises(TextkitError, match="not intents"):
        labelled_texts(Source(repo / "corpora" / "intents.json", split="test"))
