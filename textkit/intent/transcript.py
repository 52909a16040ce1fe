"""Conversation logs, for owners who must keep transcripts: one JSON line per reply (time, bot,
user, text, intent, confidence, reply).  Off unless asked for; the server's request log still
never holds text.  The file is created owner-only (these are users' words) and appended with
one ``write`` per line, so several server workers can share it without mixing lines; a write
that fails is warned about once and answering goes on."""

from __future__ import annotations

import json
import os
import threading
import time
import warnings
from pathlib import Path

from textkit.errors import TextkitError, TextkitWarning
from textkit.intent.store import user_key


class Transcript:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        try:
            if self.path.is_dir():
                raise IsADirectoryError("it is a folder")
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            raise TextkitError(f"can't write the conversation log {self.path}: {reason}") from None
        self._lock = threading.Lock()
        self._warned = False

    def write(self, bot: str, user_id: str, text: str, reply) -> None:
        """Append one reply (a ``Reply``) to the log."""
        line = json.dumps(
            {"at": round(time.time(), 3), "bot": bot, "user": user_key(user_id), "text": text,
             "intent": reply.intent, "confidence": round(reply.confidence, 4),
             "fallback": reply.fallback, "reply": reply.text},
            ensure_ascii=False,
        )  # fmt: skip
        data = (line + "\n").encode("utf-8", "backslashreplace")  # a lone surrogate: its escape
        try:
            with self._lock:
                written = os.write(self._fd, data)
            if written != len(data):
                raise OSError(f"only {written} of {len(data)} bytes written")
        except OSError as exc:
            if not self._warned:
                self._warned = True
                warnings.warn(
                    f"the conversation log {self.path} can't be written ({exc}); answering goes "
                    "on without it",
                    TextkitWarning,
                    stacklevel=2,
                )

    def close(self) -> None:
        os.close(self._fd)
