"""What every character-level generator shares: vocabulary, pre-seed / seed handling, the
generate() API, the stored corpus excerpt and the originality check."""

from __future__ import annotations

import contextlib
import gzip
import warnings
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

import torch

from textkit.charrnn.config import SampleConfig
from textkit.charrnn.data import Vocab
from textkit.charrnn.encoded import EncodedCorpus
from textkit.charrnn.originality import LineCheck, OriginalityChecker
from textkit.charrnn.sample import (
    MAX_LOGPROBS,
    CharLogprob,
    Stepper,
    check_sampling_options,
    sample_streams,
    stop_strings,
)
from textkit.checks import check_number
from textkit.errors import TextkitError, TextkitWarning
from textkit.estimator import Estimator
from textkit.modelio import ModelFolder, atomic_path
from textkit.text.io import read_small_text

CORPUS_COPY = "corpus.txt.gz"
LOSS_UNIT = "nats/char"


@dataclass(frozen=True)
class Prompt:
    """What generation starts from, in the model's vocabulary."""

    seed: str  # starts the output
    preseed: str  # read first to set the state, then cut


@dataclass
class Sample:
    """One generated text. ``text`` starts with the seed text (the pre-seed is never in it)."""

    text: str
    temperature: float
    seed_text: str = ""
    novel_fraction: float | None = None
    lines: list[LineCheck] | None = None
    logprobs: list[CharLogprob] | None = None  # one per generated character, when asked

    @property
    def generated(self) -> str:
        return self.text[len(self.seed_text) :]

    @property
    def copied_lines(self) -> int:
        return sum(line.copied for line in self.lines or [])


def resolve_preseed(preseed: str | None, excerpt: str | None, files: bool = True) -> str:
    """``None``/"" -> none; "auto" -> the stored corpus excerpt; "@FILE" -> the file's text
    (unless ``files`` is false: a server never reads a path a request names)."""
    if not preseed:
        return ""
    if preseed == "auto":
        if not excerpt:
            raise TextkitError("this model has no stored corpus excerpt for --preseed auto")
        return excerpt
    if files and preseed.startswith("@"):
        return read_small_text(preseed[1:])
    return preseed


@contextlib.contextmanager
def _few_threads(device: torch.device, streams: int):
    """One CPU thread while sampling a few streams: each step is a 1-row matrix-vector product,
    which a second thread slows down (measured: 5.1k vs 4.2k characters/s for one stream of a
    1x512 LSTM on 2 cores); many streams keep every thread."""
    if device.type != "cpu" or streams > FEW_STREAMS:
        yield
        return
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(threads)


FEW_STREAMS = 4


