"""`textkit serve`: the trained models over HTTP, with a page to try them in a browser."""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import click

from textkit.cli.base import main
from textkit.cli.choose import MODELS_DIR
from textkit.cli.params import LOG_CONVERSATIONS, Number, opt
from textkit.errors import TextkitError
from textkit.intent.store import INBOX_DAYS, MAX_INBOX
from textkit.kinds import FAMILIES, kinds_of
from textkit.settings import DEVICES

TOKEN_ENV = "TEXTKIT_TOKEN"
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM)


@main.command(short_help="Serve models over HTTP (JSON API and a web page).")
@click.argument("models", metavar="MODEL...", nargs=-1, type=click.Path(path_type=Path))
@MODELS_DIR
@opt(
    "--host", default="127.0.0.1", help="Address to listen on. Anything but loopback needs --token."
)
@opt(
    "--port",
    type=Number(0, 65535, integer=True),
    default=8000,
    help="Port to listen on (0: any free port).",
)
@opt(
    "--token",
    envvar=TOKEN_ENV,
    metavar="TOKEN",
    help=f"Require 'Authorization: Bearer TOKEN' on the API (not on the page or /health). "
    f"Prefer the {TOKEN_ENV} environment variable: a command line is visible to other "
    "users of the machine.",
)
@opt(
    "--cors-origin",
    "cors_origins",
    multiple=True,
    metavar="URL",
    help="Let pages from this origin (e.g. https://example.com) call the API; repeatable. "
    "[default: no cross-origin calls]",
)
@opt(
    "--max-concurrency",
    type=Number(1, 10_000, integer=True),
    metavar="N",
    help="Requests one model runs at once; more get 429. [default: "
    + ", ".join(
        f"{f.serve_concurrency} per {f.name}" for f in FAMILIES.values() if f.serve_concurrency
    )
    + "]",
)
@opt(
    "--time-limit",
    type=Number(0.1, 3600),
    default=60.0,
    metavar="SECONDS",
    help="Longest one generation may run; it then ends with finish_reason 'time_limit'.",
)
@opt(
    "--log-requests/--no-log-requests",
    default=True,
    help="Log each request's method, path, status and time (never its text).",
)
@opt("--device", default="auto", metavar=DEVICES, help="Where the models run.")
@opt(
    "--store",
    default="auto",
    metavar="URL",
    help="Where chatbots keep each user's context, slots and last turns: sqlite:///PATH.db "
    "(survives restarts, shared by processes), redis://HOST:PORT/DB (shared across machines; "
    "the redis extra), memory (this process only), or auto: "
    "sqlite in MODELS_DIR/.serving/conversations.db, memory if that can't be written.",
)
@opt(
    "--inbox/--no-inbox",
    default=True,
    help="Keep the messages chatbots couldn't answer (text, time, closest intents; never the "
    f"sender) in the store for `textkit inbox`, at most {MAX_INBOX:,} per bot.",
)
@opt(
    "--inbox-days",
    type=Number(0.01, 3650),
    default=INBOX_DAYS,
    show_default=True,
    metavar="DAYS",
    help="How long the inbox keeps an unanswered message.",
)
@LOG_CONVERSATIONS
@opt(
    "--workers",
    type=Number(1, 64, integer=True),
    default=1,
    show_default=True,
    help="Server processes sharing the port (and the --store): for many chat or classify "
    "clients; each loads the models (memory x N). Generation is CPU-bound per process.",
)
def serve(
    models,
    models_dir,
    host,
    port,
    token,
    cors_origins,
    max_concurrency,
    time_limit,
    log_requests,
    device,
    store,
    inbox,
    inbox_days,
    log_conversations,
    workers,
):
    """Serve MODEL folders (char-RNN/Markov generators, intent and author classifiers) at
    http://HOST:PORT/ until Ctrl-C: a JSON API and a page to try them.  Without MODEL, the
    newest model of each kind under --models-dir.

    \b
    Endpoints (README, "Serve"): GET / (the page), GET /health, GET /v1/models,
    POST /v1/intent (alias /model/parse), /v1/chat (alias /webhooks/rest/webhook),
    /v1/classify, /v1/generate (stream with "stream": true), /v1/completions.
    """
    from textkit.serve import Conversations, Registry, Settings, create_app
    from textkit.serve.security import is_loopback

    loopback = is_loopback(host)
    if not loopback and not token:
        raise click.UsageError(
            f"--host {host} lets other machines reach the server: give "
            f"--token (or set {TOKEN_ENV}) so that only clients with it get "
            "in, or keep the default --host 127.0.0.1"
        )
    folders = _folders(models, models_dir)
    store_url = _store_url(store, models_dir)  # a bad store is an error before listening
    sock = _listen(host, port)
    transcript = _transcript(log_conversations)
    registry = Registry(Conversations(store_url, inbox, inbox_days, transcript))
    settings = Settings(
        token=token or None,
        loopback_only=loopback,
        cors_origins=tuple(cors_origins),
        time_limit=time_limit,
        log_requests=log_requests,
    )
    if workers > 1 and store_url == "memory":
        import warnings

        from textkit.errors import TextkitWarning

        warnings.warn(
            "--workers with a memory store: each process keeps its own conversations (a user's "
            "next message may reach another); use --store sqlite:///PATH.db to share them",
            TextkitWarning,
            stacklevel=2,
        )
    children = _fork_workers(workers - 1)
    app = create_app(registry, settings)
    if children is None:  # a worker: serve, then leave without running the parent's exit code
        try:
            _run(
                app, sock, registry, folders, max_concurrency, device, quiet=True, watch_parent=True
            )
        finally:
            os._exit(0)
    try:
        _run(app, sock, registry, folders, max_concurrency, device)
    finally:
        _stop_workers(children)


