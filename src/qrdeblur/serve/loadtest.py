"""``qrdeblur loadtest``: a mixed load against a running ``qrdeblur serve``, with latency and memory.

Client threads send ``POST /scan`` requests (raw bodies, one connection per request, standard library
only) drawn from a fixed, shuffled mix:

- ``good``: generated photos of a code (sharp, and motion blurred over 10 and 14 px, which only the
  deblurring steps read), each expected to read ``EXPECTED_TEXT`` (200);
- ``bad``: bytes that are no image, and a truncated JPEG (422);
- ``bomb``: a PNG whose header claims 20000 x 20000 pixels (422, refused from the header);
- ``oversized``: a body one byte over the server's limit, read from ``/health`` (413).

The report: requests per second, p50/p90/p99/max latency (ms) over all requests and over ``good``
ones, counts by kind and status, good answers that did not read the expected text, and the server's
resident memory (``/health``'s ``rss_bytes``) before and after the run and its peak.
"""

from __future__ import annotations

import http.client
import io
import json
import random
import struct
import threading
import time
import zlib
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import numpy as np

from qrdeblur.errors import UsageError

EXPECTED_TEXT = "qrdeblur load test"
#: Share of each kind in the mix.
MIX = {"good": 0.7, "bad": 0.15, "bomb": 0.05, "oversized": 0.1}
#: Motion blur lengths (px) of the generated good photos (0: sharp).
GOOD_BLURS = (0, 10, 14)


def good_photo(blur_px: int, seed: int = 0) -> bytes:
    """A 640x480 JPEG of a printed code (5 px modules, grey on grey) motion blurred over ``blur_px``."""
    import cv2
    import segno

    buf = io.BytesIO()
    segno.make(EXPECTED_TEXT, error="m", micro=False).save(buf, kind="png", scale=5, border=4)
    code = cv2.imdecode(np.frombuffer(buf.getvalue(), np.uint8), cv2.IMREAD_GRAYSCALE)
    scene = np.full((480, 640), 170, np.float32)
    h, w = code.shape
    scene[100 : 100 + h, 200 : 200 + w] = code.astype(np.float32) * 0.75 + 30
    if blur_px:
        k = np.zeros((blur_px, blur_px), np.float32)
        k[blur_px // 2, :] = 1.0
        centre = (blur_px / 2 - 0.5, blur_px / 2 - 0.5)
        k = cv2.warpAffine(k, cv2.getRotationMatrix2D(centre, 20, 1), (blur_px, blur_px))
        scene = cv2.filter2D(scene, -1, k / k.sum())
    scene += np.random.default_rng(seed).normal(0, 3, scene.shape)
    ok, jpg = cv2.imencode(".jpg", np.clip(scene, 0, 255).astype(np.uint8), [cv2.IMWRITE_JPEG_QUALITY, 90])
    return jpg.tobytes()


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A PNG header (signature, IHDR, an empty IDAT, IEND) claiming ``width`` x ``height`` grey pixels."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", b"") + chunk(b"IEND", b"")


@dataclass
class Result:
    """One request's outcome: its kind, the status (0: no answer), latency, and whether a good one read right."""

    kind: str
    status: int
    ms: float
    read_ok: bool | None = None
    error: str | None = None


@dataclass
class Server:
    """Where the server listens."""

    host: str
    port: int
    timeout: float = 120.0
    limits: dict = field(default_factory=dict)

    @classmethod
    def from_url(cls, url: str, timeout: float = 120.0) -> Server:
        parts = urlsplit(url)
        if parts.scheme != "http" or not parts.hostname:
            raise UsageError(f"loadtest: expected a URL like http://127.0.0.1:8000, got {url!r}")
        return cls(parts.hostname, parts.port or 80, timeout)

    def request(self, method: str, path: str, body: bytes | None = None) -> tuple[int, bytes]:
        """Send one request on a new connection: (status, body). A server that closes the connection
        while the body is still being sent (it refused it early, e.g. 413) still has its answer read."""
        conn = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        try:
            conn.putrequest(method, path)
            if body is not None:
                conn.putheader("Content-Type", "application/octet-stream")
                conn.putheader("Content-Length", str(len(body)))
            conn.endheaders()
            if body:
                try:
                    view = memoryview(body)
                    for i in range(0, len(body), 1 << 16):
                        conn.send(view[i : i + (1 << 16)])
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the answer may already be there
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def health(self) -> dict:
        status, body = self.request("GET", "/health")
        if status != 200:
            raise UsageError(f"loadtest: GET /health answered {status}")
        return json.loads(body)


