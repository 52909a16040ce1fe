"""Where a chatbot keeps each user's conversation: context, slots, a pending question and the
last turns, with expiry.  One small interface (``load``, ``save``, ``turns``), three stores:

- ``MemoryStore``: one process's memory (an LRU with a time-to-live): fast, forgotten on restart.
- ``SQLiteStore``: a SQLite file in WAL mode: survives restarts, and several processes (server
  workers) share it safely (SQLite's own locking: one writer at a time, readers never blocked;
  a writer waits up to ``BUSY_MS`` for another).  A write that fails (read-only or full disk)
  is warned about once and the conversation goes on in memory: answering never stops.
- ``RedisStore``: a Redis server (the ``redis`` extra): shared by workers on several machines;
  Redis expires users itself.  A server that stops answering is handled like a full disk.

Each also keeps the fallback inbox: what the bot couldn't answer, at most ``MAX_INBOX`` per
bot (the oldest dropped and counted), ``inbox_days`` long; ``forget`` removes labelled ones.
``open_store("memory" | "sqlite:///path.db" | "redis://host:port/db")`` makes one from a URL.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
import warnings
from collections import OrderedDict
from dataclasses import dataclass, field
from itertools import count
from pathlib import Path

from textkit.errors import TextkitError, TextkitWarning

TTL_S = 3600.0  # a user is forgotten this long after their last message
MAX_USERS = 10_000  # users kept per store; the least recently active go first
MAX_SLOTS = 50  # per user: the most recent values are kept
MAX_SLOT_CHARS = 200  # a slot value (a whole answer to a question) is cut to this
MAX_TURNS = 20  # the last turns kept per user
MAX_TURN_CHARS = 500  # a turn's text and reply are cut to this
MAX_KEY_CHARS = 200  # longer user ids are stored by their hash
BUSY_MS = 5_000  # how long a SQLite writer waits for another before giving up
MAX_INBOX = 10_000  # unanswered messages kept per bot; the oldest go first (and are counted)
MAX_INBOX_CHARS = 1_000  # an unanswered message is cut to this
INBOX_DAYS = 30.0  # how long an unanswered message is kept (these are users' words)
SCHEMA = 2  # 2: the turns in their own column, appended by SQLite itself


@dataclass
class UserState:
    """What a chatbot remembers of one user."""

    context: str | None = None
    slots: dict[str, str] = field(default_factory=dict)
    pending: str | None = None  # an intent waiting for its required slots
    asked: str | None = None  # the slot last asked for
    turns: list[dict] = field(default_factory=list)  # {"text", "intent", "reply", "at"}
    seen: float = 0.0  # wall-clock time of the last message
    # turns at the end of ``turns`` not stored yet: a shared store loads a state without its
    # turns (a reply never reads them) and appends only these, so a save costs the same
    # whether a user has 1 turn or 20 (``turns()`` reads them)
    new_turns: int = field(default=0, compare=False, repr=False)

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
        self.new_turns = min(self.new_turns + 1, MAX_TURNS)

    def worth_keeping(self) -> bool:
        return bool(self.context or self.slots or self.pending or self.turns)

    def to_json(self, turns: bool = True) -> str:
        """The state as JSON (without the turns for the stores that keep them apart).  The
        fields by hand: dataclasses.asdict deep-copies every turn (4/5 of a save's time)."""
        data = {"context": self.context, "slots": self.slots, "pending": self.pending,
                "asked": self.asked, "seen": self.seen}  # fmt: skip
        if turns:
            data["turns"] = self.turns
        return json.dumps(data, ensure_ascii=False)

    def unsaved_turns(self) -> list[str]:
        """The turns not stored yet, each as JSON."""
        new = self.turns[len(self.turns) - self.new_turns :] if self.new_turns else []
        return [json.dumps(t, ensure_ascii=False) for t in new]

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
                turns=valid_turns(data.get("turns")),
                seen=float(data.get("seen") or 0.0),
            )
        except (ValueError, TypeError, AttributeError):
            return None
        for name in ("context", "pending", "asked"):
            if not isinstance(getattr(state, name), (str, type(None))):
                return None
        return state


