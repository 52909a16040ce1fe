"""The conversation store: a user's context and slots survive a restart and are shared by
processes through one SQLite file; a kill -9 mid-write leaves it consistent; a store that
refuses writes leaves the bot answering; hostile user ids are bounded."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from textkit.errors import TextkitError
from textkit.intent import IntentClassifier
from textkit.intent.chatbot import Chatbot
from textkit.intent.store import MAX_KEY_CHARS, MAX_TURNS, SQLiteStore, UserState, open_store


@pytest.fixture(scope="module")
def classifier(entity_bot_module):
    return IntentClassifier.load(entity_bot_module)


@pytest.fixture(scope="module")
def entity_bot_module(tmp_path_factory):
    import warnings

    from _support.entity_bot import BOT

    root = tmp_path_factory.mktemp("store-bot")
    (root / "intents.json").write_text(json.dumps(BOT, ensure_ascii=False), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        IntentClassifier().fit(root / "intents.json", root / "bot", {"progress": False})
    return root / "bot"


def test_context_slots_and_turns_survive_a_restart(classifier, tmp_path):
    url = f"sqlite:///{tmp_path / 'conversations.db'}"
    first = Chatbot(classifier, seed=0, store=url)
    first.reply("weather in Vienna", "ann")
    first.store.close()
    again = Chatbot(classifier, seed=0, store=url)  # a new process would do the same
    assert again.slots("ann") == {"city": "Vienna"}
    assert again.reply("what's the weather", "ann").text == "Here is the weather for Vienna."
    assert [t["text"] for t in again.turns("ann")] == ["weather in Vienna", "what's the weather"]
    assert again.slots("bob") == {}


WORKER = """
import sys
from textkit.intent import IntentClassifier
from textkit.intent.chatbot import Chatbot
bot = Chatbot(IntentClassifier.load(sys.argv[1]), seed=0, store=sys.argv[2])
print(bot.reply(sys.argv[3], sys.argv[4]).text)
"""


def test_two_processes_share_one_store(entity_bot_module, classifier, tmp_path):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    here = Chatbot(classifier, seed=0, store=url)
    here.reply("weather in Oslo", "carl")  # this process sets the slot...
    done = subprocess.run(  # ...another answers with it
        [sys.executable, "-c", WORKER, str(entity_bot_module), url, "what's the weather", "carl"],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "Here is the weather for Oslo."
    assert len(here.turns("carl")) == 2  # and this one sees the other's turn


WRITER = """
import sys
from textkit.intent.store import SQLiteStore, UserState
store = SQLiteStore(sys.argv[1])
i = 0
print("ready", flush=True)
while True:
    user = f"user{i % 50}"
    state = store.load(user)
    state.remember("owner", user)
    state.add_turn("x" * 400, "i", user * 20)
    store.save(user, state)
    i += 1
