"""Every CUDA path textkit claims, on a real GPU: mixed-precision training (bf16, and fp16 with loss
scaling forced), resume on the GPU and sampling on the CPU, the classifiers' sparse optimiser,
word2vec's torch backend, `serve --device cuda` and torchrun over NCCL.

Marked ``cuda`` and skipped where there is no GPU; `benchmarks/gpu/run.sh` runs them on a GPU
machine (the CPU versions of the same behaviours are tested in the other folders)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

pytestmark = [
    pytest.mark.cuda,
    pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU"),
]

LOOP = {"device": "cuda", "progress": False, "eval_every": 20}


@pytest.fixture
def corpus(tmp_path, sonnets):
    path = tmp_path / "s.txt"
    path.write_text(sonnets, encoding="utf-8")
    return path


def _losses(folder) -> list[float]:
    rows = [json.loads(x) for x in (folder / "metrics.jsonl").read_text().splitlines()]
    return [r["val_loss"] for r in rows if "val_loss" in r and not r.get("swa")]


def test_char_rnn_trains_with_mixed_precision(corpus, tmp_path, tiny_rnn):
    from textkit.device import amp_dtype

    model = tiny_rnn(hidden=128)
    result = model.fit(corpus, tmp_path / "m", {**LOOP, "max_steps": 80})
    losses = _losses(tmp_path / "m")
    assert model.info["trained_on"].startswith("cuda")
    assert amp_dtype(torch.device("cuda")) in (torch.bfloat16, torch.float16)
    assert np.isfinite(losses).all() and losses[-1] < losses[0] - 0.3, losses
    assert result.units_per_s > 0


def test_the_fp16_fallback_with_loss_scaling_trains_too(corpus, tmp_path, tiny_rnn, monkeypatch):
    """Where cuDNN can't run RNNs in bf16 textkit uses fp16 and a GradScaler: force that path."""
    from textkit import device

    monkeypatch.setattr(device, "amp_dtype", lambda d: torch.float16 if d.type == "cuda" else None)
    assert device.grad_scaler(torch.device("cuda")).is_enabled()  # the scaler comes with fp16
    tiny_rnn(hidden=128).fit(corpus, tmp_path / "m", {**LOOP, "max_steps": 80})
    losses = _losses(tmp_path / "m")
    assert np.isfinite(losses).all() and losses[-1] < losses[0] - 0.3, losses


def test_a_gpu_run_resumes_on_the_gpu_and_samples_on_the_cpu(corpus, tmp_path, tiny_rnn):
    from textkit.charrnn import CharRNN

    straight = {**LOOP, "max_steps": 60, "schedule": "constant", "seed": 3}
    tiny_rnn().fit(corpus, tmp_path / "a", straight)
    tiny_rnn().fit(corpus, tmp_path / "b", {**straight, "max_steps": 40})
    CharRNN().resume(tmp_path / "b", corpus, {**straight, "max_steps": 60})
    a, b = _losses(tmp_path / "a"), _losses(tmp_path / "b")
    assert len(a) == len(b) == 3 and abs(a[-1] - b[-1]) < 0.05  # GPU kernels: close, not equal
    on_cpu = CharRNN.load(tmp_path / "b", device="cpu")
    assert next(on_cpu.net.parameters()).device.type == "cpu"
    sample = on_cpu.generate(200, seed=1)[0].text
    assert len(sample) == 200


@pytest.mark.parametrize("kind", ["intent", "author"])
def test_the_classifiers_train_on_cuda(kind, repo):
    from textkit.authorship import AuthorClassifier
    from textkit.intent import IntentClassifier

    cls, data = {
        "intent": (IntentClassifier, repo / "corpora" / "intents.json"),
        "author": (AuthorClassifier, repo / "corpora" / "presidents.csv"),
    }[kind]
    clf = cls(classifier="mlp")  # the torch head (sparse optimiser); svm trains on the CPU
    clf.fit(data, None, {"device": "cuda", "progress": False})
    assert clf.info["trained_on"].startswith("cuda")
    assert clf.info["validation"]["accuracy"] > 0.6


def test_word2vec_on_cuda_finds_the_neighbours_gensim_finds(lee_corpus):
    from textkit.embeddings import Word2Vec

    def overlap(a, b, words):
        return np.mean(
            [
                len({w for w, _ in a.most_similar(x, 10)} & {w for w, _ in b.most_similar(x, 10)})
                / 10
                for x in words
            ]
        )

    kw = dict(vector_size=50, min_count=3, epochs=10)
    g1, g2 = Word2Vec(backend="gensim", seed=1, **kw), Word2Vec(backend="gensim", seed=2, **kw)
    g1.fit(lee_corpus, train_config={"progress": False})
    g2.fit(lee_corpus, train_config={"progress": False})
    t = Word2Vec(backend="torch", seed=1, **kw)
    t.fit(lee_corpus, train_config={"progress": False, "device": "cuda"})
    assert t.info["training"]["device"].startswith("cuda")
    frequent = g1.words_.keys[20:120]
    assert overlap(g1, t, frequent) >= 0.8 * overlap(g1, g2, frequent)


def test_serve_on_cuda_answers_a_generation(corpus, tmp_path, tiny_rnn):
    import httpx

    tiny_rnn().fit(corpus, tmp_path / "poems", {**LOOP, "max_steps": 20})
    proc = subprocess.Popen(
        [sys.executable, "-m", "textkit", "serve", str(tmp_path / "poems"), "--device", "cuda",
         "--port", "0"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )  # fmt: skip
    try:
        url, deadline = None, time.monotonic() + 90
        while url is None and time.monotonic() < deadline:
            line = proc.stdout.readline()
            if "http://" in line:
                url = line[line.index("http://") :].split()[0].rstrip("/")
        assert url, "the server did not say where it listens"
        r = httpx.post(
            f"{url}/v1/generate",
            json={"prompt": "Shall I ", "max_tokens": 100, "seed": 1},
            timeout=60,
        )
        assert r.status_code == 200 and len(r.json()["text"]) > 0, r.text
    finally:
        proc.terminate()
        proc.wait(20)


def test_torchrun_over_nccl(corpus, tmp_path):
    """One process under torchrun still joins a process group (NCCL on CUDA): the distributed
    path (DDP, collectives) runs, not the single-process shortcut."""
    env = {**os.environ, "TEXTKIT_CACHE": str(tmp_path / "cache")}
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node=1",
        "-m",
        "textkit",
        "train-charrnn",
        str(corpus),
        "--preset",
        "tiny",
        "--max-steps",
        "30",
        "--eval-every",
        "10",
        "--device",
        "cuda",
        "--no-progress",
        "--models-dir",
        str(tmp_path / "models"),
        "--name",
        "m",
    ]
    done = subprocess.run(
        cmd, env={**env, "NCCL_DEBUG": "INFO"}, capture_output=True, text=True, timeout=240
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "NCCL" in done.stdout + done.stderr  # NCCL said it initialised
    assert len(_losses(tmp_path / "models" / "m")) == 3
