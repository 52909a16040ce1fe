"""The one folder where textkit keeps caches it can rebuild (encoded char-RNN corpora, prepared
embedding corpora): ``$TEXTKIT_CACHE``, else ``$XDG_CACHE_HOME/textkit``, else
``~/.cache/textkit``.  Never the working directory: a checkout or a models folder stays clean."""

from __future__ import annotations

import os
from pathlib import Path


def cache_dir() -> Path:
    if os.environ.get("TEXTKIT_CACHE"):
        return Path(os.environ["TEXTKIT_CACHE"])
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "textkit"