def _transcript(path: Path | None):
    """The conversation log, opened now (before listening, before the workers fork: they
    share it)."""
    if path is None:
        return None
    from textkit.intent.transcript import Transcript

    return Transcript(path)


def _store_url(store: str, models_dir: Path) -> str:
    """The conversation store's URL, checked now, before listening: a given one by opening it;
    ``auto`` (created on the first chat, so serving without chatting writes nothing) by
    whether the models folder can be written, else memory with a warning."""
    import os
    import warnings

    from textkit.errors import TextkitWarning
    from textkit.intent.store import open_store

    if store != "auto":
        open_store(store).close()
        return store
    folder = models_dir.resolve()
    while not folder.exists() and folder != folder.parent:
        folder = folder.parent
    if not os.access(folder, os.W_OK | os.X_OK):
        warnings.warn(
            f"{models_dir} can't be written: conversations are kept in memory (--store)",
            TextkitWarning,
            stacklevel=2,
        )
        return "memory"
    return f"sqlite:///{models_dir / '.serving' / 'conversations.db'}"


def _listen(host: str, port: int) -> socket.socket:
    """The listening socket, bound now so that a busy port is a clear error (and port 0 gets
    its real number before the URL is printed)."""
    from textkit.serve.security import listen_socket

    try:
        return listen_socket(host, port)
    except OSError as exc:
        raise TextkitError(f"can't listen on {host}:{port}: {exc.strerror or exc}") from None


def _fork_workers(n: int) -> list[int] | None:
    """``n`` more server processes on the same listening socket (the kernel hands each new
    connection to one of them); the pids in the parent, None in a worker.  Done before any
    thread starts."""
    if n <= 0:
        return []
    if not hasattr(os, "fork"):
        raise TextkitError("--workers needs a system with fork (Linux, macOS)")
    pids = []
    for _ in range(n):
        pid = os.fork()
        if pid == 0:
            return None
        pids.append(pid)
    return pids


def _stop_workers(pids: list[int]) -> None:
    for pid in pids:
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGTERM)
    for pid in pids:
        with contextlib.suppress(ChildProcessError):
            os.waitpid(pid, 0)


def _run(
    app,
    sock: socket.socket,
    registry,
    folders: list[Path],
    max_concurrency: int | None,
    device: str,
    quiet: bool = False,
    watch_parent: bool = False,
) -> None:
    """uvicorn on ``sock`` while the models load in a thread (``/health`` says 503 until
    they are in); a model that fails to load stops the server with its error.  A worker
    (``quiet``) prints nothing and (``watch_parent``) stops when the main process is gone."""
    import uvicorn

    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("textkit: %(message)s"))
    logger = logging.getLogger("textkit.serve")
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)

    class Server(uvicorn.Server):
        @contextlib.contextmanager
        def capture_signals(self) -> Iterator[None]:
            """Ctrl-C or SIGTERM shut the server down and the command ends normally (exit 0);
            uvicorn's own handler re-raises the signal afterwards.  A second Ctrl-C forces."""
            old = {sig: signal.signal(sig, self.handle_exit) for sig in STOP_SIGNALS}
            try:
                yield
            finally:
                for sig, handler in old.items():
                    signal.signal(sig, handler)

    from textkit.serve.connections import server_config

    server = Server(
        server_config(
            app, log_level="warning", access_log=False, lifespan="off", timeout_graceful_shutdown=3
        )
    )
    host, port = sock.getsockname()[:2]
    url = f"http://{f'[{host}]' if ':' in host else host}:{port}/"
    say = (lambda *a, **k: None) if quiet else click.echo
    say(f"textkit: listening at {url}; loading {len(folders)} model(s)...", err=True)
    started = time.perf_counter()
    if watch_parent:
        parent = os.getppid()

        def watch() -> None:
            while not server.should_exit:
                if os.getppid() != parent:
                    server.should_exit = True
                time.sleep(0.5)

        threading.Thread(target=watch, name="textkit-parent", daemon=True).start()

    def load() -> None:
        try:
            registry.load(folders, max_concurrency, device)
        except Exception as exc:  # reported below, then the server stops
            registry.failed = str(exc)
            server.should_exit = True
            return
        ids = ", ".join(registry.models)
        say(
            f"Serving {ids} at {url} (ready in {time.perf_counter() - started:.1f} s; Ctrl-C stops)"
        )

    threading.Thread(target=load, name="textkit-load", daemon=True).start()
    server.run(sockets=[sock])
    if registry.failed:
        raise TextkitError(f"the models failed to load: {registry.failed}")
    say("textkit: stopped", err=True)


def _folders(models: tuple[Path, ...], models_dir: Path) -> list[Path]:
    """The folders to serve, each checked now (a typo fails before the server starts)."""
    from textkit.modelio import ModelFolder, latest_model, resolve_model_path
    from textkit.serve.registry import SERVABLE

    if not models:
        found = []
        for kinds in (kinds_of("generator"), kinds_of("intent"), kinds_of("author")):
            try:
                found.append(latest_model(models_dir, kinds))
            except TextkitError:
                continue
        if not found:
            raise TextkitError(
                f"no model to serve under {models_dir}/; train one first, e.g. "
                "`textkit train-charrnn corpora/poems.txt`, or name MODEL folders"
            )
        return found
    folders = [resolve_model_path(m, models_dir, SERVABLE) for m in models]
    for folder in folders:
        ModelFolder(folder).read_config(SERVABLE)
    return folders
