"""The text pipeline: normalise, tokenize, filter and stem, configured once, saved with every
model that used it, and applied identically at training and at prediction time.

Everything here works offline: NLTK's tokenizers and stemmers need no data files (sentence
splitting uses an untrained Punkt model seeded with common abbreviations), and the English
stop-word list ships with textkit (``text/data``).  Per-token work (filters, stop words,
stemming) is cached: a word's processed form never changes, so after warm-up each token costs
one dict lookup.  A Pipeline is immutable (a frozen dataclass): its settings can't drift away
from the tokens it has cached or from the ``pipeline.json`` a model was saved with; use
``dataclasses.replace(pipe, stemmer=...)`` for a new one.
"""

from __future__ import annotations

import functools
import html
import json
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, fields
from functools import cached_property
from pathlib import Path

from textkit import safejson
from textkit.errors import TextkitError
from textkit.settings import setting, validate

TOKENIZERS = ("regexp", "treebank", "tweet", "whitespace")
STEMMERS = ("porter", "snowball", "lancaster")
NUMBER_MODES = ("keep", "drop", "replace")
UNICODE_FORMS = ("NFKC", "NFC", "NFKD", "NFD")
# Scripts written without spaces between words (Thai; Japanese kana; CJK ideographs): each
# character is a token, as BERT's tokenizer does for CJK, so word n-grams become character
# n-grams there instead of one "word" per sentence that nothing else ever matches.
UNSPACED = "\u0e00-\u0e7f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
MARKS = "\u0e31\u0e34-\u0e3a\u0e47-\u0e4e\u3099\u309a"  # Thai vowels/tones, kana voicing
# in order: placeholders (<url>, <user>); one character of an unspaced script (with its combining
# marks); numbers with
# separators (1,000 / 3.5); words with inner apostrophes or hyphens; punctuation
PATTERN_SECONDS = 0.25  # the most one text may cost the tokenizer pattern (+1 s per MB of text)


def compile_pattern(pattern: str, what: str = "tokenizer pattern", groups: bool = False):
    """A pattern that is data (a model folder's pipeline.json, an entity regex of the training
    data), compiled by the ``regex`` module, whose matching can be given a time limit
    (``PATTERN_SECONDS``), and vetted: a bad one is one error naming ``what`` it is."""
    import regex

    try:
        compiled = regex.compile(pattern)
    except (regex.error, TypeError, ValueError, OverflowError, RecursionError) as exc:
        raise TextkitError(f"bad {what} {pattern!r}: {exc}") from None
    if compiled.groups and not groups:
        raise TextkitError(
            f"bad tokenizer pattern {pattern!r}: it has a capturing group (findall would return "
            "tuples); write groups as (?:...)"
        )
    return compiled


def _bounded_findall(compiled):
    """``compiled.findall`` that gives up on a text after a time proportional to its length: a
    pattern that backtracks catastrophically ((a+)+$) can't hang a command or the server."""

    def findall(text: str) -> list[str]:
        try:
            return compiled.findall(text, timeout=PATTERN_SECONDS + len(text) / 1e6)
        except TimeoutError:
            raise TextkitError(
                f"the tokenizer pattern {compiled.pattern!r} took too long on a text of "
                f"{len(text):,} characters (it backtracks); use a simpler pattern"
            ) from None

    return findall