def valid_turns(data) -> list[dict]:
    """Stored turns as a list of dicts (anything else in a damaged row is left out)."""
    return [t for t in data if isinstance(t, dict)] if isinstance(data, list) else []


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

    def __init__(
        self, ttl: float = TTL_S, max_users: int = MAX_USERS, inbox_days: float = INBOX_DAYS
    ) -> None:
        self.ttl, self.max_users, self.inbox_days = ttl, max_users, inbox_days
        self._users: OrderedDict[str, UserState] = OrderedDict()
        self._lock = threading.Lock()
        self._inbox: list[dict] = []
        self._ids = count(1)
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
                state.seen, state.new_turns = now, 0
                self._users[key] = state
            while self._users and (
                len(self._users) > self.max_users
                or now - next(iter(self._users.values())).seen > self.ttl
            ):
                self._users.popitem(last=False)

    def turns(self, user_id: str) -> list[dict]:
        return list(self.load(user_id).turns)

    def __len__(self) -> int:
        return len(self._users)

    def record(self, entry: dict) -> None:
        """Keep an unanswered message (``Chatbot._inbox_entry``), within MAX_INBOX."""
        with self._lock:
            self._inbox.append({**entry, "id": f"m{next(self._ids)}"})
            if len(self._inbox) > MAX_INBOX:
                self.dropped += len(self._inbox) - MAX_INBOX
                del self._inbox[:-MAX_INBOX]

    def inbox(self) -> list[dict]:
        """The unanswered messages of the last ``inbox_days``, oldest first, each with the
        ``id`` that ``forget`` takes."""
        since = time.time() - self.inbox_days * 86_400
        with self._lock:
            self._inbox = [e for e in self._inbox if e.get("at", since) >= since]
            return list(self._inbox)

    def forget(self, ids) -> int:
        """Remove these inbox entries (labelled ones); how many were found."""
        ids = set(ids)
        with self._lock:
            kept = [e for e in self._inbox if e["id"] not in ids]
            gone, self._inbox = len(self._inbox) - len(kept), kept
        return gone

    def close(self) -> None:
        pass


class _SharedStore:
    """What the stores outside this process have in common: state as JSON under a key
    (namespaced: one store serves several bots), and a backend that fails (full disk, server
    gone) warned about once while the conversation goes on in this process's memory."""

    ERRORS: tuple[type[BaseException], ...] = ()
    describe = ""  # names the store in messages

    def __init__(
        self,
        where: str | Path,
        ttl: float = TTL_S,
        max_users: int = MAX_USERS,
        namespace: str = "",
        inbox_days: float = INBOX_DAYS,
    ) -> None:
        """``where``: the SQLite file, or the Redis URL (``_open``)."""
        self.ttl, self.max_users = ttl, max_users
        self.namespace, self.inbox_days = namespace, inbox_days
        self._fallback = MemoryStore(ttl, max_users, inbox_days)  # when the backend refuses
        self._warned = False
        self._open(where)

    def _key(self, user_id: str) -> str:
        return f"{self.namespace}\x1f{user_key(user_id)}" if self.namespace else user_key(user_id)

    def _warn(self, exc: BaseException) -> None:
        if not self._warned:
            self._warned = True
            warnings.warn(
                f"the conversation store {self.describe} can't be written or read ({exc}); "
                "conversations go on in this process's memory",
                TextkitWarning,
                stacklevel=4,
            )

    def load(self, user_id: str) -> UserState:
        memory = self._fallback.load(user_id)
        if memory.worth_keeping():
            return memory
        try:
            text = self._read(self._key(user_id))
        except self.ERRORS as exc:
            self._warn(exc)
            return UserState()
        state = (UserState.from_json(text) if text is not None else None) or UserState()
        state.turns = []  # read by turns(); a reply doesn't need them
        return state

    def save(self, user_id: str, state: UserState) -> None:
        now = time.time()
        keep = state.worth_keeping()
        if keep:
            state.seen = now
        text = state.to_json(turns=False) if keep else None
        try:
            self._write(self._key(user_id), text, state.unsaved_turns(), now)
        except self.ERRORS as exc:
            self._warn(exc)
            self._fallback.save(user_id, state)
        else:
            state.new_turns = 0

    def turns(self, user_id: str) -> list[dict]:
        """The user's last turns, oldest first."""
        memory = self._fallback.load(user_id)
        if memory.worth_keeping():
            return list(memory.turns)
        try:
            return self._turns(self._key(user_id))
        except self.ERRORS as exc:
            self._warn(exc)
            return []

    def record(self, entry: dict) -> None:
        """Keep an unanswered message, within MAX_INBOX per namespace (the oldest dropped and
        counted)."""
        try:
            self._push(json.dumps(entry, ensure_ascii=False), time.time())
        except self.ERRORS as exc:
            self._warn(exc)
            self._fallback.record(entry)

    def inbox(self) -> list[dict]:
        """The unanswered messages of the last ``inbox_days``, oldest first, each with the
        ``id`` that ``forget`` takes (rows that are not entries are skipped)."""
        out = []
        for ident, text in self._entries(time.time() - self.inbox_days * 86_400):
            try:
                entry = json.loads(text)
            except ValueError:
                continue
            if isinstance(entry, dict) and isinstance(entry.get("text"), str):
                out.append({**entry, "id": ident})
        return out + self._fallback.inbox()

    def forget(self, ids) -> int:
        """Remove these inbox entries (labelled ones); how many were found."""
        ids = list(ids)
        mine = [i for i in ids if not (isinstance(i, str) and i.startswith("m"))]
        return self._remove(mine) + self._fallback.forget(set(ids) - set(mine))

    @property
    def dropped(self) -> int:
        return self._dropped() + self._fallback.dropped


