"""Class 9: files keep the user's permissions: new ones follow the umask, overwritten ones keep
their mode (mkstemp alone would make every file 0600)."""

import os
import stat

import pytest

from textkit.atomic import atomic_write_bytes


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


@pytest.fixture
def umask():
    old = os.umask(0o022)
    yield lambda mask: os.umask(mask)
    os.umask(old)


def test_new_files_follow_the_umask_and_old_ones_keep_their_mode(tmp_path, umask):
    atomic_write_bytes(tmp_path / "new", b"x")
    assert _mode(tmp_path / "new") == 0o644
    umask(0o077)
    atomic_write_bytes(tmp_path / "private", b"x")
    assert _mode(tmp_path / "private") == 0o600
    umask(0o022)
    shared = tmp_path / "shared"
    shared.write_bytes(b"old")
    os.chmod(shared, 0o664)
    atomic_write_bytes(shared, b"new")
    assert _mode(shared) == 0o664 and shared.read_bytes() == b"new"
    secret = tmp_path / "secret"
    secret.write_bytes(b"old")
    os.chmod(secret, 0o600)
    atomic_write_bytes(secret, b"new")
    assert _mode(secret) == 0o600


def test_a_trained_model_folder_is_readable_by_a_web_server(
    tmp_path, umask, sonnets, tiny_rnn, tiny_config, run
):
    corpus = tmp_path / "s.txt"
    corpus.write_text(sonnets[:20_000])
    tiny_rnn().fit(corpus, tmp_path / "m", tiny_config(max_steps=4, eval_every=2))
    modes = {p.name: _mode(p) for p in (tmp_path / "m").iterdir()}
    assert set(modes.values()) == {0o644}, modes
    assert _mode(tmp_path / "m") == 0o755
    out = tmp_path / "out.txt"
    out.write_text("old")
    os.chmod(out, 0o644)
    assert run("generate", "--model", tmp_path / "m", "-n", "10", "-o", out).exit_code == 0
    assert _mode(out) == 0o644
