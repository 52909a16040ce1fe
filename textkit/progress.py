"""One progress display for every long piece of work.  On a terminal it is a tqdm bar; anywhere
else (a log file, CI, ``nohup``, a container's log) a heartbeat line every ``HEARTBEAT_S``
seconds, written by a timer so that even one long step (a large SVM fit) shows it is alive:
``train-charrnn: step 1,200/5,000 (24%) · loss 1.523 · 410 step/s · 3m05s elapsed · ETA 9m16s``.
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterable, Iterator
from typing import IO, TypeVar

from tqdm.auto import tqdm

HEARTBEAT_S = 30.0  # seconds between heartbeat lines when stderr is not a terminal
T = TypeVar("T")


class Progress:
    """Progress of ``total`` units (None: unknown).  ``show``: True for a bar, False for
    nothing, None (the default) for a bar on a terminal and heartbeat lines elsewhere."""

    def __init__(
        self,
        total: int | None,
        unit: str,
        desc: str = "",
        show: bool | None = None,
        initial: int = 0,
        stream: IO[str] | None = None,
    ) -> None:
        self.stream = stream or sys.stderr
        tty = _isatty(self.stream)
        self.mode = ("bar" if tty else "heartbeat") if show is None else ("bar" if show else "off")
        self.total, self.unit, self.desc, self.n = total, unit, desc, initial
        self.start, self.initial = time.monotonic(), initial
        self.postfix: dict[str, str] = {}
        self.bar = tqdm(
            total=total,
            initial=initial,
            unit=unit,
            desc=desc or None,
            disable=self.mode != "bar",
            dynamic_ncols=True,
            file=self.stream,
        )
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None
        if self.mode == "heartbeat":
            self._beat = threading.Thread(target=self._heartbeat, daemon=True)
            self._beat.start()

    @property
    def active(self) -> bool:
        """Whether anything is shown (worth computing figures for the postfix)."""
        return self.mode != "off"

    def update(self, n: int = 1) -> None:
        self.n += n
        self.bar.update(n)

    def set_postfix(self, values: dict[str, str]) -> None:
        self.postfix = dict(values)
        self.bar.set_postfix(values)

    def iterate(self, items: Iterable[T]) -> Iterator[T]:
        """``items``, counting each one."""
        for item in items:
            yield item
            self.update()

    def line(self) -> str:
        """The heartbeat line: count, share, latest figures, rate, elapsed time and ETA."""
        elapsed = time.monotonic() - self.start
        parts = [f"{self.unit} {self.n:,}" + (f"/{self.total:,}" if self.total else "")]
        if self.total:
            parts[0] += f" ({100 * self.n / self.total:.0f}%)"
        parts += [f"{k} {v}" for k, v in self.postfix.items()]
        done = self.n - self.initial
        if done > 0 and elapsed > 0:
            parts.append(f"{done / elapsed:,.3g} {self.unit}/s")
        parts.append(f"{_duration(elapsed)} elapsed")
        if self.total and done > 0:
            parts.append(f"ETA {_duration((self.total - self.n) * elapsed / done)}")
        return (f"{self.desc}: " if self.desc else "") + " · ".join(parts)

    def close(self) -> None:
        self._stop.set()
        if self._beat is not None:
            self._beat.join(1)
        self.bar.close()

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            try:
                print(self.line(), file=self.stream, flush=True)
            except (OSError, ValueError):  # the stream went away: stop beating
                return


def _isatty(stream) -> bool:
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def _duration(seconds: float) -> str:
    seconds = max(0, round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m"
    return f"{minutes}m{secs:02d}s" if minutes else f"{secs}s"
