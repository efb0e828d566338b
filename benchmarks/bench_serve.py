"""Load and abuse on `meddialogue serve`, on loopback: throughput and latency at 1, 8 and 32 concurrent clients,
resident memory before and after 1,000 requests, batched greedy answers against the same requests sent alone, and
malformed requests mixed into the stream (each must get its 4xx while the good requests around them succeed).

    python benchmarks/bench_serve.py [--model tiny-qwen-2.5] [--requests 1000] [--clients 1,8,32]

The server runs as its own process (`python -m meddialogue.cli serve`), so its memory is measured apart from the
clients'. Every loop is bounded; nothing leaves 127.0.0.1.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from meddialogue.core.memory import resident_mb

HERE = Path(__file__).resolve().parents[1]
PROMPTS = [f"Patient {i}: weight-for-length z {-3 + i * 0.1:.1f}. What is the ASPEN severity?" for i in range(40)]
MAX_TOKENS = 16


def start_server(model: str, port: int) -> subprocess.Popen:
    env = {**os.environ, "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
    cmd = [sys.executable, "-m", "meddialogue.cli", "serve", model, "--port", str(port),
           "--generation-batch-size", "16"]
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/v1/models", timeout=2).status_code == 200: return proc
        except httpx.HTTPError: time.sleep(0.5)
        if proc.poll() is not None: raise SystemExit(f"the server exited: {proc.stdout.read()[-2000:]}")
    proc.kill()
    raise SystemExit("the server did not start within 180 s")


def good(model: str, i: int) -> dict:
    return {"model": model, "messages": [{"role": "user", "content": PROMPTS[i % len(PROMPTS)]}],
            "max_tokens": MAX_TOKENS}


def malformed(model: str) -> list[tuple[str, object, int]]:
    """`(name, body, expected status)`: a body of None sends text that is not JSON."""
    msg = [{"role": "user", "content": "hi"}]
    return [("not JSON", None, 400),
            ("messages not a list", {"model": model, "messages": "hi"}, 400),
            ("unknown role", {"model": model, "messages": [{"role": "doctor", "content": "hi"}]}, 400),
            ("empty content", {"model": model, "messages": [{"role": "user", "content": ""}]}, 400),
            ("200,000-character prompt", {"model": model, "messages": [{"role": "user", "content": "a b " * 50_000}]}, 400),
            ("negative max_tokens", {"model": model, "messages": msg, "max_tokens": -1}, 400),
            ("zero max_tokens", {"model": model, "messages": msg, "max_tokens": 0}, 400),
            ("unknown model", {"model": "gpt-9", "messages": msg}, 404),
            ("sampling", {"model": model, "messages": msg, "temperature": 0.9}, 400),
            ("n > 1", {"model": model, "messages": msg, "n": 3}, 400)]


def send(client: httpx.Client, url: str, body) -> tuple[int, str | None, float]:
    start = time.perf_counter()
    if body is None: r = client.post(url, content=b"{not json", headers={"content-type": "application/json"})
    else: r = client.post(url, json=body)
    took = time.perf_counter() - start
    reply = r.json()["choices"][0]["message"]["content"] if r.status_code == 200 else None
    return r.status_code, reply, took


def huge_max_tokens(client, url, model) -> tuple[int, str]:
    """A reply asked for 10^9 tokens is capped by the context, not refused: it must come back, finite."""
    r = client.post(url, json={**good(model, 0), "max_tokens": 10**9}, timeout=600)
    return r.status_code, r.json()["choices"][0]["finish_reason"] if r.status_code == 200 else r.text[:80]


def run_level(url: str, model: str, clients: int, n: int, alone: dict[int, str]) -> dict:
    """`n` good requests from `clients` threads, with every malformed request mixed in once per 100."""
    bad = malformed(model)
    jobs = [("good", i, good(model, i), 200) for i in range(n)]
    for k in range(0, n, 100):
        name, body, status = bad[(k // 100) % len(bad)]
        jobs.insert(k, (name, None, body, status))
    with httpx.Client(timeout=600) as client, ThreadPoolExecutor(clients) as pool:
        start = time.perf_counter()
        results = list(pool.map(lambda job: (job, send(client, url, job[2])), jobs))
        wall = time.perf_counter() - start
    latencies = sorted(t for (kind, *_), (status, _, t) in results if kind == "good")
    failed_good = sum(1 for (kind, *_), (status, _, _) in results if kind == "good" and status != 200)
    wrong_status = [(kind, status) for (kind, _, _, want), (status, _, _) in results if kind != "good" and status != want]
    same = sum(1 for (kind, i, _, _), (_, reply, _) in results if kind == "good" and reply == alone[i % len(PROMPTS)])
    q = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000
    return {"clients": clients, "good": n, "malformed": len(jobs) - n, "requests_per_s": n / wall,
            "p50_ms": q(0.50), "p95_ms": q(0.95), "p99_ms": q(0.99), "failed_good": failed_good,
            "malformed_wrong_status": wrong_status, "same_as_alone": same}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--model", default="tiny-qwen-2.5")
    parser.add_argument("--requests", type=int, default=1000)
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--port", type=int, default=18631)
    args = parser.parse_args()
    url = f"http://127.0.0.1:{args.port}/v1/chat/completions"
    proc = start_server(args.model, args.port)
    try:
        with httpx.Client(timeout=600) as client:
            alone = {i: send(client, url, good(args.model, i))[1] for i in range(len(PROMPTS))}
            print(f"huge max_tokens: {huge_max_tokens(client, url, args.model)}")
        before = resident_mb(proc.pid)
        rows = []
        for clients in [int(c) for c in args.clients.split(",")]:
            rows.append(run_level(url, args.model, clients, args.requests, alone))
            rows[-1]["rss_mb"] = resident_mb(proc.pid)
        print(f"server resident memory: {before:.0f} MB after warm-up, "
              + ", ".join(f"{r['rss_mb']:.0f} MB after {r['clients']} clients" for r in rows))
        print("| clients | good requests | malformed | requests/s | p50 ms | p95 ms | p99 ms | failed good | "
              "malformed with wrong status | batched = alone |")
        print("|---|---|---|---|---|---|---|---|---|---|")
        for r in rows:
            print(f"| {r['clients']} | {r['good']} | {r['malformed']} | {r['requests_per_s']:.1f} | {r['p50_ms']:.0f} | "
                  f"{r['p95_ms']:.0f} | {r['p99_ms']:.0f} | {r['failed_good']} | {len(r['malformed_wrong_status'])} | "
                  f"{r['same_as_alone']}/{r['good']} |")
        print(json.dumps(rows))
    finally:
        proc.terminate()
        try: proc.wait(timeout=60)
        except subprocess.TimeoutExpired: proc.kill()


if __name__ == "__main__":
    main()
