"""The parts of the GPU check, one per process (check.py runs each under its own time cap):

    python benchmarks/gpu/parts.py PART --device cuda|cpu [--quick] --json RESULT.json

Each part prints what it does and writes its numbers as JSON.  ``--quick`` shrinks every budget
so the whole check runs on a CPU in well under a minute (CI runs it so the script cannot rot).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PREPARED = REPO / ".gpu-wheels" / "data"


def _data(name: str, fallback: Path) -> Path:
    """A data set prepare.sh copied, or the shipped stand-in (quick runs, CI)."""
    path = PREPARED / name
    return path if path.is_file() else fallback


def _poems() -> Path:
    return _data("public_domain_poems.txt", REPO / "corpora" / "poems.txt")


def _sync(device: str) -> None:
    if device == "cuda":
        import torch

        torch.cuda.synchronize()


def tests(args) -> dict:
    """The cuda-marked tests (skipped, with their reason, where there is no GPU)."""
    cmd = [
        sys.executable,
        "-m",
        "pytest",
        "-q",
        "-rs",
        "-p",
        "no:cacheprovider",
        "-m",
        "cuda",
        str(REPO / "tests" / "gpu"),
    ]
    done = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True)
    print(done.stdout[-6000:], done.stderr[-2000:], sep="\n")
    counts = {k: int(n) for n, k in re.findall(r"(\d+) (passed|failed|skipped|error)", done.stdout)}
    failed = re.findall(r"^(?:FAILED|ERROR) (\S+)", done.stdout, re.M)
    return {"exit_code": done.returncode, **counts, "failures": failed}


def charrnn_speed(args) -> dict:
    """Training characters/s of the GPU presets (the shared loop's own count)."""
    from textkit.charrnn import CharRNN

    presets = {"tiny": 3} if args.quick else {"medium": 300, "large": 150}
    out = {}
    for preset, steps in presets.items():
        loop = {"max_steps": steps, "eval_every": steps, "device": args.device, "progress": False}
        result = CharRNN().fit(_poems(), None, loop, preset=preset)
        out[preset] = {"steps": result.steps, "chars_per_s": round(result.units_per_s)}
        print(f"{preset}: {result.units_per_s:,.0f} characters/s over {result.steps} steps")
    return out


def sampling(args) -> dict:
    """Generated characters/s with 1 and 64 streams (untrained weights: speed doesn't care)."""
    import torch

    from textkit.charrnn import CharRNN
    from textkit.charrnn.config import preset_config
    from textkit.charrnn.data import Vocab
    from textkit.charrnn.model import CharRNNNet

    preset = "tiny" if args.quick else "medium"
    model = CharRNN(preset_config(preset))
    model.vocab_ = Vocab([chr(32 + i) for i in range(95)] + [chr(0xC0 + i) for i in range(37)])
    model.device = torch.device(args.device)
    model.net = CharRNNNet(len(model.vocab_), model.config).to(model.device).eval()
    length = 100 if args.quick else 2000
    model.generate(20, seed=0)  # warm-up
    out = {"preset": preset}
    for streams in (1, 64):
        n = length if streams == 1 else length // 4
        _sync(args.device)
        start = time.perf_counter()
        model.generate(n, num_samples=streams, seed=1)
        _sync(args.device)
        out[f"streams_{streams}_chars_per_s"] = round(streams * n / (time.perf_counter() - start))
        print(f"{streams} stream(s): {out[f'streams_{streams}_chars_per_s']:,} characters/s")
    return out


def poems_budget(args) -> dict:
    """Held-out loss on the poems corpus after a fixed budget with the default preset."""
    sys.path.insert(0, str(REPO / "benchmarks"))
    import torch
    from charrnn import stream_val_loss  # benchmarks/charrnn.py: the CPU number's measure

    from textkit.charrnn import CharRNN
    from textkit.charrnn.data import split_train_val
    from textkit.charrnn.encoded import encode_files

    budget = 3 if args.quick else 170
    corpus = encode_files([_poems()])
    model = CharRNN()
    loop = {"time_budget": budget, "device": args.device, "progress": False}
    result = model.fit(corpus, None, loop, preset="tiny" if args.quick else "auto")
    device = torch.device(args.device)
    _, val_ids = split_train_val(corpus.ids, model.config.val_fraction, model.config.seq_len)
    model.net.to(device)
    loss = stream_val_loss(model.net, val_ids, device)
    print(
        f"{model.preset} preset, {result.steps} steps in {budget}s: held-out {loss:.4f} nats/char"
    )
    return {
        "preset": model.preset,
        "budget_s": budget,
        "steps": result.steps,
        "held_out_loss": round(loss, 4),
        "chars": len(corpus),
    }


def word2vec(args) -> dict:
    """word2vec's torch backend on this device vs gensim on this machine's CPU cores."""
    from gensim.test.utils import datapath

    from textkit.embeddings import Word2Vec

    corpus = REPO / "corpora" / "poems.txt" if args.quick else datapath("lee_background.cor")
    epochs = 1 if args.quick else 10
    out = {}
    with tempfile.TemporaryDirectory() as tmp:
        for backend in ("gensim", "torch"):
            loop = {"progress": False, "device": args.device if backend == "torch" else "cpu"}
            model = Word2Vec(epochs=epochs, backend=backend)
            result = model.fit(corpus, Path(tmp) / backend, loop)
            out[f"{backend}_words_per_s"] = round(result.units_per_s)
            print(f"{backend}: {result.units_per_s:,.0f} words/s")
    out["torch_over_gensim"] = round(out["torch_words_per_s"] / out["gensim_words_per_s"], 2)
    return out


def classifier(args) -> dict:
    """Training time and accuracy on BANKING77 (10k texts, 77 intents): the torch head (mlp) on
    this device, and the default head (svm, on the CPU) beside it."""
    from textkit.classify.data import labelled_texts
    from textkit.intent import IntentClassifier
    from textkit.text.readers import Source

    train = _data("banking77_train.csv", REPO / "corpora" / "intents.json")
    test = _data("banking77_test.csv", REPO / "corpora" / "intents.json")
    loop = {"device": args.device, "progress": False}
    if args.quick:
        loop["max_steps"] = 20
    data = labelled_texts(Source(test))
    out = {"data": train.name}
    for head in ("mlp", "svm"):
        start = time.perf_counter()
        clf = IntentClassifier(classifier=head)
        clf.fit(Source(train), None, loop)
        seconds = time.perf_counter() - start
        preds = clf.predict_many(data.texts)
        accuracy = sum(p.label == lb for p, lb in zip(preds, data.labels, strict=True)) / len(data)
        print(
            f"{head}: trained in {seconds:.1f}s on {clf.info['trained_on']}, accuracy {accuracy:.2%}"
        )
        out[head] = {
            "seconds": round(seconds, 2),
            "trained_on": clf.info["trained_on"],
            "test_accuracy": round(accuracy, 4),
        }
    return out


PARTS = {
    f.__name__: f for f in (tests, charrnn_speed, sampling, poems_budget, word2vec, classifier)
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("part", choices=sorted(PARTS))
    ap.add_argument("--device", choices=["cuda", "cpu"], required=True)
    ap.add_argument("--quick", action="store_true")
    ap.add_argument("--json", type=Path, required=True)
    args = ap.parse_args()
    args.json.write_text(json.dumps(PARTS[args.part](args), indent=2))


if __name__ == "__main__":
    main()