class CharGenerator(Estimator):
    """Base of CharRNN and CharMarkov: subclasses provide ``_stepper`` and training."""

    vocab: Vocab | None = None
    preseed_excerpt: str | None = None

    def _stepper(self, device: torch.device) -> Stepper:
        raise NotImplementedError

    def _device(self) -> torch.device:
        return torch.device("cpu")

    # the training corpus, kept beside the weights for originality checks -----------
    def _remember_corpus(
        self, folder: ModelFolder, corpus: EncodedCorpus, n_train: int, seq_len: int, seed: int = 0
    ) -> None:
        """Keep what generation needs of a new training corpus: a pre-seed excerpt from the
        training part, and a gzip copy for originality checks (written a slice at a time)."""
        self.preseed_excerpt = corpus.excerpt(seq_len, seed, limit=n_train)
        with (
            atomic_path(folder.file(CORPUS_COPY)) as tmp,
            gzip.open(tmp, "wb", compresslevel=6) as gz,
        ):
            for chunk in corpus.chunks():
                gz.write(chunk.encode("utf-8"))

    def _copy_corpus(self, folder: ModelFolder) -> None:
        """``save`` elsewhere: the stored corpus copy goes along when there is one."""
        import shutil

        source = self.folder.file(CORPUS_COPY) if self.folder is not None else None
        if source is not None and source.is_file() and source != folder.file(CORPUS_COPY):
            with atomic_path(folder.file(CORPUS_COPY)) as tmp:
                shutil.copyfile(source, tmp)

    def _corpus_config(self, corpus: EncodedCorpus, n_train: int, n_val: int) -> dict:
        """The config.json entries describing the corpus, the same for every char model."""
        return {
            "corpus": {
                "sources": corpus.sources,
                "fingerprint": corpus.fingerprint,
                "chars": len(corpus),
                "train_chars": n_train,
                "val_chars": n_val,
            },
            "preseed_excerpt": self.preseed_excerpt,
            "vocab": self.vocab_.chars,
            "loss_unit": LOSS_UNIT,
        }

    def training_corpus(self) -> str:
        """The training text stored with the model (corpus.txt.gz), whole."""
        return "".join(self.training_corpus_chunks()())

    def training_corpus_chunks(self) -> Callable[[], Iterator[str]]:
        """A function streaming the stored training text in chunks (for the originality check,
        which never needs it whole); checks the copy is there first."""
        path = None if self.folder is None else self.folder.file(CORPUS_COPY)
        if path is None or not path.is_file():
            raise TextkitError(
                "this model has no stored copy of its training corpus (corpus.txt.gz), which "
                "--check-original needs; pass corpus= in Python, or retrain the model"
            )

        def chunks() -> Iterator[str]:
            try:
                with gzip.open(path, "rt", encoding="utf-8", newline="") as fh:
                    while chunk := fh.read(1 << 20):
                        yield chunk
            except (OSError, EOFError, zlib.error, UnicodeDecodeError) as exc:
                raise TextkitError(
                    f"{path} is corrupt or truncated ({exc}); --check-original can't use it. "
                    "Retrain the model, or pass corpus= in Python"
                ) from exc

        return chunks

    def _map(
        self, text: str, what: str, required: bool = False, notes: list[str] | None = None
    ) -> str:
        mapped = self.vocab_.map_unknown(text)
        if required and text and not mapped.text:
            raise TextkitError(
                f"{what} {text!r} has no character the model knows; "
                f"its vocabulary is {''.join(self.vocab_.chars)!r}"
            )
        for note in mapped.describe(what):
            if notes is None:
                warnings.warn(note, TextkitWarning, stacklevel=3)
            else:
                notes.append(note)
        return mapped.text

    def prepare_prompt(
        self,
        seed_text: str = "",
        preseed: str | None = None,
        files: bool = True,
        notes: list[str] | None = None,
    ) -> Prompt:
        """The seed text and pre-seed as the model will read them (pre-seed "auto" or "@FILE"
        resolved, unknown characters mapped or dropped, with a warning for each kind of
        change).  The CLI calls this before streaming, so warnings come before the text.
        ``files=False`` takes an "@..." pre-seed as text, never as a path; with a ``notes`` list
        the changes are appended to it instead of warned (a server returns them)."""
        self._require_trained()
        pre = self._map(
            resolve_preseed(preseed, self.preseed_excerpt, files), "pre-seed", notes=notes
        )
        return Prompt(self._map(seed_text, "seed text", required=True, notes=notes), pre)

    def suggest(self, text: str, k: int = 3, beam: int = 16) -> list:
        """The ``k`` most likely next words after ``text``, or completions of its last word when
        it doesn't end in a space or punctuation: ``Suggestion(word, completion, probability)``."""
        from textkit.charrnn.suggest import BOUNDARY, beam_search_words

        self._require_trained()
        check_number("k", k, 1, 100, integer=True)
        check_number("beam", beam, 1, 1000, integer=True)
        mapped = self._map(text, "text")
        cut = len(mapped)
        while cut > 0 and mapped[cut - 1] not in BOUNDARY:
            cut -= 1
        typed = mapped[cut:]
        context = mapped or ("\n" if "\n" in self.vocab_ else self.vocab_.chars[0])
        return beam_search_words(
            self._stepper(self._device()),
            self.vocab_,
            self.vocab_.encode(context).tolist(),
            typed,
            k,
            beam,
        )

    def generate(
        self,
        length: int = SampleConfig.length,
        temperature: float = SampleConfig.temperature,
        *,
        temperatures: list[float] | None = None,
        num_samples: int = SampleConfig.num_samples,
        top_k: int | None = None,
        top_p: float | None = None,
        seed_text: str = "",
        preseed: str | None = None,
        stop_at: str | Sequence[str] | None = None,
        seed: int | None = None,
        argmax: bool = False,
        check_original: int | None = None,
        corpus: str | None = None,
        on_text: Callable[[int, str], None] | None = None,
        prompt: Prompt | None = None,
        logprobs: int | None = None,
        on_logprobs: Callable[[int, list[CharLogprob]], None] | None = None,
    ) -> list[Sample]:
        """Generate ``num_samples`` independent texts in parallel, or one per entry of
        ``temperatures`` drawn with shared random numbers (a sweep where only T differs).

        ``seed_text`` (the prime) starts every output; ``preseed`` ("auto", "@file" or text) is
        fed through the model first to set its state and is not part of the output.
        ``temperature=0`` or ``argmax=True`` decodes greedily.  With ``check_original=N`` each
        sample reports its novel fraction and which lines share an N-character run with the
        training corpus.  ``prompt`` (from ``prepare_prompt``) replaces seed_text and preseed.
        ``stop_at`` is one stop string or several.  ``logprobs=K`` gives each sample the exact
        log-probability of every generated character with its K most likely alternatives.
        """
        self._require_trained()
        temps = list(temperatures) if temperatures is not None else [temperature] * num_samples
        if argmax:
            temps = [0.0] * len(temps)
        SampleConfig(length=length, top_k=top_k, top_p=top_p, num_samples=num_samples, seed=seed)
        check_sampling_options(temps, top_k, top_p, length)
        stops = stop_strings(stop_at)
        if logprobs is not None:
            check_number("logprobs", logprobs, 0, MAX_LOGPROBS, integer=True)
        prompt = prompt or self.prepare_prompt(seed_text, preseed)
        seed_in_vocab = prompt.seed
        prefix_text = prompt.preseed + seed_in_vocab
        if not prefix_text:  # start as if at the beginning of a new paragraph
            prefix_text = "\n" if "\n" in self.vocab_ else self.vocab_.chars[0]
        device = self._device()
        with _few_threads(device, len(temps)):
            run = sample_streams(
                self._stepper(device),
                lambda i: self.vocab_.chars[i],
                self.vocab_.encode(prefix_text).tolist(),
                temps,
                length,
                top_k=top_k,
                top_p=top_p,
                stop_at=stops,
                seed=seed,
                device=device,
                on_text=on_text,
                shared_noise=bool(temperatures),  # a sweep: same randomness, only T differs
                logprobs=logprobs,
                on_logprobs=on_logprobs,
            )
        samples = [
            Sample(text=seed_in_vocab + t, temperature=temp, seed_text=seed_in_vocab)
            for t, temp in zip(run.texts, temps, strict=True)
        ]
        for s, found in zip(samples, run.logprobs or [], strict=False):
            s.logprobs = found
        if check_original:
            checker = OriginalityChecker(corpus or self.training_corpus_chunks(), check_original)
            found = checker.check([s.generated for s in samples] + [s.text for s in samples])
            for s, gen, whole in zip(samples, found, found[len(samples) :], strict=False):
                s.novel_fraction, s.lines = gen.novel_fraction, whole.lines
        return samples
