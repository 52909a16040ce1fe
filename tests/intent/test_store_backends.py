"""Every conversation store keeps the same promises (state round trip, expiry, namespaces, the
inbox's bound, retention and forgetting): memory, SQLite and a real Redis server.  Redis tests
start Debian's redis-server on a free port; without it (or the redis package) they skip and say
why, unless TEXTKIT_REQUIRE_REDIS is set (CI installs both)."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time

import pytest

from textkit.errors import TextkitError
from textkit.intent import store as store_module
from textkit.intent.store import UserState, open_store, redacted

# a store that falls back to memory warns: here that is a failure unless a test expects it
pytestmark = pytest.mark.filterwarnings("error::textkit.errors.TextkitWarning")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start_redis(folder) -> tuple[subprocess.Popen, str]:
    missing = (
        "redis-server is not installed (Debian: apt-get install redis-server)"
        if shutil.which("redis-server") is None
        else None
    )
    try:
        import redis  # noqa: F401
    except ImportError:
        missing = "the redis package is not installed (pip install 'textkit[redis]')"
    if missing:
        if os.environ.get("TEXTKIT_REQUIRE_REDIS"):
            pytest.fail(f"TEXTKIT_REQUIRE_REDIS is set but {missing}")
        pytest.skip(missing)
    port = _free_port()
    proc = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "no", "--dir", str(folder)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url, deadline = f"redis://127.0.0.1:{port}/0", time.monotonic() + 10
    while True:
        try:
            open_store(url).close()
            return proc, url
        except TextkitError:
            if time.monotonic() > deadline or proc.poll() is not None:
                proc.kill()
                pytest.fail("redis-server did not start")
            time.sleep(0.05)


@pytest.fixture(scope="module")
def redis_url(tmp_path_factory):
    proc, url = _start_redis(tmp_path_factory.mktemp("redis"))
    yield url
    proc.kill()
    proc.wait()


@pytest.fixture(params=["memory", "sqlite", "redis"])
def make_store(request, tmp_path):
    """A function making a store of this kind; stores made with one namespace share data."""
    if request.param == "memory":
        shared = {}

        def make(namespace="bot", ttl=3600.0, inbox_days=30.0):
            return shared.setdefault(namespace, open_store("memory", ttl, inbox_days=inbox_days))

        yield make
        return
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'store.db'}"
    else:
        url = request.getfixturevalue("redis_url")
        client = open_store(url).client
        client.flushdb()
    made = []

    def make(namespace="bot", ttl=3600.0, inbox_days=30.0):
        made.append(open_store(url, ttl, namespace=namespace, inbox_days=inbox_days))
        return made[-1]

    yield make
    for store in made:
        store.close()


def test_state_round_trips_and_is_shared_by_stores_opened_on_it(make_store):
    one, two = make_store(), make_store()
    state = UserState(context="ordering", slots={"city": "Zürich"}, pending="book", asked="time")
    state.add_turn("book a table in Zürich", "book", "At what time?")
    one.save("ann", state)
    seen = two.load("ann")
    assert (seen.context, seen.slots, seen.pending, seen.asked) == (
        "ordering", {"city": "Zürich"}, "book", "time"
    )  # fmt: skip
    assert [t["text"] for t in two.turns("ann")] == ["book a table in Zürich"]
    assert make_store("other").load("ann") == UserState()  # another bot's users are apart
    one.save("ann", UserState())  # nothing worth keeping: forgotten
    assert two.load("ann") == UserState()


def test_the_last_turns_are_kept_in_order_whoever_saves_them(make_store):
    one, two = make_store(), make_store()
    for i in range(25):  # two processes taking turns, one message each
        store = (one, two)[i % 2]
        state = store.load("ann")
        state.add_turn(f"message {i}", None, f"reply {i}")
        store.save("ann", state)
    assert [t["text"] for t in one.turns("ann")] == [f"message {i}" for i in range(5, 25)]
    assert two.turns("bob") == []


def test_a_user_is_forgotten_after_the_time_to_live(make_store):
    store = make_store(ttl=0.3)
    state = UserState(context="x")
    state.add_turn("old", None, "reply")
    store.save("ann", state)
    assert store.load("ann").context == "x"
    time.sleep(0.45)
    assert store.load("ann").context is None and store.turns("ann") == []
    state = store.load("ann")  # a new conversation: none of the old turns come back
    state.add_turn("new", None, "reply")
    store.save("ann", state)
    assert [t["text"] for t in store.turns("ann")] == ["new"]


def test_the_inbox_is_bounded_counted_kept_for_its_days_and_forgets_labelled(
    make_store, monkeypatch
):
    store = make_store(inbox_days=1)
    monkeypatch.setattr(store_module, "MAX_INBOX", 3)
    now = time.time()
    for i, word in enumerate(("a", "b", "c", "d", "e")):
        store.record({"text": word, "at": now + i})
    entries = store.inbox()
    assert [e["text"] for e in entries] == ["c", "d", "e"]  # the oldest dropped...
    assert store.dropped == 2  # ...and counted
    assert make_store("other").inbox() == []
    assert store.forget([entries[1]["id"]]) == 1
    assert [e["text"] for e in store.inbox()] == ["c", "e"]
    assert store.forget([entries[1]["id"]]) == 0  # already gone
    monkeypatch.setattr(time, "time", lambda: now + 2 * 86_400)  # two days later
    assert store.inbox() == []


def test_redis_password_is_never_shown_and_an_unreachable_server_is_one_error(tmp_path):
    pytest.importorskip("redis")
    assert redacted("redis://:s3cret@db.example:6380/2") == "redis://:***@db.example:6380/2"
    assert redacted("redis://bob:s3cret@db.example/0") == "redis://bob:***@db.example/0"
    assert redacted("redis://:p@ss@[broken/0") == "redis://:***@[broken/0"
    with pytest.raises(TextkitError, match="can't reach the conversation store") as err:
        open_store(f"redis://:s3cret@127.0.0.1:{_free_port()}/0")
    assert "s3cret" not in str(err.value)
    for url in ("redis://:s3cret@[broken/0", "redis://:s3cret@h:99999/0"):
        with pytest.raises(TextkitError, match="is not a Redis URL") as err:
            open_store(url)
        assert "s3cret" not in str(err.value)


def test_a_redis_server_that_goes_away_leaves_the_bot_answering(tmp_path):
    proc, url = _start_redis(tmp_path)
    try:
        store = open_store(url, namespace="bot")
        store.save("ann", UserState(context="before"))
    finally:
        proc.kill()
        proc.wait()
    with pytest.warns(UserWarning, match="can't be written or read"):
        store.save("ann", UserState(context="after"))  # in memory from now on
    assert store.load("ann").context == "after"
    store.record({"text": "zzq", "at": time.time()})
    assert [e["text"] for e in store._fallback.inbox()] == ["zzq"]