"""


def test_kill_9_while_writing_leaves_the_store_consistent(tmp_path):
    path = tmp_path / "killed.db"
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout.readline().strip() == "ready"
    time.sleep(1.5)  # hundreds of writes a second
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    rows = db.execute("SELECT key, state, turns FROM users").fetchall()
    assert len(rows) == 50
    for key, state, turns in rows:  # every conversation is its own: never mixed with another
        parsed = UserState.from_json(state)
        assert parsed is not None and parsed.slots == {"owner": key}
        kept = json.loads(turns)
        assert 0 < len(kept) <= MAX_TURNS and {t["reply"] for t in kept} == {key * 20}


def test_a_store_that_refuses_writes_leaves_the_bot_answering(classifier, tmp_path):
    url = f"sqlite:///{tmp_path / 'ro.db'}"
    bot = Chatbot(classifier, seed=0, store=url)
    bot.store._db().execute("PRAGMA query_only = ON")  # SQLite itself refuses every write
    with pytest.warns(UserWarning, match="can't be written"):
        first = bot.reply("weather in Rome", "dan")
    assert first.text == "Here is the weather for Rome."
    assert bot.reply("what's the weather", "dan").text == "Here is the weather for Rome."


def test_hostile_user_ids_are_bounded(classifier, tmp_path):
    store = SQLiteStore(tmp_path / "ids.db")
    bot = Chatbot(classifier, seed=0, store=store)
    long_a, long_b = "a" * 10_000, "a" * 9_999 + "b"
    bot.reply("weather in Rome", long_a)
    bot.reply("weather in Lima", long_b)
    bot.reply("weather in Kyiv", "\x00\x1b[31m\n")
    assert bot.slots(long_a) == {"city": "Rome"} and bot.slots(long_b) == {"city": "Lima"}
    assert bot.slots("\x00\x1b[31m\n") == {"city": "Kyiv"}
    keys = [k for (k,) in store._db().execute("SELECT key FROM users")]
    assert max(map(len, keys)) <= MAX_KEY_CHARS


@pytest.mark.parametrize("url", ["sqlite://", "sqlite:///", "redis//x", "mysql://h/db", ""])
def test_a_store_url_that_does_not_parse_is_one_error(url):
    with pytest.raises(TextkitError, match="unknown conversation store"):
        open_store(url)


def test_a_store_that_cannot_be_opened_is_one_error(tmp_path):
    (tmp_path / "file").write_text("x")
    with pytest.raises(TextkitError, match="can't open the conversation store"):
        open_store(f"sqlite:///{tmp_path / 'file' / 'db.sqlite'}")


def test_a_served_bot_keeps_conversations_across_a_restart(
    entity_bot_module, tmp_path, start_server
):
    from textkit.serve import Conversations, Registry

    url = f"sqlite:///{tmp_path / 'served.db'}"
    for attempt in range(2):  # the second server is a restart on the same store
        registry = Registry(Conversations(url))
        registry.load([entity_bot_module], device="cpu")
        server = start_server(registry)
        message = "weather in Quito" if attempt == 0 else "what's the weather"
        body = server.post("/v1/chat", json={"sender": "eve", "message": message}).json()
        assert body["reply"] == "Here is the weather for Quito.", body
        assert body["slots"] == {"city": "Quito"}
        server.stop()
    keys = [k for (k,) in sqlite3.connect(tmp_path / "served.db").execute("SELECT key FROM users")]
    assert keys == ["bot\x1feve"]  # one namespace per served model


def test_serve_refuses_a_bad_store_before_listening(entity_bot_module, run):
    r = run("serve", entity_bot_module, "--store", "mysql://db", "--port", "0")
    assert r.exit_code == 1 and "unknown conversation store 'mysql://db'" in r.stderr


def test_chat_continues_a_conversation_from_its_store(entity_bot_module, run, tmp_path):
    url = f"sqlite:///{tmp_path / 'chat.db'}"
    assert run("chat", entity_bot_module, "--store", url, input="weather in Riga\n").exit_code == 0
    r = run("chat", entity_bot_module, "--store", url, input="what's the weather\n")
    assert r.exit_code == 0 and "Here is the weather for Riga." in r.stdout
    r = run("chat", entity_bot_module, "--store", "sqlite://nope", input="hi\n")
    assert r.exit_code == 1 and "unknown conversation store" in r.stderr


def test_the_inbox_keeps_what_the_bot_could_not_answer(classifier, tmp_path, monkeypatch):
    from textkit.intent import store as store_module

    store = SQLiteStore(tmp_path / "inbox.db", namespace="bot")
    bot = Chatbot(classifier, seed=0, store=store)
    bot.reply("weather in Vienna", "ann")  # answered: not kept
    bot.reply("do you sell gift cards", "ann")
    bot.reply("do you sell gift vouchers", "bob")
    bot.reply("", "bob")  # empty: nothing to learn from
    entries = store.inbox()
    assert [e["text"] for e in entries] == ["do you sell gift cards", "do you sell gift vouchers"]
    assert all("ann" not in json.dumps(e) and "bob" not in json.dumps(e) for e in entries)
    assert entries[0]["ranking"] and entries[0]["reason"]
    quiet = Chatbot(classifier, seed=0, store=SQLiteStore(tmp_path / "q.db"), inbox=False)
    quiet.reply("do you sell gift cards", "ann")
    assert quiet.store.inbox() == []
    monkeypatch.setattr(store_module, "MAX_INBOX", 3)  # the bound: the oldest dropped, counted
    for word in ("zzqa", "zzqb", "zzqc", "zzqd"):
        bot.reply(word, "carl")
    assert [e["text"] for e in store.inbox()] == ["zzqb", "zzqc", "zzqd"]
    assert store.dropped == 3


def test_textkit_inbox_lists_the_unanswered_grouped(entity_bot_module, run, tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(entity_bot_module, models / "bot")
    from textkit.intent.store import open_store

    url = f"sqlite:///{models / '.serving' / 'conversations.db'}"
    bot = Chatbot(
        IntentClassifier.load(models / "bot"), seed=0, store=open_store(url, namespace="bot")
    )
    for text in (
        "do you sell gift cards",
        "do you sell gift card",
        "zzqx",
        "you sell gift cards",
    ):
        bot.reply(text, "ann")
    r = run("inbox", "bot", "--models-dir", models)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0] == "4 unanswered message(s)"
    assert lines[2].startswith("3x  do you sell gift cards   [")  # the near-duplicates first
    assert "1x  zzqx" in r.stdout
    assert run("inbox", "bot", "--models-dir", models, "--json").stdout.count("\n") == 4


def test_the_inbox_forgets_after_its_retention(classifier, tmp_path, monkeypatch):
    store = SQLiteStore(tmp_path / "retention.db", namespace="bot", inbox_days=1)
    bot = Chatbot(classifier, seed=0, store=store)
    bot.reply("zzqa", "ann")
    now = time.time()
    monkeypatch.setattr(time, "time", lambda: now + 2 * 86_400)  # two days later
    assert store.inbox() == []
    bot.reply("zzqb", "ann")
    assert [e["text"] for e in store.inbox()] == ["zzqb"]
    assert (
        sqlite3.connect(tmp_path / "retention.db")
        .execute("SELECT count(*) FROM inbox")
        .fetchone()[0]
        == 1
    )


def test_serve_workers_share_the_port_the_conversations_and_the_log(entity_bot_module, tmp_path):
    import httpx

    db, log = tmp_path / "workers.db", tmp_path / "logs" / "conversations.jsonl"
    proc = subprocess.Popen(
        [sys.executable, "-m", "textkit", "serve", str(entity_bot_module), "--workers", "2",
         "--store", f"sqlite:///{db}", "--port", "0", "--log-conversations", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True,
    )  # fmt: skip
    try:
        port = int(proc.stderr.readline().split("127.0.0.1:")[1].split("/")[0])
        url, pids, deadline = f"http://127.0.0.1:{port}", set(), time.monotonic() + 60
        while len(pids) < 2 and time.monotonic() < deadline:  # each request a new connection
            try:
                health = httpx.get(url + "/health", timeout=5)
            except httpx.TransportError:
                continue
            if health.status_code == 200:
                pids.add(health.json()["pid"])
        assert len(pids) == 2, pids  # two processes answer on one port
        chat = {"sender": "ann", "message": "weather in Quito"}
        assert httpx.post(url + "/v1/chat", json=chat, timeout=30).json()["slots"] == {
            "city": "Quito"
        }
        for _ in range(6):  # whichever worker answers, the conversation goes on
            chat["message"] = "what's the weather"
            body = httpx.post(url + "/v1/chat", json=chat, timeout=30).json()
            assert body["reply"] == "Here is the weather for Quito.", body
    finally:
        proc.send_signal(signal.SIGTERM)  # the main process only: it stops its workers
        proc.wait(timeout=30)
    # the transcript: one whole line per reply from both workers; the request log: no text
    lines = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [x["text"] for x in lines] == ["weather in Quito"] + ["what's the weather"] * 6
    assert {x["user"] for x in lines} == {"ann"} and lines[-1]["intent"] == "weather"
    assert oct(log.stat().st_mode & 0o777) == "0o600"
    assert "Quito" not in proc.stderr.read() and "Quito" not in proc.stdout.read()
    time.sleep(0.5)
    for pid in pids - {proc.pid}:  # the worker is gone too (or a zombie nobody reaps)
        stat = Path(f"/proc/{pid}/stat")
        assert not stat.exists() or stat.read_text().rsplit(")", 1)[1].split()[0] == "Z"


def test_inbox_round_trip_unanswered_labelled_retrained_answered(
    entity_bot_module, run, tmp_path, monkeypatch
):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(entity_bot_module, models / "bot")
    store = open_store(f"sqlite:///{models / '.serving' / 'conversations.db'}", namespace="bot")
    bot = Chatbot(IntentClassifier.load(models / "bot"), seed=0, store=store)
    for text in ("do you sell gift cards", "do you sell gift card", "zzqx"):
        assert bot.reply(text, "ann").fallback
    monkeypatch.chdir(tmp_path)
    # the larger group first: a new intent with a response; then zzqx: out of scope
    answers = "gift_cards\ny\nYes, we sell gift cards.\no\n"
    r = run("inbox", "bot", "--models-dir", models, "--label", input=answers)
    assert r.exit_code == 0, r.output
    intents = {
        it["tag"]: it for it in json.loads((tmp_path / "bot-labelled.json").read_text())["intents"]
    }
    assert intents["gift_cards"] == {
        "tag": "gift_cards",
        "patterns": ["do you sell gift cards", "do you sell gift card"],
        "responses": ["Yes, we sell gift cards."],
    }
    assert intents["oos"]["patterns"] == ["zzqx"]
    assert intents["weather"]["patterns"][0] == "weather in [Paris](city)"  # annotations kept
    assert store.inbox() == []  # labelled: they left the inbox
    r = run("train-intent", tmp_path / "bot-labelled.json", "--name", "bot", "--models-dir", models)
    assert r.exit_code == 0, r.output
    reply = Chatbot(IntentClassifier.load(models / "bot-2"), seed=0).reply("do you sell gift cards")
    assert (reply.intent, reply.text) == ("gift_cards", "Yes, we sell gift cards.")
    # and evaluate compares the two versions on one test set
    test = tmp_path / "test.csv"
    test.write_text("text,intent\ndo you sell gift cards,gift_cards\nhello,greet\n")
    r = run("evaluate", "bot-2", test, "--models-dir", models, "--against", "bot")
    assert r.exit_code == 0, r.output
    assert "bot-2 fixed 1 text(s) and broke 0" in r.stdout
    saved = json.loads((models / "bot-2" / "evaluation" / "comparison.json").read_text())
    assert saved["metrics"]["accuracy"] == [0.5, 1.0]  # the old bot can't know gift_cards
    assert saved["fixed"][0]["text"] == "do you sell gift cards"


def test_inbox_label_skips_stops_and_refuses_before_asking(entity_bot_module, run, tmp_path):
    import shutil

    models = tmp_path / "models"
    shutil.copytree(entity_bot_module, models / "bot")
    store = open_store(f"sqlite:///{models / '.serving' / 'conversations.db'}", namespace="bot")
    bot = Chatbot(IntentClassifier.load(models / "bot"), seed=0, store=store)
    for text in ("zzqa", "do you sell gift cards"):
        bot.reply(text, "ann")
    out = tmp_path / "copy.json"
    r = run("inbox", "bot", "--models-dir", models, "--label", "-o", out, input="s\nq\n")
    assert r.exit_code == 0 and "nothing labelled" in r.stderr and not out.exists()
    assert len(store.inbox()) == 2  # skipped ones stay
    r = run("inbox", "bot", "--models-dir", models, "--label", "-o", out, input="o\n")  # Ctrl-D
    assert r.exit_code == 0 and "stopped" in r.stderr and out.exists()
    assert [e["text"] for e in store.inbox()] == ["do you sell gift cards"]
    r = run("inbox", "bot", "--models-dir", models, "--label", "-o", out, input="o\n")
    assert r.exit_code == 1 and "exists" in r.stderr and "intent [s]" not in r.stdout
    r = run("inbox", "bot", "--models-dir", models, "--label", "--json")
    assert r.exit_code == 2
    r = run("inbox", "bot", "--models-dir", models, "--store", "memory")
    assert r.exit_code == 2 and "served with" in r.stderr


def test_the_conversation_log_is_valid_json_for_any_text_and_never_stops_answering(
    classifier, tmp_path, run, entity_bot_module
):
    from textkit.intent.transcript import Transcript

    log = Transcript(tmp_path / "log.jsonl")
    bot = Chatbot(classifier, seed=0, transcript=log)
    bot.reply("weather in Oslo \udc80", "x" * 10_000)  # a lone surrogate, a 10 KB user id
    (line,) = (tmp_path / "log.jsonl").read_text(encoding="utf-8").splitlines()
    entry = json.loads(line)
    assert entry["text"] == "weather in Oslo \udc80" and entry["user"].startswith("sha256:")
    os.close(log._fd)  # the file can no longer be written: warned once, answers go on
    with pytest.warns(UserWarning, match="can't be written"):
        assert bot.reply("weather in Oslo", "ann").intent == "weather"
    (tmp_path / "a-file").write_text("")
    r = run("chat", entity_bot_module, "--log-conversations", tmp_path / "a-file" / "log")
    assert r.exit_code == 1 and "can't write the conversation log" in r.stderr
    assert run("chat", entity_bot_module, "--log-conversations", tmp_path).exit_code == 2


def test_the_stored_json_has_every_field_of_a_user_state():
    from dataclasses import fields

    state = UserState(context="c", slots={"a": "b"}, pending="p", asked="q", seen=1.5)
    state.add_turn("t", "i", "r")
    kept = {f.name for f in fields(UserState)} - {"new_turns"}  # new_turns: not stored yet
    assert set(json.loads(state.to_json())) == kept
    assert UserState.from_json(state.to_json()) == state


def test_a_schema_1_file_keeps_its_conversations(tmp_path):
    path = tmp_path / "old.db"
    old = sqlite3.connect(path)  # as the first version wrote it: the turns inside the state
    old.execute(
        "CREATE TABLE users (key TEXT PRIMARY KEY, state TEXT NOT NULL, seen REAL NOT NULL)"
    )
    state = UserState(context="c", slots={"city": "Oslo"})
    state.add_turn("weather in Oslo", "weather", "Here is the weather for Oslo.")
    old.execute("INSERT INTO users VALUES (?, ?, ?)", ("ann", state.to_json(), time.time()))
    old.commit()
    old.close()
    store = SQLiteStore(path)
    assert store.load("ann").slots == {"city": "Oslo"}
    assert [t["text"] for t in store.turns("ann")] == ["weather in Oslo"]
