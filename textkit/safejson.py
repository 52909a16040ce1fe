"""``loads``: json.loads where every bad input is a ``json.JSONDecodeError``, so each caller's
one ``except`` covers all of them.  Python's parser raises other things for inputs that are
valid JSON text: nesting deeper than the recursion limit (RecursionError), integers over 4,300
digits (ValueError), and lone surrogates ("\\ud800"), which parse but then fail wherever the
value is written back as UTF-8 (a 500 in the server, a model folder that can't be saved)."""

from __future__ import annotations

import json
from typing import Any


def loads(text: str | bytes | bytearray) -> Any:
    try:
        value = json.loads(text)
    except json.JSONDecodeError:
        raise
    except RecursionError:
        raise _problem("nested too deeply", text) from None
    except ValueError as exc:  # e.g. an integer over the int-to-str digit limit
        raise _problem(str(exc), text) from None
    # a lone surrogate can only come from a \\uD8xx-\\uDFxx escape: check only texts that have one
    # (not every line of a large JSON Lines corpus)
    lower, upper = ("\\ud", "\\uD") if isinstance(text, str) else (b"\\ud", b"\\uD")
    if lower not in text and upper not in text:  # not text.lower(): a copy of a large file
        return value
    try:
        json.dumps(value, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        raise _problem("holds a lone surrogate (\\ud800-\\udfff), not text", text) from None
    except (RecursionError, ValueError) as exc:
        raise _problem(str(exc) or "nested too deeply", text) from None
    return value


def _problem(message: str, text: str | bytes) -> json.JSONDecodeError:
    doc = text if isinstance(text, str) else text.decode("utf-8", "replace")
    return json.JSONDecodeError(message, doc, 0)
