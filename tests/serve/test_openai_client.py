"""The official ``openai`` Python client against ``textkit serve``, unchanged: completions and
chat completions (whole and streamed), several prompts and ``n`` texts each, stop strings,
``echo``, per-character ``logprobs``, ``include_usage``, model entries, the API key as the
bearer token, and a named 400 for what a character model can't do."""

from __future__ import annotations

import math

import pytest

openai = pytest.importorskip("openai")

TOKEN = "s3cret-t0ken"


@pytest.fixture(scope="module")
def live(start_server, serve_folders):
    return start_server([serve_folders["sonnets"]], token=TOKEN)


@pytest.fixture(scope="module")
def client(live):
    return openai.OpenAI(base_url=f"{live.url}/v1", api_key=TOKEN, max_retries=0)


def test_models_list_and_retrieve(client, live):
    (entry,) = client.models.list().data
    assert entry.id == "sonnets" and entry.owned_by == "textkit" and entry.created > 1.6e9
    assert client.models.retrieve("sonnets").id == "sonnets"
    with pytest.raises(openai.NotFoundError):
        client.models.retrieve("nothing")
    stranger = openai.OpenAI(base_url=f"{live.url}/v1", api_key="wrong", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        stranger.models.list()


def test_several_prompts_with_n_texts_each_and_echo(client):
    prompts = ["Shall I ", "My love "]
    asked = dict(model="sonnets", prompt=prompts, n=3, max_tokens=25, seed=4, echo=True)
    reply = client.completions.create(**asked)
    assert [c.index for c in reply.choices] == list(range(6))
    for c in reply.choices:
        prompt = prompts[c.index // 3]
        assert c.text.startswith(prompt) and len(c.text) == len(prompt) + 25
    assert len({c.text for c in reply.choices}) == 6  # n texts are n independent draws
    assert reply.usage.prompt_tokens == 16 and reply.usage.completion_tokens == 6 * 25
    assert client.completions.create(**asked).choices == reply.choices  # the seed decides


def test_stop_strings_end_each_text_at_the_first_one(client):
    reply = client.completions.create(
        model="sonnets", prompt="Shall I ", n=4, max_tokens=400, seed=1, stop=["e", "o", "\n"]
    )
    for c in reply.choices:
        assert c.finish_reason == "stop" and not set(c.text) & {"e", "o", "\n"}
    assert any(c.text for c in reply.choices)


def test_completion_logprobs_are_the_models_per_character_distribution(client):
    reply = client.completions.create(
        model="sonnets", prompt="Shall I ", max_tokens=40, seed=2, temperature=0, logprobs=5
    )
    (choice,) = reply.choices
    lp = choice.logprobs
    assert "".join(lp.tokens) == choice.text and len(lp.tokens) == 40
    assert lp.text_offset == list(range(40))
    for token, logprob, top in zip(lp.tokens, lp.token_logprobs, lp.top_logprobs, strict=True):
        assert len(top) == 5 and sum(math.exp(v) for v in top.values()) <= 1 + 1e-5
        # greedy decoding draws the most likely character: its log-probability tops the list
        assert top[token] == pytest.approx(logprob) == pytest.approx(max(top.values()))
        assert logprob <= 0


def test_chat_joins_the_messages_into_the_prompt(client, live):
    messages = [
        {"role": "system", "content": "Sonnets only."},
        {"role": "user", "content": [{"type": "text", "text": "Shall I compare thee"}]},
    ]
    reply = client.chat.completions.create(
        model="sonnets", messages=messages, max_completion_tokens=30, seed=7
    )
    (choice,) = reply.choices
    assert reply.object == "chat.completion" and reply.id.startswith("chatcmpl-")
    assert choice.message.role == "assistant" and len(choice.message.content) == 30
    assert choice.finish_reason == "length" and choice.logprobs is None
    # the documented join: each content on its own line, and a newline to start the reply
    prompt = "Sonnets only.\nShall I compare thee\n"
    plain = live.post(
        "/v1/completions",
        {"prompt": prompt, "max_tokens": 30, "seed": 7},
        headers={"Authorization": f"Bearer {TOKEN}"},
    )
    assert plain.json()["choices"][0]["text"] == choice.message.content
    assert reply.usage.prompt_tokens == len(prompt)


def test_chat_streams_its_reply_and_then_the_usage(client):
    asked = dict(
        model="sonnets", messages=[{"role": "user", "content": "Love"}], max_tokens=60, seed=3
    )
    whole = client.chat.completions.create(**asked).choices[0].message.content
    chunks = list(
        client.chat.completions.create(**asked, stream=True, stream_options={"include_usage": True})
    )
    assert chunks[0].choices[0].delta.role == "assistant"
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == whole
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "length"
    assert chunks[-1].choices == [] and chunks[-1].usage.completion_tokens == len(whole) == 60


def test_chat_logprobs_in_openais_shape(client):
    reply = client.chat.completions.create(
        model="sonnets",
        messages=[{"role": "user", "content": "Thy"}],
        max_tokens=20,
        seed=5,
        logprobs=True,
        top_logprobs=3,
    )
    (choice,) = reply.choices
    content = choice.logprobs.content
    assert "".join(t.token for t in content) == choice.message.content
    for t in content:
        assert t.bytes == list(t.token.encode()) and len(t.top_logprobs) == 3
        assert t.logprob <= max(a.logprob for a in t.top_logprobs) + 1e-6


def test_streamed_completions_with_n_match_the_whole_answer(client):
    asked = dict(model="sonnets", prompt="When ", n=2, max_tokens=50, seed=9, logprobs=1)
    whole = client.completions.create(**asked).choices
    texts, offsets = ["", ""], [[], []]
    for chunk in client.completions.create(**asked, stream=True):
        for c in chunk.choices:
            texts[c.index] += c.text
            offsets[c.index] += c.logprobs.text_offset if c.logprobs else []
    assert texts == [c.text for c in whole]
    assert offsets == [list(range(50))] * 2  # offsets run on across chunks


@pytest.mark.parametrize(
    ("extra", "param"),
    [
        ({"tools": [{"type": "function", "function": {"name": "f"}}]}, "tools"),
        ({"logit_bias": {"1": 5}}, "logit_bias"),
        ({"presence_penalty": 1.0}, "presence_penalty"),
    ],
)
def test_what_textkit_cant_honour_is_a_400_naming_it(client, extra, param):
    with pytest.raises(openai.BadRequestError) as refused:
        client.chat.completions.create(
            model="sonnets", messages=[{"role": "user", "content": "a"}], **extra
        )
    assert refused.value.param == param