DEFAULT_PATTERN = (
    rf"<[a-z]+>|[{UNSPACED}][{MARKS}]*|\d+(?:[.,]\d+)*(?:st|nd|rd|th|s)?(?!\w)"
    rf"|[^\W{UNSPACED}]+(?:['’\-][^\W{UNSPACED}]+)*|[^\w\s]"
)
_DEFAULT_FINDALL = re.compile(DEFAULT_PATTERN).findall
# tokens longer than this are processed every time, never cached: words are shorter, and a
# request of long random "words" must not grow a served model's memory
CACHED_TOKEN_CHARS = 40
PLACEHOLDER_MODES = ("keep", "replace", "drop")
URL_TOKEN, USER_TOKEN = "<url>", "<user>"
_URL = re.compile(r"\b(?:https?://|www\.)\S+", re.IGNORECASE)
_MENTION = re.compile(r"(?<![\w@])@\w+")
NUMBER_TOKEN = "<num>"
PIPELINE_FILE = "pipeline.json"
FORMAT_VERSION = 1
_ABBREVIATIONS = {
    "mr",
    "mrs",
    "ms",
    "dr",
    "prof",
    "st",
    "vs",
    "etc",
    "e.g",
    "i.e",
    "jr",
    "sr",
    "inc",
    "ltd",
    "co",
    "no",
    "fig",
    "gen",
    "gov",
    "sen",
    "rep",
    "mt",
    "u.s",
}
_NUMBER = re.compile(r"[+-]?(?:\d[\d,._]*)(?:st|nd|rd|th|%|s)?", re.IGNORECASE)
_PUNCT = re.compile(r"[^\w\s]+")


