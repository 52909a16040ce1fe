"""Where a chatbot keeps each user's conversation: context, slots, a pending question and the
last turns, with expiry.  One small interface (``load``, ``save``), two stores:

- ``MemoryStore``: one process's memory (an LRU with a time-to-live): fast, forgotten on restart.
- ``SQLiteStore``: a SQLite file in WAL mode: survives restarts, and several processes (server
  workers) share it safely (SQLite's own locking: one writer at a time, readers never blocked;
  a writer waits up to ``BUSY_MS`` for another).  A write that fails (read-only or full disk)
  is warned about once and the conversation goes on in memory: answering never stops.

``open_store("memory" | "sqlite:///path.db")`` makes one from a URL.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import asdict, dataclass, field
from pathlib import Path

from textkit.errors import TextkitError, TextkitWarning

MAX_SLOTS = 50  # per user: the most recent values are kept
MAX_SLOT_CHARS = 200  # a slot value (a whole answer to a question) is cut to this
MAX_TURNS = 20  # the last turns kept per user
MAX_TURN_CHARS = 500  # a turn's text and reply are cut to this
MAX_KEY_CHARS = 200  # longer user ids are stored by their hash
BUSY_MS = 5_000  # how long a SQLite writer waits for another before giving up
MAX_INBOX = 10_000  # unanswered messages kept per bot; the oldest go first (and are counted)
MAX_INBOX_CHARS = 1_000  # an unanswered message is cut to this
INBOX_DAYS = 30.0  # how long an unanswered message is kept (these are users' words)
SCHEMA = 1


@dataclass
class UserState:
    """What a chatbot remembers of one user."""

    context: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    pending: str | None = None  # an intent waiting for its required slots
    asked: str | None = None  # the slot last asked for
    turns: list[dict] = field(default_factory=list)  # {"text", "intent", "reply", "at"}
    seen: float = 0.0  # wall-clock time of the last message

    def remember(self, name: str, value: str) -> None:
        self.slots.pop(name, None)
        self.slots[name] = value[:MAX_SLOT_CHARS]
        while len(self.slots) > MAX_SLOTS:
            self.slots.pop(next(iter(self.slots)))

    def add_turn(self, text: str, intent: str | None, reply: str) -> None:
        self.turns.append(
            {"text": text[:MAX_TURN_CHARS], "intent": intent, "reply": reply[:MAX_TURN_CHARS],
             "at": round(time.time(), 3)}
        )  # fmt: skip
        del self.turns[:-MAX_TURNS]

    def worth_keeping(self) -> bool:
        return bool(self.context or self.slots or self.pending or self.turns)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str) -> UserState | None:
        """A stored state, or None when it is not one (a corrupt row is a new conversation)."""
        try:
            data = json.loads(text)
            state = cls(
                context=data.get("context"),
                slots={str(k): str(v) for k, v in dict(data.get("slots") or {}).items()},
                pending=data.get("pending"),
                asked=data.get("asked"),
                turns=[t for t in list(data.get("turns") or []) if isinstance(t, dict)],
                seen=float(data.get("seen") or 0.0),
            )
        except (ValueError, TypeError, AttributeError):
            return None
        for name in ("context", "pending", "asked"):
            if not isinstance(getattr(state, name), (str, type(None))):
                return None
        return state


def user_key(user_id: str) -> str:
    """The key a user is stored under: the id itself, or for a long one its hash (a 10 KB id
    costs 64 characters)."""
    if len(user_id) <= MAX_KEY_CHARS:
        return user_id
    return "sha256:" + hashlib.sha256(user_id.encode("utf-8", "surrogatepass")).hexdigest()


class MemoryStore:
    """Per-user state in this process: at most ``max_users``, each forgotten ``ttl`` seconds
    after its last message (the least recently active user goes first)."""

    url = "memory"

    def __init__(self, ttl: float = 3600.0, max_users: int = 10_000) -> None:
        self.ttl, self.max_users = ttl, max_users
        self._users: OrderedDict[str, UserState] = OrderedDict()
        self._lock = threading.Lock()
        self._inbox: list[dict] = []
        self.dropped = 0  # inbox entries dropped to stay within MAX_INBOX

    def load(self, user_id: str) -> UserState:
        key = user_key(user_id)
        with self._lock:
            state = self._users.get(key)
            if state is None or time.time() - state.seen > self.ttl:
                self._users.pop(key, None)
                return UserState()
            return state

    def save(self, user_id: str, state: UserState) -> None:
        key = user_key(user_id)
        with self._lock:
            self._users.pop(key, None)
            now = time.time()
            if state.worth_keeping():
                state.seen = now
                self._users[key] = state
            while self._users and (
                len(self._users) > self.max_users
                or now - next(iter(self._users.values())).seen > self.ttl
            ):
                self._users.popitem(last=False)

    def __len__(self) -> int:
        return len(self._users)

    def record(self, entry: dict) -> None:
        """Keep an unanswered message (see ``inbox_entry``), within MAX_INBOX."""
        with self._lock:
            self._inbox.append(entry)
            if len(self._inbox) > MAX_INBOX:
                self.dropped += len(self._inbox) - MAX_INBOX
                del self._inbox[:-MAX_INBOX]

    def inbox(self) -> list[dict]:
        with self._lock:
            return list(self._inbox)

    def close(self) -> None:
        pass


class SQLiteStore:
    """Per-user state in a SQLite file (WAL), shared by every process that opens it."""

    def __init__(
        self,
        path: str | Path,
        ttl: float = 3600.0,
        max_users: int = 100_000,
        namespace: str = "",
        inbox_days: float = INBOX_DAYS,
    ) -> None:
        self.path = Path(path)
        self.inbox_days = inbox_days
        self.namespace = namespace  # one file serves several bots: a model's users apart
        self.url = f"sqlite:///{self.path}"
        self.ttl, self.max_users = ttl, max_users
        self._local = threading.local()
        self._fallback = MemoryStore(ttl, max_users)  # where writes go when the disk refuses
        self._warned = False
        self._writes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS users (key TEXT PRIMARY KEY, state TEXT NOT NULL,"
                    " seen REAL NOT NULL)"
                )
                db.execute("CREATE INDEX IF NOT EXISTS users_seen ON users (seen)")
                db.execute(
                    "CREATE TABLE IF NOT EXISTS inbox (id INTEGER PRIMARY KEY, namespace TEXT "
                    "NOT NULL, at REAL NOT NULL, entry TEXT NOT NULL)"
                )
                db.execute(
                    "CREATE TABLE IF NOT EXISTS dropped (namespace TEXT PRIMARY KEY, n INTEGER)"
                )
                db.execute(f"PRAGMA user_version = {SCHEMA}")
        except (sqlite3.Error, OSError) as exc:
            raise TextkitError(f"can't open the conversation store {self.path}: {exc}") from None

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared across threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            self._local.db = db
        return db

    def _key(self, user_id: str) -> str:
        return f"{self.namespace}\x1f{user_key(user_id)}" if self.namespace else user_key(user_id)

    def load(self, user_id: str) -> UserState:
        key = self._key(user_id)
        memory = self._fallback.load(user_id)
        if memory.worth_keeping():
            return memory
        try:
            row = (
                self._db().execute("SELECT state, seen FROM users WHERE key = ?", (key,)).fetchone()
            )
        except sqlite3.Error as exc:
            self._warn(exc)
            return UserState()
        if row is None or time.time() - row[1] > self.ttl:
            return UserState()
        return UserState.from_json(row[0]) or UserState()

    def save(self, user_id: str, state: UserState) -> None:
        key = self._key(user_id)
        now = time.time()
        try:
            db = self._db()
            if state.worth_keeping():
                state.seen = now
                db.execute(
                    "INSERT INTO users (key, state, seen) VALUES (?, ?, ?) ON CONFLICT(key) DO "
                    "UPDATE SET state = excluded.state, seen = excluded.seen",
                    (key, state.to_json(), now),
                )
            else:
                db.execute("DELETE FROM users WHERE key = ?", (key,))
            self._writes += 1
            if self._writes % 100 == 1:
                self._expire(db, now)
        except sqlite3.Error as exc:
            self._warn(exc)
            self._fallback.save(user_id, state)

    def _expire(self, db: sqlite3.Connection, now: float) -> None:
        """Forget users past their time to live, and the least recent beyond ``max_users``."""
        db.execute("DELETE FROM users WHERE seen < ?", (now - self.ttl,))
        db.execute(
            "DELETE FROM users WHERE key IN (SELECT key FROM users ORDER BY seen DESC "
            "LIMIT -1 OFFSET ?)",
            (self.max_users,),
        )

    def _warn(self, exc: Exception) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"the conversation store {self.path} can't be written ({exc}); conversations "
                "go on in this process's memory",
                TextkitWarning,
                stacklevel=3,
            )

    def __len__(self) -> int:
        return self._db().execute("SELECT count(*) FROM users").fetchone()[0]

    def record(self, entry: dict) -> None:
        """Keep an unanswered message, within MAX_INBOX per namespace (the oldest dropped and
        counted)."""
        try:
            db = self._db()
            db.execute("BEGIN IMMEDIATE")
            try:
                now = time.time()
                db.execute(
                    "DELETE FROM inbox WHERE namespace = ? AND at < ?",
                    (self.namespace, now - self.inbox_days * 86_400),
                )
                db.execute(
                    "INSERT INTO inbox (namespace, at, entry) VALUES (?, ?, ?)",
                    (self.namespace, now, json.dumps(entry, ensure_ascii=False)),
                )
                over = (
                    db.execute(
                        "SELECT count(*) FROM inbox WHERE namespace = ?", (self.namespace,)
                    ).fetchone()[0]
                    - MAX_INBOX
                )
                if over > 0:
                    db.execute(
                        "DELETE FROM inbox WHERE id IN (SELECT id FROM inbox WHERE namespace = ? "
                        "ORDER BY id LIMIT ?)",
                        (self.namespace, over),
                    )
                    db.execute(
                        "INSERT INTO dropped (namespace, n) VALUES (?, ?) ON CONFLICT(namespace) "
                        "DO UPDATE SET n = n + excluded.n",
                        (self.namespace, over),
                    )
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise
        except sqlite3.Error as exc:
            self._warn(exc)
            self._fallback.record(entry)

    def inbox(self) -> list[dict]:
        since = time.time() - self.inbox_days * 86_400
        rows = (
            self._db()
            .execute(
                "SELECT entry FROM inbox WHERE namespace = ? AND at >= ? ORDER BY id",
                (self.namespace, since),
            )
            .fetchall()
        )
        out = []
        for (text,) in rows:
            try:
                entry = json.loads(text)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                out.append(entry)
        return out + self._fallback.inbox()

    @property
    def dropped(self) -> int:
        row = (
            self._db()
            .execute("SELECT n FROM dropped WHERE namespace = ?", (self.namespace,))
            .fetchone()
        )
        return (row[0] if row else 0) + self._fallback.dropped

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


def open_store(
    url: str,
    ttl: float = 3600.0,
    max_users: int = 10_000,
    namespace: str = "",
    inbox_days: float = INBOX_DAYS,
):
    """A store from its URL: ``memory`` or ``sqlite:///path/to.db`` (``redis://`` needs the
    redis extra, not built yet).  A URL that doesn't parse is one clear error."""
    if url == "memory":
        return MemoryStore(ttl, max_users)
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SQLiteStore(url[len("sqlite:///") :], ttl, max(max_users, 1), namespace, inbox_days)
    raise TextkitError(
        f"unknown conversation store {url!r}: use memory or sqlite:///path/to/file.db"
    )
