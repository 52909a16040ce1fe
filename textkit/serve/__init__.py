"""``textkit serve``: the trained models over HTTP (JSON, Server-Sent Events, Rasa- and
OpenAI-compatible routes) and a web page to try them, safe by default (loopback, token, caps).

>>> registry = Registry(); registry.load([Path("models/bot")])
>>> app = create_app(registry, Settings(token="s3cret"))   # any ASGI server runs it
"""

from textkit.serve.app import Settings, create_app
from textkit.serve.registry import Conversations, Registry

__all__ = ["Conversations", "Registry", "Settings", "create_app"]