@dataclass(frozen=True)
class Pipeline:
    """A configured text-to-tokens pipeline.  Construct it with the steps you want, then
    ``tokens(text)`` / ``process(docs)``; ``to_json``/``from_json`` round-trip it exactly."""

    lowercase: bool = setting(True, flag="--lower/--no-lower", help="Lower-case the text.")
    unicode_form: str | None = setting(
        "NFKC",
        choices=UNICODE_FORMS,
        optional=True,
        flag="--unicode",
        help="Unicode normalisation.",
    )
    strip_accents: bool = setting(
        False, flag="--strip-accents", flag_value=True, help="Remove accents (café -> cafe)."
    )
    tokenizer: str = setting(
        "regexp",
        choices=TOKENIZERS,
        help="regexp: fast, words and punctuation; treebank: NLTK's Penn Treebank rules after "
        "sentence splitting; tweet: keeps @handles, #tags, URLs, emoticons; whitespace.",
    )
    pattern: str = setting(
        DEFAULT_PATTERN, help="Token pattern for --tokenizer regexp (a Python regular expression)."
    )
    punctuation: bool = setting(
        False, flag="--punctuation/--no-punctuation", help="Keep punctuation tokens."
    )
    numbers: str = setting(
        "keep", choices=NUMBER_MODES, help="Numbers: keep, drop, or replace with <num>."
    )
    html: bool = setting(False, flag="--html/--no-html", help="Decode HTML entities (&amp; -> &).")
    urls: str = setting(
        "keep", choices=PLACEHOLDER_MODES, help="URLs: keep, replace with <url>, or drop."
    )
    mentions: str = setting(
        "keep", choices=PLACEHOLDER_MODES, help="@handles: keep, replace with <user>, or drop."
    )
    max_repeat: int | None = setting(
        None,
        low=1,
        high=100,
        integer=True,
        optional=True,
        help="Shorten runs of a repeated character to this many (soooo -> sooo with 3).",
    )
    stopwords: str | tuple[str, ...] | None = setting(
        None,
        kind="words",
        optional=True,
        metavar="none|english|@FILE",
        help="Remove stop words: the built-in English list, or one word per line from FILE.",
    )
    stemmer: str | None = setting(
        None, choices=STEMMERS, optional=True, flag="--stem", help="Stemmer."
    )
    ngrams: tuple[int, ...] = setting(
        (1,),
        kind="ints",
        low=1,
        high=10,
        metavar="N[,M...]",
        help="Token n-gram sizes to emit, e.g. 1,2 (joined with _).",
    )
    min_length: int = setting(
        1, low=1, high=1000, integer=True, help="Drop tokens shorter than this."
    )
    cache_size: int = setting(
        2_000_000,
        low=0,
        high=10**9,
        integer=True,
        cli=False,
        help="Tokens whose processed form is remembered.",
    )
    _cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if isinstance(self.ngrams, list):
            object.__setattr__(self, "ngrams", tuple(self.ngrams))  # frozen: normalise here
        if isinstance(self.stopwords, (list, set, frozenset)):
            words = self.stopwords
            object.__setattr__(
                self,
                "stopwords",
                tuple(sorted(words) if isinstance(words, (set, frozenset)) else words),
            )
        validate(self)
        if isinstance(self.stopwords, tuple):
            if not all(isinstance(w, str) for w in self.stopwords):
                raise TextkitError("stopwords must be 'english' or a list of strings")
        elif self.stopwords is not None and self.stopwords != "english":
            raise TextkitError(
                f"stopwords must be 'english' or a list of strings, got {self.stopwords!r}"
            )
        compile_pattern(self.pattern)

    # ------------------------------------------------------------------ the steps
    @cached_property
    def _split(self):
        if self.tokenizer == "regexp" and self.pattern == DEFAULT_PATTERN:
            return _DEFAULT_FINDALL  # vetted: the fast re module, no time limit needed
        if self.tokenizer == "regexp":
            return _bounded_findall(compile_pattern(self.pattern))
        if self.tokenizer == "whitespace":
            return str.split
        if self.tokenizer == "tweet":
            from nltk.tokenize import TweetTokenizer

            # NLTK's reduce_len caps runs of a character at 3; where normalise has already
            # capped them at 3 or fewer (max_repeat, after decoding HTML) it can only repeat
            # that work (a fifth to a third of the tokenizer's time: benchmarks/pipeline.py)
            capped = self.max_repeat is not None and self.max_repeat <= 3 and self.html
            return TweetTokenizer(preserve_case=not self.lowercase, reduce_len=not capped).tokenize
        from nltk.tokenize import NLTKWordTokenizer

        word = NLTKWordTokenizer().tokenize
        sentences = sentence_splitter()
        return lambda text: [tok for sent in sentences(text) for tok in word(sent)]

    @cached_property
    def _stopset(self) -> frozenset[str]:
        if self.stopwords is None:
            return frozenset()
        words = english_stopwords() if self.stopwords == "english" else self.stopwords
        return frozenset(w.lower() if self.lowercase else w for w in words)

    @cached_property
    def _stem(self):
        if self.stemmer is None:
            return None
        from nltk.stem import LancasterStemmer, PorterStemmer, SnowballStemmer

        stemmer = {
            "porter": PorterStemmer,
            "lancaster": LancasterStemmer,
            "snowball": lambda: SnowballStemmer("english"),
        }[self.stemmer]()
        return stemmer.stem

    def normalise(self, text: str) -> str:
        if self.unicode_form:
            text = unicodedata.normalize(self.unicode_form, text)
        if self.html:
            text = html.unescape(text)
        if self.urls != "keep":
            text = _URL.sub(f" {URL_TOKEN} " if self.urls == "replace" else " ", text)
        if self.mentions != "keep":
            text = _MENTION.sub(f" {USER_TOKEN} " if self.mentions == "replace" else " ", text)
        if self.max_repeat:
            text = re.sub(rf"(.)\1{{{self.max_repeat},}}", r"\1" * self.max_repeat, text)
        if self.strip_accents:
            text = "".join(
                c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c)
            )
        if (
            self.lowercase and self.tokenizer != "tweet"
        ):  # the tweet tokenizer keeps emoticons' case
            text = text.lower()
        return text

    def _token(self, tok: str) -> str | None:
        """One raw token -> its final form, or None to drop it (uncached)."""
        if _PUNCT.fullmatch(tok):
            if not self.punctuation:
                return None
        elif _NUMBER.fullmatch(tok):
            if self.numbers == "drop":
                return None
            if self.numbers == "replace":
                return NUMBER_TOKEN
        if tok in self._stopset or len(tok) < self.min_length:
            return None
        return self._stem(tok) if self._stem else tok

    def tokens(self, text: str) -> list[str]:
        """The tokens of one document (with n-grams joined by "_" when ``ngrams`` asks)."""
        cache, out = self._cache, []
        for raw in self._split(self.normalise(text)):
            try:
                tok = cache[raw]
            except KeyError:
                tok = self._token(raw)
                if len(raw) <= CACHED_TOKEN_CHARS:  # a 10,000-letter "word" is not worth keeping
                    if len(cache) >= self.cache_size:
                        cache.clear()
                    cache[raw] = tok
            if tok is not None:
                out.append(tok)
        if self.ngrams == (1,):
            return out
        grams = []
        for n in self.ngrams:
            grams.extend("_".join(out[i : i + n]) for i in range(len(out) - n + 1))
        return grams

    __call__ = tokens

    def process(self, docs: Iterable[str]) -> Iterator[list[str]]:
        """Stream documents through the pipeline (a generator: constant memory)."""
        for doc in docs:
            yield self.tokens(doc)

    # ------------------------------------------------------------------ (de)serialising
    def to_dict(self) -> dict:
        d = {f.name: getattr(self, f.name) for f in fields(self) if f.init}
        d["ngrams"] = list(self.ngrams)
        if isinstance(self.stopwords, tuple):
            d["stopwords"] = list(self.stopwords)
        return {"format_version": FORMAT_VERSION, **d}

    @classmethod
    def from_dict(cls, d: dict) -> Pipeline:
        if not isinstance(d, dict):
            raise TextkitError("a pipeline must be a JSON object of settings")
        d = dict(d)
        version = d.pop("format_version", 1)
        if not isinstance(version, int) or isinstance(version, bool):
            raise TextkitError(f"pipeline format_version must be an integer, got {version!r}")
        if version > FORMAT_VERSION:
            raise TextkitError("this pipeline was saved by a newer textkit; upgrade textkit")
        known = {f.name for f in fields(cls) if f.init}
        unknown = set(d) - known
        if unknown:
            raise TextkitError(f"unknown pipeline setting(s): {', '.join(sorted(unknown))}")
        return cls(**d)

    def to_json(self) -> str:
        return json.dumps(self.to_dict(), indent=2, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> Pipeline:
        try:
            return cls.from_dict(safejson.loads(text))
        except json.JSONDecodeError as exc:
            raise TextkitError(f"pipeline JSON is malformed: {exc}") from exc

    def save(self, path: str | Path) -> Path:
        """Write the pipeline as JSON; a folder path gets ``pipeline.json`` inside it."""
        from textkit.modelio import atomic_write_bytes

        path = Path(path)
        if path.is_dir() or path.suffix != ".json":
            path.mkdir(parents=True, exist_ok=True)
            path = path / PIPELINE_FILE
        elif not path.parent.is_dir():
            raise TextkitError(f"folder {path.parent} does not exist")
        atomic_write_bytes(path, (self.to_json() + "\n").encode())
        return path

    @classmethod
    def load(cls, path: str | Path) -> Pipeline:
        from textkit.text.io import read_small_text

        path = Path(path)
        if path.is_dir():
            path = path / PIPELINE_FILE
        if not path.is_file():
            raise TextkitError(f"no pipeline at {path}")
        try:
            return cls.from_json(read_small_text(path))
        except TextkitError as exc:
            raise TextkitError(f"{path}: {exc}") from exc

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Pipeline) and self.to_dict() == other.to_dict()


@functools.cache
def english_stopwords() -> frozenset[str]:
    """The English stop-word list shipped with textkit (scikit-learn's, from the Glasgow IR
    group; see ``text/data/README.md``): no download, unlike NLTK's stopwords corpus."""
    from importlib.resources import files

    text = files("textkit.text").joinpath("data/english_stopwords.txt").read_text("utf-8")
    return frozenset(w.strip() for w in text.splitlines() if w.strip())


def sentence_splitter():
    """Sentence splitting without NLTK data: Punkt's rules, untrained, plus common abbreviations."""
    from nltk.tokenize.punkt import PunktParameters, PunktSentenceTokenizer

    params = PunktParameters()
    params.abbrev_types = set(_ABBREVIATIONS)
    return PunktSentenceTokenizer(params).tokenize


def split_sentences(text: str) -> list[str]:
    return sentence_splitter()(text)
