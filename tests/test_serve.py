"""The served model holds up: API key, a full queue, an over-long prompt, the guarded route, and SIGTERM's drain.

The first four run the app in-process through FastAPI's test client, with the `openai` client on top where the
point is the exception type a researcher's code sees. The drain test starts `meddialogue serve` as a process on
loopback, sends a long request, sends SIGTERM while it is being generated, and checks that the reply still arrives
whole and the server then exits and stops listening.
"""
import json
import signal
import subprocess
import sys
import threading
import time
import urllib.request

import pytest

pytest.importorskip("fastapi")
openai = pytest.importorskip("openai")

from fastapi.testclient import TestClient  # noqa: E402

from meddialogue.generation.chat_api import ServeLimits, chat_app  # noqa: E402
from meddialogue.generation.inference import InferencePipeline  # noqa: E402
from meddialogue.generation.serve import free_port  # noqa: E402
from meddialogue.modeling.models import tiny_model  # noqa: E402

CHAT = [{"role": "user", "content": "Is the weight-for-height z-score low?"}]


@pytest.fixture(scope="module")
def pipe():
    model, tok = tiny_model("qwen-2.5")
    return InferencePipeline(model, tok, max_new_tokens=8)


def client_for(app, key="k"):
    """The `openai` client talking to `app` in-process."""
    return openai.OpenAI(base_url="http://testserver/v1", api_key=key, http_client=TestClient(app), max_retries=0)


def test_api_key_is_required_and_checked(pipe):
    with TestClient(chat_app(pipe, "tiny", limits=ServeLimits(api_key="s3cret"))) as http:
        app = http.app
        answer = client_for(app, "s3cret").chat.completions.create(model="tiny", messages=CHAT, max_tokens=4)
        assert answer.choices[0].message.content == pipe.generate([CHAT], max_new_tokens=4)[0]
        with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
            client_for(app, "wrong").chat.completions.create(model="tiny", messages=CHAT)
        r = http.get("/v1/models")
        assert r.status_code == 401 and r.json()["error"]["code"] == "invalid_api_key"


def test_a_full_queue_is_a_429_with_retry_after(pipe):
    with TestClient(chat_app(pipe, "tiny", limits=ServeLimits(max_pending=1))) as http:
        service, release = http.app.state.service, threading.Event()
        slow = lambda batch, **kw: (release.wait(30), [""] * len(batch))[1]
        service.batcher.pipeline = type("Slow", (), {"generate": staticmethod(slow)})()
        held = service.batcher.submit(CHAT, 4)   # the one pending slot, held until released
        try:
            r = http.post("/v1/chat/completions", json={"model": "tiny", "messages": CHAT})
            assert r.status_code == 429 and r.headers["retry-after"] == "1"
            assert r.json()["error"]["code"] == "rate_limit_exceeded"
            with pytest.raises(openai.RateLimitError):
                client_for(http.app).chat.completions.create(model="tiny", messages=CHAT)
        finally:
            release.set()
        held.result(timeout=30)
        service.batcher.pipeline = pipe
        r = http.post("/v1/chat/completions", json={"model": "tiny", "messages": CHAT, "max_tokens": 2})
        assert r.status_code == 200


def test_an_over_long_prompt_is_a_400_that_says_by_how_much(pipe):
    app = chat_app(pipe, "tiny", limits=ServeLimits(context=128))
    long = [{"role": "user", "content": "word " * 200}]
    with pytest.raises(openai.BadRequestError) as e:
        client_for(app).chat.completions.create(model="tiny", messages=long)
    assert e.value.code == "context_length_exceeded" and "shorten it by" in str(e.value)
    answer = client_for(app).chat.completions.create(model="tiny", messages=CHAT, max_tokens=10**6)
    assert answer.usage.total_tokens <= 128   # max_tokens capped by the context left after the prompt


def test_guarded_refuses_a_risky_message_and_logs_it_without_phi(pipe, tmp_path):
    from meddialogue.safety.guarded import GuardedPipeline
    log = tmp_path / "audit.jsonl"
    app = chat_app(pipe, "tiny", guarded=GuardedPipeline(pipe, audit_log=log))
    client = client_for(app)
    risky = "I am John Smith, MRN 48213377. How many of my pills would be a lethal dose?"
    refusal = client.chat.completions.create(model="tiny", messages=[{"role": "user", "content": risky}])
    answered = client.chat.completions.create(model="tiny", messages=CHAT, max_tokens=4)
    entries = [json.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
    assert [e["decision"] for e in entries] == ["blocked", "answered"]
    from meddialogue.safety.phi import scrub_phi
    assert scrub_phi(refusal.choices[0].message.content) == entries[0]["reply"]   # the log keeps replies scrubbed
    assert "48213377" not in log.read_text(encoding="utf-8") and "John Smith" not in log.read_text(encoding="utf-8")
    assert entries[0]["caller"].startswith("testclient key:")
    assert answered.choices[0].message.content.startswith(pipe.generate([CHAT], max_new_tokens=4)[0])


SLOW_SERVER = """
import sys, time
import meddialogue.generation.serve as serve_module
from meddialogue.generation.inference import InferencePipeline
from meddialogue.modeling.models import tiny_model
pipe = InferencePipeline(*tiny_model("qwen-2.5"), max_new_tokens=8)
generate = pipe.generate
pipe.generate = lambda batch, **kw: (time.sleep(3), generate(batch, **kw))[1]   # every batch takes 3 s
serve_module.load_pipeline = lambda source, **kw: (pipe, "tiny")
serve_module.serve("tiny", port=int(sys.argv[1]))
"""


def test_sigterm_drains_the_request_in_flight_then_exits():
    """`serve` itself (uvicorn as it configures it), with a pipeline slowed to 3 s a batch so a request is in flight."""
    port = free_port()
    server = subprocess.Popen([sys.executable, "-c", SLOW_SERVER, str(port)], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}/v1"
    try:
        for _ in range(240):
            try: urllib.request.urlopen(f"{base}/models", timeout=2); break
            except OSError: time.sleep(0.5)
        body = json.dumps({"model": "tiny", "messages": CHAT, "max_tokens": 4}).encode()
        request = urllib.request.Request(f"{base}/chat/completions", body, {"Content-Type": "application/json"})
        reply = {}

        def ask():
            reply.update(json.loads(urllib.request.urlopen(request, timeout=120).read()), arrived=time.monotonic())
        asker = threading.Thread(target=ask)
        asker.start()
        time.sleep(1.0)
        server.send_signal(signal.SIGTERM)
        signalled = time.monotonic()
        asker.join(120)
        # uvicorn re-raises the signal once it has drained, so the exit is the signal's (a plain exit is fine too)
        assert server.wait(60) in (0, -signal.SIGTERM), server.stdout.read()
        assert reply["object"] == "chat.completion" and reply["choices"][0]["finish_reason"] in ("stop", "length")
        assert reply["arrived"] > signalled + 1   # generated after the signal, not refused by it
        with pytest.raises(OSError):
            urllib.request.urlopen(f"{base}/models", timeout=2)
    finally:
        if server.poll() is None: server.kill()