class SQLiteStore(_SharedStore):
    """Per-user state in a SQLite file (WAL), shared by every process that opens it."""

    ERRORS = (sqlite3.Error,)

    def _open(self, path: str | Path) -> None:
        self.path = Path(path)
        self.url = self.describe = f"sqlite:///{self.path}"
        self._local = threading.local()
        self._writes = 0
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with self._db() as db:
                db.execute(
                    "CREATE TABLE IF NOT EXISTS users (key TEXT PRIMARY KEY, state TEXT NOT NULL,"
                    " seen REAL NOT NULL, turns TEXT NOT NULL DEFAULT '[]')"
                )
                db.execute("CREATE INDEX IF NOT EXISTS users_seen ON users (seen)")
                self._upgrade(db)
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

    @staticmethod
    def _upgrade(db: sqlite3.Connection) -> None:
        """A schema 1 file (turns inside the state) gets its turns column, in one transaction
        (several workers may open it at once); and SQLite must have its JSON functions."""
        try:
            db.execute("SELECT json_insert(json_remove('[1]', '$[0]'), '$[#]', json('{}'))")
        except sqlite3.Error:
            raise TextkitError(
                f"this Python's SQLite ({sqlite3.sqlite_version}) has no JSON functions: use "
                "--store memory or redis://"
            ) from None
        db.execute("BEGIN IMMEDIATE")
        try:
            columns = {row[1] for row in db.execute("PRAGMA table_info(users)")}
            if "turns" not in columns:
                db.execute("ALTER TABLE users ADD COLUMN turns TEXT NOT NULL DEFAULT '[]'")
                db.execute(
                    "UPDATE users SET turns = json_extract(state, '$.turns') WHERE "
                    "json_valid(state) AND json_type(state, '$.turns') = 'array'"
                )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise

    def _db(self) -> sqlite3.Connection:
        """This thread's connection (sqlite3 connections are not shared across threads)."""
        db = getattr(self._local, "db", None)
        if db is None:
            db = sqlite3.connect(self.path, timeout=BUSY_MS / 1000, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # WAL: durable at checkpoints, never corrupt
            self._local.db = db
        return db

    def _read(self, key: str) -> str | None:
        row = self._db().execute("SELECT state, seen FROM users WHERE key = ?", (key,)).fetchone()
        return None if row is None or time.time() - row[1] > self.ttl else row[0]

    def _turns(self, key: str) -> list[dict]:
        row = self._db().execute("SELECT turns, seen FROM users WHERE key = ?", (key,)).fetchone()
        if row is None or time.time() - row[1] > self.ttl:
            return []
        try:
            return valid_turns(json.loads(row[0]))
        except ValueError:
            return []

    def _write(self, key: str, text: str | None, turns: list[str], now: float) -> None:
        db = self._db()
        if text is None:
            db.execute("DELETE FROM users WHERE key = ?", (key,))
        else:
            for turn in turns or [None]:  # a reply adds one turn: one statement
                db.execute(_SQLITE_SAVE, {"key": key, "state": text, "turn": turn, "now": now,
                                          "stale": now - self.ttl, "max": MAX_TURNS})  # fmt: skip
        self._writes += 1
        if self._writes % 100 == 1:
            self._expire(db, now)

    def _expire(self, db: sqlite3.Connection, now: float) -> None:
        """Forget users past their time to live, and the least recent beyond ``max_users``."""
        db.execute("DELETE FROM users WHERE seen < ?", (now - self.ttl,))
        db.execute(
            "DELETE FROM users WHERE key IN (SELECT key FROM users ORDER BY seen DESC "
            "LIMIT -1 OFFSET ?)",
            (self.max_users,),
        )

    def __len__(self) -> int:
        return self._db().execute("SELECT count(*) FROM users").fetchone()[0]

    def _push(self, text: str, now: float) -> None:
        db = self._db()
        db.execute("BEGIN IMMEDIATE")
        try:
            db.execute(
                "DELETE FROM inbox WHERE namespace = ? AND at < ?",
                (self.namespace, now - self.inbox_days * 86_400),
            )
            db.execute(
                "INSERT INTO inbox (namespace, at, entry) VALUES (?, ?, ?)",
                (self.namespace, now, text),
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

    def _entries(self, since: float) -> list[tuple[int, str]]:
        return (
            self._db()
            .execute(
                "SELECT id, entry FROM inbox WHERE namespace = ? AND at >= ? ORDER BY id",
                (self.namespace, since),
            )
            .fetchall()
        )

    def _remove(self, ids: list) -> int:
        db = self._db()
        gone = 0
        for ident in ids:
            gone += db.execute(
                "DELETE FROM inbox WHERE namespace = ? AND id = ?", (self.namespace, ident)
            ).rowcount
        return gone

    def _dropped(self) -> int:
        row = (
            self._db()
            .execute("SELECT n FROM dropped WHERE namespace = ?", (self.namespace,))
            .fetchone()
        )
        return row[0] if row else 0

    def close(self) -> None:
        db = getattr(self._local, "db", None)
        if db is not None:
            db.close()
            self._local.db = None


# One user's state saved and one turn appended to the turns kept (the oldest beyond :max
# dropped) by SQLite's JSON functions, so that no save reads or rewrites the other turns; an
# expired conversation's turns or a damaged turns column start afresh.
_SQLITE_SAVE = """
INSERT INTO users (key, state, turns, seen)
VALUES (:key, :state, CASE WHEN :turn IS NULL THEN '[]' ELSE json_array(json(:turn)) END, :now)
ON CONFLICT(key) DO UPDATE SET state = excluded.state, seen = excluded.seen, turns = CASE
    WHEN users.seen < :stale OR NOT json_valid(users.turns) THEN excluded.turns
    WHEN json_type(users.turns) != 'array' THEN excluded.turns
    WHEN :turn IS NULL THEN users.turns
    WHEN json_array_length(users.turns) >= :max
        THEN json_insert(json_remove(users.turns, '$[0]'), '$[#]', json(:turn))
    ELSE json_insert(users.turns, '$[#]', json(:turn))
END
"""


# Atomically: append an inbox entry, drop entries past retention from the front (their "at"
# is older than ARGV[3]; not counted), then the oldest beyond ARGV[2] (counted in KEYS[2]).
_REDIS_PUSH = """
local n = redis.call('RPUSH', KEYS[1], ARGV[1])
while n > 1 do
  local ok, first = pcall(cjson.decode, redis.call('LINDEX', KEYS[1], 0))
  if ok and type(first) == 'table' and tonumber(first['at']) and
      tonumber(first['at']) >= tonumber(ARGV[3]) then break end
  redis.call('LPOP', KEYS[1])
  n = n - 1
end
local over = n - tonumber(ARGV[2])
if over > 0 then
  redis.call('LTRIM', KEYS[1], over, -1)
  redis.call('INCRBY', KEYS[2], over)
end
return over
"""


def redacted(url: str) -> str:
    """A store URL fit for messages and logs: the password (between the user's name and the
    host's @) shown as ***, whether or not the rest of the URL parses."""
    head, sep, rest = url.partition("://")
    if not sep or "@" not in rest.split("/", 1)[0]:
        return url
    who, _, host = rest.split("/", 1)[0].rpartition("@")
    tail = rest[len(who) + 1 + len(host) :]
    return f"{head}://{who.split(':', 1)[0]}:***@{host}{tail}"


class RedisStore(_SharedStore):
    """Per-user state in Redis (``redis://[:password@]host:port/db``), shared by every worker
    that can reach the server.  Redis expires each user ``ttl`` seconds after their last
    message; ``max_users`` is left to the server's own memory policy (maxmemory with
    volatile-lru forgets the least recent users first)."""

    def _open(self, url: str) -> None:
        try:
            import redis
        except ImportError:
            raise TextkitError(
                "a redis:// conversation store needs the redis package: pip install "
                "'textkit[redis]'"
            ) from None
        self.url = url
        self.describe = redacted(url)
        self.ERRORS = (redis.RedisError, OSError)
        try:
            self.client = redis.Redis.from_url(
                url, socket_timeout=2.0, socket_connect_timeout=2.0, decode_responses=True
            )
            self.client.ping()
        except ValueError as exc:  # the URL (a port out of range, a broken IPv6 host...)
            raise TextkitError(f"{self.describe} is not a Redis URL: {exc}") from None
        except (redis.RedisError, OSError) as exc:
            raise TextkitError(
                f"can't reach the conversation store {self.describe}: {exc}"
            ) from None
        self.prefix = f"textkit:{self.namespace}:"
        self._push_script = self.client.register_script(_REDIS_PUSH)

    def _read(self, key: str) -> str | None:
        return self.client.get(self.prefix + "user:" + key)

    def _turns(self, key: str) -> list[dict]:
        out = []
        for raw in self.client.lrange(self.prefix + "turns:" + key, 0, -1):
            try:
                out += valid_turns([json.loads(raw)])
            except ValueError:
                continue
        return out

    def _write(self, key: str, text: str | None, turns: list[str], now: float) -> None:
        """The state and its turns list in one transaction, both expiring together."""
        user, kept = self.prefix + "user:" + key, self.prefix + "turns:" + key
        pipe = self.client.pipeline(transaction=True)
        if text is None:
            pipe.delete(user, kept)
        else:
            ttl_ms = max(1, int(self.ttl * 1000))
            pipe.set(user, text, px=ttl_ms)
            if turns:
                pipe.rpush(kept, *turns)
                pipe.ltrim(kept, -MAX_TURNS, -1)
            pipe.pexpire(kept, ttl_ms)
        pipe.execute()

    def __len__(self) -> int:
        return sum(1 for _ in self.client.scan_iter(match=self.prefix + "user:*", count=1000))

    def _push(self, text: str, now: float) -> None:
        self._push_script(
            keys=[self.prefix + "inbox", self.prefix + "dropped"],
            args=[text, MAX_INBOX, now - self.inbox_days * 86_400],
        )

    def _entries(self, since: float) -> list[tuple[str, str]]:
        out = []
        for raw in self.client.lrange(self.prefix + "inbox", 0, -1):
            try:
                at = float(json.loads(raw).get("at") or 0)
            except (ValueError, AttributeError, TypeError):
                continue
            if at >= since:
                out.append((raw, raw))  # the raw entry is its own id (LREM takes it)
        return out

    def _remove(self, ids: list) -> int:
        return sum(int(self.client.lrem(self.prefix + "inbox", 1, raw)) for raw in ids)

    def _dropped(self) -> int:
        return int(self.client.get(self.prefix + "dropped") or 0)

    def close(self) -> None:
        self.client.close()


def open_store(
    url: str,
    ttl: float = TTL_S,
    max_users: int = MAX_USERS,
    namespace: str = "",
    inbox_days: float = INBOX_DAYS,
):
    """A store from its URL: ``memory``, ``sqlite:///path/to.db`` or ``redis://host:port/db``
    (``rediss://`` for TLS; needs the redis extra).  A URL that doesn't parse, or a store
    that can't be opened or reached, is one clear error."""
    if url == "memory":
        return MemoryStore(ttl, max_users, inbox_days)
    if url.startswith("sqlite:///") and len(url) > len("sqlite:///"):
        return SQLiteStore(url[len("sqlite:///") :], ttl, max(max_users, 1), namespace, inbox_days)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisStore(url, ttl, max(max_users, 1), namespace, inbox_days)
    raise TextkitError(
        f"unknown conversation store {redacted(url)!r}: use memory, sqlite:///path/to/file.db "
        "or redis://host:port/db"
    )
