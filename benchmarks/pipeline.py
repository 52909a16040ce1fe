"""Text-pipeline throughput on a real corpus: NLTK stemming as usually written (uncached) vs
textkit's cached pipeline, cold (first pass) and warm (second pass), per tokenizer.

    python benchmarks/pipeline.py ../shared/data/poems/public_domain_poems.txt

Words/s count the tokens the tokenizer produced (before filtering), on one core.  Last, the
authors' tweet pipeline (max_repeat 3 after decoding HTML) with NLTK's own length cap
(reduce_len, as before stop 29) and without it (the cap already made): the same tokens,
checked, and the time of each (two rounds, alternating).
"""

from __future__ import annotations

import argparse
import re
import time

from nltk.stem import LancasterStemmer, PorterStemmer, SnowballStemmer

from textkit.text.pipeline import Pipeline
from textkit.text.readers import read_lines


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return out, time.perf_counter() - start


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("corpus")
    ap.add_argument("--max-docs", type=int, default=None)
    args = ap.parse_args()
    docs = [d.text for d in read_lines(args.corpus)][: args.max_docs]
    words = [w for d in docs for w in re.findall(r"\w+", d.lower())]
    print(
        f"corpus {args.corpus}: {len(docs):,} lines, {len(words):,} words, {len(set(words)):,} distinct"
    )

    print("\nNLTK stemmers, uncached (one .stem() call per word):")
    baseline = {}
    for name, stemmer in (
        ("porter", PorterStemmer()),
        ("snowball", SnowballStemmer("english")),
        ("lancaster", LancasterStemmer()),
    ):
        sample = words[:200_000]
        _, s = timed(lambda st=stemmer, sm=sample: [st.stem(w) for w in sm])
        baseline[name] = len(sample) / s
        print(f"  {name:10} {baseline[name]:>12,.0f} words/s")

    print("\ntextkit Pipeline(lowercase, NFKC, stopwords=english, stemmer=porter), per tokenizer:")
    print(
        f"  {'tokenizer':10} {'cold words/s':>14} {'warm words/s':>14} {'warm / NLTK porter':>19}"
    )
    for tokenizer in ("regexp", "whitespace", "tweet", "treebank"):
        pipe = Pipeline(tokenizer=tokenizer, stopwords="english", stemmer="porter")
        n = sum(len(pipe._split(pipe.normalise(d))) for d in docs)  # untimed: tokens produced
        pipe._cache.clear()
        _, cold = timed(lambda p=pipe: [p.tokens(d) for d in docs])
        _, warm = timed(lambda p=pipe: [p.tokens(d) for d in docs])
        print(
            f"  {tokenizer:10} {n / cold:>14,.0f} {n / warm:>14,.0f} {n / warm / baseline['porter']:>18.1f}x"
        )

    authors_tokenizer(docs)


def authors_tokenizer(docs: list[str]) -> None:
    from nltk.tokenize import TweetTokenizer

    from textkit.authorship.config import AUTHOR_PIPELINE as pipe

    texts = [pipe.normalise(d) for d in docs]
    with_cap = TweetTokenizer(preserve_case=not pipe.lowercase, reduce_len=True).tokenize
    assert [pipe._split(t) for t in texts] == [with_cap(t) for t in texts]
    print("\nthe authors' tweet tokenizer (normalised text), NLTK's reduce_len on / off:")
    for _ in range(2):
        _, on = timed(lambda: [with_cap(t) for t in texts])
        _, off = timed(lambda: [pipe._split(t) for t in texts])
        print(f"  on {on:.2f} s, off {off:.2f} s (same tokens)")


if __name__ == "__main__":
    main()