def _inputs(max_body_bytes: int, seed: int) -> dict[str, list[bytes]]:
    truncated = good_photo(10, seed)
    return {
        "good": [good_photo(px, seed) for px in GOOD_BLURS],
        "bad": [b"this is not an image\n" * 20, truncated[: len(truncated) // 3]],
        "bomb": [bomb_png()],
        "oversized": [b"\0" * (max_body_bytes + 1)],
    }


def _plan(n: int, seed: int) -> list[str]:
    """``n`` request kinds in the :data:`MIX` shares (rounded, every kind at least once when n allows), shuffled."""
    kinds = list(MIX)
    counts = {k: max(1 if n >= len(kinds) else 0, round(MIX[k] * n)) for k in kinds}
    counts["good"] += n - sum(counts.values())
    plan = [k for k in kinds for _ in range(counts[k])]
    random.Random(seed).shuffle(plan)
    return plan


def percentile(values: list[float], q: float) -> float | None:
    """The q-th percentile (0-100) of ``values``, None when empty."""
    return float(np.percentile(values, q)) if values else None


def run_loadtest(url: str, clients: int = 16, requests: int = 500, seed: int = 0, timeout: float = 120.0) -> dict:
    """Send ``requests`` mixed requests from ``clients`` threads to the server at ``url``; the report.

    Raises:
        UsageError: bad counts, a URL that is not ``http://host:port``, a server whose ``/health`` does
            not answer.
    """
    if clients < 1 or requests < 1:
        raise UsageError(f"loadtest: clients and requests must be at least 1, got {clients} and {requests}")
    server = Server.from_url(url, timeout)
    try:
        before = server.health()
    except OSError as exc:
        raise UsageError(f"loadtest: cannot reach {url} ({exc})") from None
    max_body = int(before.get("limits", {}).get("max_body_bytes", 20_000_000))
    inputs = _inputs(max_body, seed)
    plan = _plan(requests, seed)
    results: list[Result] = []
    lock = threading.Lock()
    next_index = iter(range(len(plan)))

    def client() -> None:
        while True:
            with lock:
                i = next(next_index, None)
            if i is None:
                return
            kind = plan[i]
            body = inputs[kind][i % len(inputs[kind])]
            t0 = time.perf_counter()
            try:
                status, answer = server.request("POST", "/scan", body)
                error = None
            except OSError as exc:
                status, answer, error = 0, b"", f"{type(exc).__name__}: {exc}"
            ms = (time.perf_counter() - t0) * 1000
            read_ok = None
            if kind == "good" and status == 200:
                texts = [c.get("text") for c in json.loads(answer).get("codes", [])]
                read_ok = EXPECTED_TEXT in texts
            with lock:
                results.append(Result(kind, status, ms, read_ok, error))

    t0 = time.perf_counter()
    threads = [threading.Thread(target=client, daemon=True) for _ in range(clients)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - t0
    after = server.health()
    return _report(results, clients, wall, before, after)


def _report(results: list[Result], clients: int, wall_s: float, before: dict, after: dict) -> dict:
    by_kind: dict[str, dict[str, int]] = {}
    for r in results:
        counts = by_kind.setdefault(r.kind, {})
        counts[str(r.status)] = counts.get(str(r.status), 0) + 1
    all_ms = [r.ms for r in results]
    good_ms = [r.ms for r in results if r.kind == "good" and r.status == 200]

    def stats(values: list[float]) -> dict:
        return {name: (round(v, 1) if v is not None else None)
                for name, v in (("p50", percentile(values, 50)), ("p90", percentile(values, 90)),
                                ("p99", percentile(values, 99)), ("max", max(values) if values else None))}

    return {
        "requests": len(results),
        "clients": clients,
        "wall_s": round(wall_s, 2),
        "per_s": round(len(results) / wall_s, 2) if wall_s > 0 else None,
        "latency_ms": stats(all_ms),
        "good_latency_ms": stats(good_ms),
        "by_kind": by_kind,
        "good_misread": sum(1 for r in results if r.read_ok is False),
        "no_answer": [r.error for r in results if r.status == 0][:5],
        "server": {
            "pid_before": before.get("pid"),
            "pid_after": after.get("pid"),
            "rss_before_mb": _mb(before.get("rss_bytes")),
            "rss_after_mb": _mb(after.get("rss_bytes")),
            "peak_rss_mb": _mb(after.get("peak_rss_bytes")),
            "served": after.get("served"),
            "rejected": after.get("rejected"),
        },
    }


def _mb(n) -> float | None:
    return round(n / 1e6, 1) if n is not None else None


def format_report(report: dict) -> str:
    """The report as a few lines of text."""
    lat, good, srv = report["latency_ms"], report["good_latency_ms"], report["server"]
    lines = [
        f"{report['requests']} requests from {report['clients']} clients in {report['wall_s']} s "
        f"({report['per_s']} requests/s)",
        "latency ms, all:  " + "  ".join(f"{k} {v}" for k, v in lat.items()),
        "latency ms, good: " + "  ".join(f"{k} {v}" for k, v in good.items()),
        "status by kind:",
    ]
    for kind, counts in sorted(report["by_kind"].items()):
        shown = ", ".join(f"{status}: {n}" for status, n in sorted(counts.items()))
        lines.append(f"  {kind:<10} {shown}")
    lines.append(f"good answers without the expected text: {report['good_misread']}")
    if report["no_answer"]:
        lines.append(f"no answer (first ones): {report['no_answer']}")
    pid = srv["pid_after"] if srv["pid_before"] == srv["pid_after"] else f"{srv['pid_before']}/{srv['pid_after']}"
    lines.append(
        f"server (pid {pid}) RSS: {srv['rss_before_mb']} MB before, {srv['rss_after_mb']} MB after, "
        f"peak {srv['peak_rss_mb']} MB; served {srv['served']}, refused busy {srv['rejected']}"
    )
    return "\n".join(lines)
