"""The page in a real browser: the system Chromium driven by Playwright (never `playwright
install`, which downloads a browser).  One chat turn, one streamed generation that grows
before it finishes, one author query; no console errors; no request leaves the server.

Where no browser is installed the test is skipped, except when TEXTKIT_REQUIRE_BROWSER is set
(CI sets it): there a missing browser fails the run."""

from __future__ import annotations

import os
import re
import shutil

import pytest

BROWSER_NAMES = ("chromium", "chromium-browser", "google-chrome")


def chromium_path() -> str:
    path = os.environ.get("TEXTKIT_CHROMIUM") or next(
        (p for p in map(shutil.which, BROWSER_NAMES) if p), None
    )
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        path = None
    if path is None:
        message = "needs Playwright (pip) and a system Chromium (apt-get install chromium)"
        if os.environ.get("TEXTKIT_REQUIRE_BROWSER"):
            pytest.fail(message)
        pytest.skip(message)
    return path


def throttle(server, monkeypatch) -> None:
    """Slow the generator to ~500 characters/s, so a 4,000-character text is still streaming
    when the test looks at it and presses Stop, however fast the machine."""
    import time

    model = server.api.registry.models["sonnets"].model
    generate = model.generate

    def slow(*args, on_text=None, **kwargs):
        def on_text_slowly(row, chunk):
            time.sleep(0.002 * len(chunk))
            on_text(row, chunk)

        return generate(*args, on_text=on_text_slowly if on_text else None, **kwargs)

    monkeypatch.setattr(model, "generate", slow)


@pytest.fixture
def page(server, tmp_path):
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=executable,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1400, "height": 900})
        tab = context.new_page()
        tab.problems, tab.requests = [], []
        tab.on("console", lambda m: m.type in ("error", "warning") and tab.problems.append(m.text))
        tab.on("pageerror", lambda exc: tab.problems.append(str(exc)))
        tab.on("request", lambda r: tab.requests.append(r.url))
        try:
            yield tab
            tab.screenshot(path=tmp_path / "page.png", full_page=True)
            assert (tmp_path / "page.png").stat().st_size > 10_000
        finally:
            browser.close()


def test_the_page_chats_generates_and_ranks_authors(server, page, presidents, monkeypatch):
    from playwright.sync_api import expect

    throttle(server, monkeypatch)
    page.goto(server.url + "/")
    expect(page.locator("#status")).to_contain_text("3 models")

    # chat: one turn, with the intent and confidence under the reply
    page.fill("#chat-input", "when do you open on sunday?")
    page.click("#chat-send")
    reply = page.locator(".msg.bot").first
    reply.wait_for()
    assert "opening_hours" in reply.locator(".meta").text_content()
    assert page.locator(".msg.user").first.text_content() == "when do you open on sunday?"
    page.fill("#chat-input", "asdkjh qwe")
    page.click("#chat-send")
    page.locator(".msg.bot.fallback").wait_for()
    assert "fallback" in page.locator(".msg.bot.fallback .meta").text_content()

    # generation: the text grows while the Stop button is live, then Stop aborts it
    page.fill("#gen-prompt", "Shall I ")
    page.fill("#gen-len", "4000")
    page.fill("#gen-seed", "7")
    page.click("#gen-start")
    expect(page.locator("#gen-out")).to_have_text(re.compile(r"^Shall I [\s\S]{32}"))
    assert page.is_enabled("#gen-stop")  # still generating: the text grew before the end
    page.click("#gen-stop")
    expect(page.locator("#gen-note")).to_have_text("stopped")
    assert page.is_enabled("#gen-start") and page.is_disabled("#gen-stop")
    page.fill("#gen-len", "60")
    page.click("#gen-start")
    expect(page.locator("#gen-note")).to_have_text(re.compile("^finished: length"))
    shown = page.locator("#gen-out").text_content()
    expected = server.post(
        "/v1/generate", {"prompt": "Shall I ", "max_tokens": 60, "seed": 7, "temperature": 0.8}
    ).json()["text"]
    assert shown == "Shall I " + expected

    # authorship: one text per line, ranked authors as bars
    lincoln = [t for t, a in presidents[1] if a == "Lincoln"][:8]
    page.fill("#author-texts", "\n".join(lincoln))
    page.click("#author-go")
    page.locator("#author-result .bar").first.wait_for()
    assert page.locator("#author-result .bar").count() == 4
    assert page.locator("#author-result .bar .name").first.text_content() == "Lincoln"
    assert "most likely Lincoln" in page.locator("#author-note").text_content()

    assert page.problems == []
    assert page.requests and all(url.startswith(server.url + "/") for url in page.requests)


def test_user_text_is_shown_as_text_never_as_markup(server, page):
    from playwright.sync_api import expect

    page.goto(server.url + "/")
    expect(page.locator("#status")).to_contain_text("models served")
    attack = "<img src=x onerror=\"document.title='pwned'\"><b>bold</b>"
    page.fill("#chat-input", attack)
    page.click("#chat-send")
    page.locator(".msg.bot").first.wait_for()
    assert page.locator(".msg.user").first.text_content() == attack
    assert page.locator(".msg img, .msg b").count() == 0 and page.title() == "textkit"
    assert page.problems == []


@pytest.fixture
def token_server(start_server, serve_folders):
    return start_server([serve_folders["bot"]], token="page-t0ken")


def test_the_page_asks_for_the_token(token_server, serve_folders, tmp_path):
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(token_server.url + "/")
            expect(page.locator("#token-box")).to_be_visible()
            expect(page.locator("#chat-panel")).to_be_hidden()
            page.fill("#token", "page-t0ken")
            page.click("#token-form button")
            expect(page.locator("#status")).to_contain_text("1 model served")
            page.fill("#chat-input", "hello there")
            page.click("#chat-send")
            expect(page.locator(".msg.bot .meta")).to_contain_text("greeting")
        finally:
            browser.close()


@pytest.fixture
def entity_server(start_server, tmp_path):
    import json
    import warnings

    from _support.entity_bot import BOT

    from textkit.intent import IntentClassifier

    (tmp_path / "intents.json").write_text(json.dumps(BOT, ensure_ascii=False), encoding="utf-8")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        IntentClassifier().fit(tmp_path / "intents.json", tmp_path / "bot", {"progress": False})
    return start_server([tmp_path / "bot"])


def test_the_page_marks_the_entities_of_a_message(entity_server, tmp_path):
    """Offsets count code points: an emoji before the entity must not shift the mark."""
    from playwright.sync_api import expect, sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium_path(), args=["--no-sandbox", "--disable-gpu"]
        )
        try:
            page = browser.new_page()
            page.goto(entity_server.url + "/")
            page.fill("#chat-input", "🙂 weather in Vienna")
            page.click("#chat-send")
            expect(page.locator(".msg.user mark.entity")).to_have_count(1)
            mark = page.locator(".msg.user mark.entity")
            assert mark.text_content() == "Viennacity"  # the words, then the entity's name
            assert "city = Vienna" in mark.get_attribute("title")
            assert page.locator(".msg.user").first.text_content() == "🙂 weather in Viennacity"
            expect(page.locator(".msg.bot").first).to_contain_text(
                "Here is the weather for Vienna."
            )
            page.screenshot(path=tmp_path / "entities.png")
        finally:
            browser.close()
