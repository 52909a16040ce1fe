"""Every endpoint's happy path and its refusals, over a real socket: the one error shape, the
right status, and a server that is still healthy afterwards."""

from __future__ import annotations

import threading

import pytest

from textkit.serve.errors import TYPES


def error_of(response, status: int, param: str | None = None) -> str:
    """Assert ``response`` is the error shape with ``status`` (and ``param``); its message."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"error"} and set(body["error"]) == {"type", "message", "param"}
    assert body["error"]["type"] == TYPES[status]
    assert body["error"]["param"] == param
    assert body["error"]["message"] and "Traceback" not in response.text
    return body["error"]["message"]


def test_health_and_models(server):
    health = server.get("/health")
    assert health.status_code == 200 and health.json()["status"] == "ok"
    assert health.json()["running"] == {"bot": 0, "presidents": 0, "sonnets": 0}
    models = server.get("/v1/models").json()
    assert models["object"] == "list" and models["ready"] is True
    by_id = {m["id"]: m for m in models["data"]}
    assert {k: m["kind"] for k, m in by_id.items()} == {
        "bot": "intent",
        "presidents": "author",
        "sonnets": "charrnn",
    }
    assert sorted(by_id["presidents"]["labels"]) == ["FDRoosevelt", "Lincoln", "Obama", "Reagan"]
    assert "greeting" in by_id["bot"]["labels"] and by_id["sonnets"]["labels"] is None
    assert all(m["version"] for m in by_id.values())


def test_intent_and_its_rasa_alias(server):
    answer = server.post("/v1/intent", {"text": "when do you open on sunday?"}).json()
    assert answer["intent"]["name"] == "opening_hours" and answer["model"] == "bot"
    assert answer["out_of_scope"] is False and answer["reason"] is None
    ranking = answer["intent_ranking"]
    assert ranking[0]["name"] == "opening_hours"
    assert ranking[0]["confidence"] == answer["intent"]["confidence"]
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True) and sum(confidences) <= 1.0001
    rasa = server.post("/model/parse", {"text": "when do you open on sunday?"}).json()
    assert rasa["intent"] == answer["intent"] and rasa["entities"] == []
    nonsense = server.post("/v1/intent", {"text": "asdkjh qwe"}).json()
    assert nonsense["intent"]["name"] is None and nonsense["out_of_scope"] is True
    assert nonsense["reason"] == "no known words"


def test_chat_keeps_context_per_sender(server):
    def chat(sender, message):
        reply = server.post("/v1/chat", {"sender": sender, "message": message})
        assert reply.status_code == 200, reply.text
        return reply.json()

    assert chat("alice", "the cover is torn")["fallback"]  # not in a returns conversation yet
    start = chat("alice", "I want to return a book")
    assert start["intent"] == "returns_start" and start["context"] == "returns"
    assert start["reply"] and start["sender"] == "alice" and not start["fallback"]
    assert chat("bob", "the cover is torn")["fallback"]  # bob's context is his own
    reason = chat("alice", "the cover is torn")
    assert reason["intent"] == "returns_reason" and not reason["fallback"]
    assert reason["context"] is None
    gibberish = chat("carol", "asdkjh qwe")
    assert gibberish["fallback"] and gibberish["intent"] is None and gibberish["reply"]


def test_rasa_rest_channel(server):
    first = server.post("/webhooks/rest/webhook", {"sender": "dave", "message": "Refund please"})
    assert first.status_code == 200
    (message,) = first.json()
    assert message["recipient_id"] == "dave" and "reason" in message["text"]
    # the REST channel shares the chat's per-sender context
    second = server.post("/v1/chat", {"sender": "dave", "message": "It arrived damaged"}).json()
    assert second["intent"] == "returns_reason"


def test_rasa_shapes(server):
    """Rasa's documented responses: a REST channel message without a sender gets the default
    one, the channel's health probe, /model/parse's fallback intent, /status and /version."""
    reply = server.post("/webhooks/rest/webhook", {"message": "hello there"})
    assert reply.status_code == 200 and reply.json()[0]["recipient_id"] == "default"
    assert server.get("/webhooks/rest/").json() == {"status": "ok"}
    parse = server.post("/model/parse", {"model": "bot", "text": "asdkjh qwe"}).json()
    assert (
        parse["intent"]["name"] == "nlu_fallback"
        and parse["intent_ranking"][0]["name"] == "nlu_fallback"
    )
    assert 0 <= parse["fallback_threshold"] <= 1
    ours = server.post("/v1/intent", {"model": "bot", "text": "asdkjh qwe"}).json()
    assert ours["intent"]["name"] is None  # textkit's own endpoint keeps None for no intent
    status = server.get("/status").json()
    assert status["num_active_training_jobs"] == 0 and "bot" in status["model_file"]
    version = server.get("/version").json()
    assert (
        version["server"] == "textkit"
        and version["version"] == version["minimum_compatible_version"]
    )


def test_classify_one_text_and_combined_evidence(server, presidents):
    _, test = presidents
    lincoln = [t for t, a in test if a == "Lincoln"][:12]
    one = server.post("/v1/classify", {"model": "presidents", "text": lincoln[0]}).json()
    assert {r["label"] for r in one["ranking"]} <= {"FDRoosevelt", "Lincoln", "Obama", "Reagan"}
    assert one["confidence"] == one["ranking"][0]["confidence"]
    combined = server.post("/v1/classify", {"model": "presidents", "texts": lincoln}).json()
    assert combined["label"] == "Lincoln" and combined["texts"] == 12
    assert combined["confidence"] > one["confidence"] or one["label"] == "Lincoln"
    assert len(combined["ranking"]) == 4
    each = server.post(
        "/v1/classify", {"model": "presidents", "texts": lincoln[:3], "combine": False}
    ).json()
    assert [p["text"] for p in each["predictions"]] == lincoln[:3]
    intents = server.post(
        "/v1/classify", {"model": "bot", "texts": ["hello", "thanks a lot"], "k": 2}
    ).json()
    assert [p["label"] for p in intents["predictions"]] == ["greeting", "thanks"]
    assert all(len(p["ranking"]) == 2 for p in intents["predictions"])


def test_generate_is_reproducible_by_seed_and_honours_length_and_stop(server):
    def gen(**body):
        reply = server.post("/v1/generate", {"prompt": "Shall I ", **body})
        assert reply.status_code == 200, reply.text
        return reply.json()

    first = gen(max_tokens=80, seed=3)
    assert len(first["text"]) == 80 and first["finish_reason"] == "length"
    assert first["seed"] == 3 and first["model"] == "sonnets" and first["warnings"] == []
    assert gen(max_tokens=80, seed=3)["text"] == first["text"]
    chosen = gen(max_tokens=80)  # no seed: one is chosen, returned, and reproduces the text
    assert gen(max_tokens=80, seed=chosen["seed"])["text"] == chosen["text"]
    stopped = gen(max_tokens=400, seed=1, stop=" ")
    assert stopped["finish_reason"] == "stop" and " " not in stopped["text"]
    greedy = [gen(max_tokens=40, temperature=0)["text"] for _ in range(2)]
    assert greedy[0] == greedy[1]
    mapped = gen(max_tokens=5, seed=1, preseed="\u2603 snow")
    assert mapped["warnings"] and "pre-seed" in mapped["warnings"][0]


def test_preseed_is_text_never_a_file(server, tmp_path, monkeypatch):
    import textkit.charrnn.generator as generator

    def no_files(path):
        raise AssertionError(f"the server opened {path}")

    monkeypatch.setattr(generator, "read_small_text", no_files)
    secret = tmp_path / "secret.txt"
    secret.write_text("zzzz", encoding="utf-8")
    reply = server.post("/v1/generate", {"preseed": f"@{secret}", "max_tokens": 5, "seed": 0})
    assert reply.status_code == 200 and "@" in reply.json()["warnings"][0]  # read as text
    auto = server.post("/v1/generate", {"preseed": "auto", "max_tokens": 5, "seed": 0})
    assert auto.status_code == 200 and auto.json()["warnings"] == []


def test_openai_completions(server):
    body = {"model": "sonnets", "prompt": ["Shall I "], "max_tokens": 30, "seed": 5}
    reply = server.post("/v1/completions", body).json()
    assert reply["object"] == "text_completion" and reply["id"].startswith("cmpl-")
    (choice,) = reply["choices"]
    assert len(choice["text"]) == 30 and choice["finish_reason"] == "length"
    assert choice["index"] == 0 and choice["logprobs"] is None
    assert reply["usage"] == {"prompt_tokens": 8, "completion_tokens": 30, "total_tokens": 38}
    same = server.post("/v1/generate", {"prompt": "Shall I ", "max_tokens": 30, "seed": 5})
    assert same.json()["text"] == choice["text"]  # one generator behind both shapes


def test_the_page_is_self_contained_and_locked_down(server):
    import base64
    import hashlib
    import re

    page = server.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "unsafe-inline" not in csp and "default-src 'none'" in csp
    assert "connect-src 'self'" in csp
    html = page.text
    for tag in ("script", "style"):
        blocks = re.findall(rf"<{tag}>(.*?)</{tag}>", html, flags=re.S)
        assert blocks
        for block in blocks:
            digest = base64.b64encode(hashlib.sha256(block.encode()).digest()).decode()
            assert f"'sha256-{digest}'" in csp
    assert "innerHTML" not in html and "http://" not in html and "https://" not in html
    assert not re.search(r"<script[^>]+src=|<link[^>]+href=\"(?!data:)|\son\w+=", html)
    assert page.headers["x-content-type-options"] == "nosniff"


def test_no_cors_unless_asked(server, start_server, serve_folders):
    origin = {
        "Origin": "https://app.example",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization,content-type",
    }
    plain = server.client.options("/v1/intent", headers=origin)
    assert "access-control-allow-origin" not in plain.headers
    assert "access-control-allow-origin" not in server.get("/v1/models", headers=origin).headers
    cors = start_server(
        [serve_folders["bot"]], cors_origins=("https://app.example",), token="t0ken"
    )
    preflight = cors.client.options("/v1/intent", headers=origin)  # answered without a token
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == "https://app.example"
    other = cors.client.options("/v1/intent", headers={**origin, "Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in other.headers


# ---------------------------------------------------------------------- refusals
TEXT_11K = "word " * 2200  # 11,000 characters
BAD_REQUESTS = [
    # (method, path, request keywords, status, param)
    ("POST", "/v1/intent", {"content": b"hello", "headers": {"Content-Type": "text/plain"}}, 415, None),
    ("POST", "/v1/intent", {"content": b'{"text": "hi"}'}, 415, None),  # no content type
    ("POST", "/v1/intent", {"content": b"{bad", "headers": {"Content-Type": "application/json"}}, 400, None),
    ("POST", "/v1/intent", {"json": ["hi"]}, 400, None),
    ("POST", "/v1/intent", {"content": b"\xff\xfe", "headers": {"Content-Type": "application/json"}}, 400, None),
    ("POST", "/v1/intent", {"json": {"text": 1}}, 400, "text"),
    ("POST", "/v1/intent", {"json": {}}, 400, "text"),
    ("POST", "/v1/intent", {"json": {"text": TEXT_11K}}, 400, "text"),
    ("POST", "/v1/intent", {"json": {"text": "a" * 1_000_000}}, 413, None),
    ("POST", "/v1/intent", {"json": {"model": "nope", "text": "hi"}}, 404, "model"),
    ("POST", "/v1/intent", {"json": {"model": "sonnets", "text": "hi"}}, 400, "model"),
    ("POST", "/v1/intent", {"json": {"model": 7, "text": "hi"}}, 400, "model"),
    ("POST", "/v1/chat", {"json": {"model": "presidents", "message": "hi"}}, 400, "model"),
    ("POST", "/v1/chat", {"json": {"sender": "a"}}, 400, "message"),
    ("POST", "/v1/chat", {"json": {"sender": "a" * 201, "message": "hi"}}, 400, "sender"),
    ("POST", "/webhooks/rest/webhook", {"json": {"sender": "x"}}, 400, "message"),
    ("POST", "/v1/classify", {"json": {"text": "hi"}}, 400, "model"),  # two classifiers fit
    ("POST", "/v1/classify", {"json": {"model": "bot", "text": "a", "texts": ["b"]}}, 400, "text"),
    ("POST", "/v1/classify", {"json": {"model": "bot", "texts": []}}, 400, "texts"),
    ("POST", "/v1/classify", {"json": {"model": "bot", "texts": ["a", 2]}}, 400, "texts"),
    ("POST", "/v1/classify", {"json": {"model": "bot", "texts": ["a"] * 101}}, 400, "texts"),
    ("POST", "/v1/classify", {"json": {"model": "bot", "texts": ["a"], "combine": True}}, 400, "combine"),
    ("POST", "/v1/classify", {"json": {"model": "bot", "text": "a", "k": 0}}, 400, "k"),
    ("POST", "/v1/generate", {"json": {"max_tokens": 4001}}, 400, "max_tokens"),
    ("POST", "/v1/generate", {"json": {"max_tokens": 0}}, 400, "max_tokens"),
    ("POST", "/v1/generate", {"json": {"max_tokens": 2.5}}, 400, "max_tokens"),
    ("POST", "/v1/generate", {"json": {"temperature": -1}}, 400, "temperature"),
    ("POST", "/v1/generate", {"json": {"temperature": "hot"}}, 400, "temperature"),
    ("POST", "/v1/generate", {"content": b'{"temperature": NaN}', "headers": {"Content-Type": "application/json"}}, 400, "temperature"),
    ("POST", "/v1/generate", {"json": {"top_p": 0}}, 400, "top_p"),
    ("POST", "/v1/generate", {"json": {"top_p": 1.5}}, 400, "top_p"),
    ("POST", "/v1/generate", {"json": {"top_k": 0}}, 400, "top_k"),
    ("POST", "/v1/generate", {"json": {"seed": -1}}, 400, "seed"),
    ("POST", "/v1/generate", {"json": {"seed": True}}, 400, "seed"),
    ("POST", "/v1/generate", {"json": {"stream": "yes"}}, 400, "stream"),
    ("POST", "/v1/generate", {"json": {"stop": ["a", "b"]}}, 400, "stop"),
    ("POST", "/v1/generate", {"json": {"stop": ""}}, 400, "stop"),
    ("POST", "/v1/generate", {"json": {"prompt": TEXT_11K}}, 400, "prompt"),
    ("POST", "/v1/generate", {"json": {"prompt": "\u2603\u2603"}}, 400, None),  # nothing the model knows
    ("POST", "/v1/generate", {"json": {"model": "bot"}}, 400, "model"),
    ("POST", "/v1/completions", {"json": {"prompt": "a", "n": 17}}, 400, "n"),
    ("POST", "/v1/completions", {"json": {"prompt": ["a"] * 9, "n": 2}}, 400, "n"),
    ("POST", "/v1/completions", {"json": {"prompt": ["a"] * 17}}, 400, "prompt"),
    ("POST", "/v1/completions", {"json": {"prompt": ["a", 2]}}, 400, "prompt"),
    ("POST", "/v1/completions", {"json": {"prompt": []}}, 400, "prompt"),
    ("POST", "/v1/completions", {"json": {"stop": ["a", "b", "c", "d", "e"]}}, 400, "stop"),
    ("POST", "/v1/completions", {"json": {"logprobs": 21}}, 400, "logprobs"),
    ("POST", "/v1/completions", {"json": {"best_of": 3}}, 400, "best_of"),
    ("POST", "/v1/completions", {"json": {"suffix": "end"}}, 400, "suffix"),
    ("POST", "/v1/completions", {"json": {"logit_bias": {"50256": -100}}}, 400, "logit_bias"),
    ("POST", "/v1/completions", {"json": {"frequency_penalty": 0.5}}, 400, "frequency_penalty"),
    ("POST", "/v1/chat/completions", {"json": {"messages": []}}, 400, "messages"),
    ("POST", "/v1/chat/completions", {"json": {}}, 400, "messages"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user"}]}}, 400, "messages"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": [{"type": "image_url"}]}]}}, 400, "messages"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "a" * 10_001}]}}, 400, "messages"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "a"}], "tools": [{"type": "function"}]}}, 400, "tools"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "a"}], "response_format": {"type": "json_object"}}}, 400, "response_format"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "a"}], "top_logprobs": 2}}, 400, "top_logprobs"),
    ("POST", "/v1/chat/completions", {"json": {"messages": [{"role": "user", "content": "a"}], "logprobs": 3}}, 400, "logprobs"),
    ("GET", "/v1/models/nothing", {}, 404, "model"),
    ("GET", "/v1/generate", {}, 405, None),
    ("POST", "/health", {"json": {}}, 405, None),
    ("DELETE", "/v1/models", {}, 405, None),
    ("GET", "/v1/nothing", {}, 404, None),
    ("GET", "/health", {"headers": {"Host": "evil.example"}}, 400, None),
    ("POST", "/v1/intent", {"json": {"text": "hi"}, "headers": {"Host": "rebind.example:8000"}}, 400, None),
]  # fmt: skip


@pytest.mark.parametrize(
    ("method", "path", "kw", "status", "param"),
    BAD_REQUESTS,
    ids=[f"{m} {p} {s} {i}" for i, (m, p, _, s, _) in enumerate(BAD_REQUESTS)],
)
def test_bad_requests_get_the_error_shape_and_leave_the_server_healthy(
    server, method, path, kw, status, param
):
    error_of(server.client.request(method, path, **kw), status, param)
    assert server.get("/health").status_code == 200
    assert all(n == 0 for n in server.get("/health").json()["running"].values())


def test_405_names_the_allowed_method(server):
    assert server.get("/v1/intent").headers["allow"] == "POST"


def test_token(start_server, serve_folders):
    server = start_server([serve_folders["bot"]], token="s3cret-t0ken")
    body = {"text": "hello"}
    missing = server.post("/v1/intent", body)
    assert "Bearer" in error_of(missing, 401)
    assert missing.headers["www-authenticate"].startswith("Bearer")
    error_of(server.post("/v1/intent", body, headers={"Authorization": "Bearer wrong"}), 401)
    error_of(server.post("/v1/intent", body, headers={"Authorization": "Basic s3cret-t0ken"}), 401)
    error_of(server.post("/v1/intent?token=s3cret-t0ken", body), 401)  # never from the URL
    error_of(server.get("/v1/models"), 401)
    ok = server.post("/v1/intent", body, headers={"Authorization": "Bearer s3cret-t0ken"})
    assert ok.status_code == 200 and ok.json()["intent"]["name"] == "greeting"
    assert server.get("/health").status_code == 200  # the probe and the page stay open
    assert server.get("/").status_code == 200
    assert "?token=" in error_of(server.post("/v1/intent?token=s3cret-t0ken", body), 401)
    assert server.get("/webhooks/rest/").json() == {"status": "ok"}  # Rasa's channel probe
    assert server.get("/version").status_code == 200
    error_of(server.get("/status"), 401)  # it names the models: behind the token


def test_model_may_be_omitted_only_when_one_fits(start_server, serve_folders, kind_folders):
    server = start_server([serve_folders["sonnets"], kind_folders / "charmarkov"])
    message = error_of(server.post("/v1/generate", {"max_tokens": 5}), 400, "model")
    assert "charmarkov" in message and "sonnets" in message
    markov = server.post("/v1/generate", {"model": "charmarkov", "max_tokens": 5})
    assert markov.status_code == 200 and len(markov.json()["text"]) == 5
    message = error_of(server.post("/v1/intent", {"text": "hi"}), 400, "model")
    assert "intent" in message


def test_a_full_model_answers_429_and_frees_its_slot(start_server, serve_folders):
    server = start_server([serve_folders["sonnets"]], max_concurrency=1)
    with server.client.stream(
        "POST", "/v1/generate", json={"max_tokens": 4000, "stream": True}
    ) as stream:
        events = stream.iter_lines()  # kept: a dropped iterator closes the connection
        next(events)  # the first event: the slot is taken
        error_of(server.post("/v1/generate", {"max_tokens": 5}), 429, "model")
    for _ in range(100):  # the disconnected stream gives its slot back
        if server.get("/health").json()["running"]["sonnets"] == 0:
            break
        threading.Event().wait(0.02)
    assert server.post("/v1/generate", {"max_tokens": 5}).status_code == 200


def test_an_internal_failure_is_a_500_without_details(start_server, serve_folders, monkeypatch):
    server = start_server([serve_folders["bot"]])
    model = server.api.registry.models["bot"].model

    def explode(*args, **kwargs):
        raise RuntimeError("secret detail /home/me/models")

    monkeypatch.setattr(model, "predict", explode)
    message = error_of(server.post("/v1/intent", {"text": "hi"}), 500)
    assert "secret" not in message
    monkeypatch.undo()
    assert server.post("/v1/intent", {"text": "hi"}).status_code == 200


def test_not_ready_while_loading(start_server, serve_folders):
    from textkit.serve import Registry

    registry = Registry()
    server = start_server(registry)
    error_of(server.get("/health"), 503)
    error_of(server.post("/v1/intent", {"text": "hi"}), 503)
    assert server.get("/v1/models").json() == {"object": "list", "ready": False, "data": []}
    registry.load([serve_folders["bot"]])
    assert server.get("/health").status_code == 200
    assert server.post("/v1/intent", {"text": "hi"}).status_code == 200
