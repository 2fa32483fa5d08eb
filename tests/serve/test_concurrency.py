"""The service under concurrent requests on a real uvicorn server: every request answered, the work off
the event loop, and a full queue answered 503 with Retry-After."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from email.message import Message


def post(url: str, body: bytes, timeout: float = 120) -> tuple[int, dict, Message]:
    """POST a raw body: (status, JSON answer, headers, read case-insensitively)."""
    req = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "image/jpeg"})
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:
            return r.status, json.loads(r.read()), r.headers
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read()), e.headers


def get_json(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=30) as r:
        return json.loads(r.read())


def test_concurrent_requests_are_all_answered(shared_server, example_bytes, example_text):
    with ThreadPoolExecutor(6) as pool:
        answers = list(pool.map(lambda _: post(f"{shared_server.url}/scan", example_bytes), range(6)))
    assert [status for status, _, _ in answers] == [200] * 6
    assert all([c["text"] for c in record["codes"]] == [example_text] for _, record, _ in answers)


def test_full_queue_is_503_with_retry_after(shared_server, engine, example_bytes, monkeypatch):
    started, release = threading.Event(), threading.Event()
    real_scan = engine.scan

    def blocking_scan(*args):
        started.set()
        release.wait(60)
        return real_scan(*args)

    monkeypatch.setattr(engine, "scan", blocking_scan)
    monkeypatch.setattr(engine.config, "max_queue", 1)
    rejected = engine.rejected
    url = f"{shared_server.url}/scan"
    with ThreadPoolExecutor(2) as pool:
        try:
            running = pool.submit(post, url, example_bytes)
            assert started.wait(30), "the first request never reached the worker"
            waiting = pool.submit(post, url, example_bytes)
            deadline = time.monotonic() + 30
            while get_json(f"{shared_server.url}/health")["queue"]["waiting"] < 1:
                assert time.monotonic() < deadline, "the second request never queued"
                time.sleep(0.02)
            t0 = time.perf_counter()
            health = get_json(f"{shared_server.url}/health")  # the event loop is free while the worker is busy
            assert time.perf_counter() - t0 < 1.0
            assert health["queue"] == {"running": 1, "waiting": 1, "limit": 1, "concurrency": 1}
            status, body, headers = post(url, example_bytes)
            assert status == 503
            assert body["error"].startswith("server busy: 1 requests waiting (queue limit 1); retry in ")
            assert int(headers["Retry-After"]) >= 1
        finally:
            release.set()
        assert running.result()[0] == 200 and waiting.result()[0] == 200
    assert engine.rejected == rejected + 1
    assert get_json(f"{shared_server.url}/health")["queue"]["waiting"] == 0
