"""The service's endpoints through FastAPI's TestClient: the scan record, uploads both ways, the limits and
their JSON errors, /deblur checked by decoding, /health, /version, the offline docs and page."""

from __future__ import annotations

import base64
import hashlib
import re

import cv2
import numpy as np
import pytest

import qrdeblur


def _png(image: np.ndarray) -> bytes:
    ok, buf = cv2.imencode(".png", image)
    assert ok
    return buf.tobytes()


def _decode_png(data: bytes) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)


def test_scan_multipart_reads_the_example_like_scan_json(client, example_path, example_bytes, example_text):
    from qrdeblur.scan.batch import scan_paths

    r = client.post("/scan", files={"file": ("webcam-motion-blur.jpg", example_bytes, "image/jpeg")})
    assert r.status_code == 200
    record = r.json()
    assert set(record) == {"path", "codes", "ms", "error"}
    assert record["path"] == "webcam-motion-blur.jpg"
    assert record["error"] is None
    assert [(c["text"], c["method"]) for c in record["codes"]] == [(example_text, "deblur")]
    # the same record as `scan --json` gives for the file, but for the path and the time
    (cli_record,) = scan_paths([example_path])
    assert set(cli_record) == set(record)
    assert record["codes"] == cli_record["codes"]


def test_scan_raw_body(client, example_bytes, example_text):
    r = client.post("/scan", content=example_bytes, headers={"Content-Type": "image/jpeg"})
    assert r.status_code == 200
    assert r.json()["path"] == "upload"
    assert [c["text"] for c in r.json()["codes"]] == [example_text]
    # curl --data-binary sends a form content type: still the raw image
    r = client.post("/scan", content=example_bytes, headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert [c["text"] for c in r.json()["codes"]] == [example_text]


def test_scan_of_a_photo_without_a_code_is_a_success(client):
    noise = np.random.default_rng(0).integers(0, 255, (120, 160), dtype=np.uint8)
    r = client.post("/scan", content=_png(noise))
    assert r.status_code == 200
    assert r.json()["codes"] == [] and r.json()["error"] is None


@pytest.mark.parametrize(
    ("body", "words"),
    [
        (b"this is no image at all" * 10, "not an image"),
        (_png(np.zeros((10, 10), np.uint8)), "too small"),
    ],
    ids=["text", "tiny"],
)
def test_unreadable_image_is_422_with_the_reason(client, body, words):
    r = client.post("/scan", files={"file": ("bad.png", body, "image/png")})
    assert r.status_code == 422
    record = r.json()
    assert record["path"] == "bad.png" and record["codes"] == []
    assert words in record["error"] and "\n" not in record["error"]


def test_truncated_jpeg_is_422(client, example_bytes):
    r = client.post("/scan", content=example_bytes[: len(example_bytes) // 2])
    assert r.status_code == 422
    assert "truncated or corrupt" in r.json()["error"]


def test_decompression_bomb_is_refused_from_its_header(client, bomb_bytes):
    r = client.post("/scan", content=bomb_bytes)
    assert r.status_code == 422
    assert "decompression bomb" in r.json()["error"] and "400 MP" in r.json()["error"]
    assert r.json()["ms"] < 1000
    r = client.post("/deblur", content=bomb_bytes)
    assert r.status_code == 422 and "decompression bomb" in r.json()["error"]


def test_body_over_the_limit_is_413(client):
    huge = b"\0" * 20_000_001
    r = client.post("/scan", content=huge)
    assert r.status_code == 413
    assert r.json() == {"error": "request body over the 20 MB limit"}
    r = client.post("/scan", files={"file": ("big.png", huge, "image/png")})
    assert r.status_code == 413
    r = client.post("/deblur", content=huge)
    assert r.status_code == 413


def test_body_over_the_limit_without_content_length_is_413(client):
    def chunks():  # a chunked upload: no Content-Length, counted as it arrives
        for _ in range(21):
            yield b"\0" * 1_000_000

    r = client.post("/scan", content=chunks())
    assert r.status_code == 413
    assert "over the 20 MB limit" in r.json()["error"]


def test_bad_parameters_are_422_in_one_line(client, example_bytes):
    r = client.post("/scan?effort=max", content=example_bytes)
    assert r.status_code == 422
    assert r.json() == {"error": "effort: Input should be 'normal' or 'high'"}
    r = client.post("/scan?budget_ms=-5", content=example_bytes)
    assert r.status_code == 422 and r.json()["error"].startswith("budget_ms:")
    r = client.post("/scan", content=b"")
    assert r.status_code == 422 and "empty image" in r.json()["error"]
    r = client.post("/scan", files={"other": ("a.jpg", example_bytes, "image/jpeg")})
    assert r.status_code == 422 and "field 'file'" in r.json()["error"]


def test_budget_is_capped(engine):
    cap = engine.config.max_budget_ms
    assert engine.budget_ms(None, "normal") == 800
    assert engine.budget_ms(10 * cap, "normal") == cap
    assert engine.budget_ms(None, "high") == min(6000, cap)
    assert engine.budget_ms(0, "high") == 0


def test_budget_zero_still_reads_plainly_readable_codes(client):
    import segno

    code = np.array(segno.make("plain read", micro=False).matrix, np.uint8)
    image = np.kron(1 - code, np.ones((6, 6), np.uint8)) * 255
    image = np.pad(image, 24, constant_values=255)
    r = client.post("/scan?budget_ms=0", content=_png(image))
    assert [(c["text"], c["method"]) for c in r.json()["codes"]] == [("plain read", "raw")]


def test_debug_returns_the_region_before_and_after_restoration(client, example_bytes, example_text, zxing):
    r = client.post("/scan?debug=1", content=example_bytes)
    assert r.status_code == 200
    (entry,) = r.json()["debug"]
    assert entry["method"] == "deblur" and entry["texts"] == [example_text]
    before = _decode_png(base64.b64decode(entry["before_png_b64"]))
    after = _decode_png(base64.b64decode(entry["after_png_b64"]))
    assert before.shape == after.shape == (174, 174)
    assert [x.text for x in zxing.decode(before)] == []  # the blurred region does not read ...
    assert [x.text for x in zxing.decode(after)] == [example_text]  # ... its restoration does
    assert "debug" not in client.post("/scan", content=example_bytes).json()


def test_deblur_restores_a_code_crop_the_decoder_then_reads(client, zxing):
    from qrdeblur.restore.deblurrer import Deblurrer
    from qrdeblur.synth.presets import paper_pair

    local = Deblurrer.load()
    for seed in range(40):  # the first paper80-style crop that only the restoration makes readable
        pair = paper_pair(np.random.default_rng(seed))
        blurred = np.round(np.clip(pair.blurred, 0, 1) * 255).astype(np.uint8)
        if not zxing.decode(blurred) and zxing.decode(local.deblur(blurred)):
            break
    else:
        pytest.fail("no blurred crop that the shipped generator restores to a readable code")
    expected = [x.text for x in zxing.decode(pair.sharp)]
    upload = cv2.cvtColor(blurred, cv2.COLOR_RGB2BGR)
    r = client.post("/deblur", files={"file": ("crop.png", _png(upload), "image/png")})
    assert r.status_code == 200 and r.headers["content-type"] == "image/png"
    restored = cv2.cvtColor(_decode_png(r.content), cv2.COLOR_BGR2RGB)
    assert restored.shape == blurred.shape
    assert [x.text for x in zxing.decode(restored)] == expected


def test_deblur_refuses_an_image_over_its_pixel_limit(client, engine, monkeypatch):
    monkeypatch.setattr(engine.config, "max_deblur_pixels", 10_000)
    r = client.post("/deblur", content=_png(np.full((120, 120), 200, np.uint8)))
    assert r.status_code == 422
    assert r.json()["error"].startswith("image of 120x120 pixels is above the 0.01 MP /deblur restores")


def test_health_and_version(client):
    from qrdeblur.restore.deblurrer import shipped_model_path

    h = client.get("/health").json()
    assert h["status"] == "ok" and h["rss_bytes"] > 10_000_000 and h["peak_rss_bytes"] >= h["rss_bytes"]
    assert h["queue"] == {"running": 0, "waiting": 0, "limit": 8, "concurrency": 1}
    assert h["limits"]["max_body_bytes"] == 20_000_000
    v = client.get("/version").json()
    assert v["version"] == qrdeblur.__version__
    weights = shipped_model_path().parent
    assert [(m["role"], m["file"]) for m in v["models"]] == [
        ("scan", "scan-wiener-qrunet.onnx"), ("deblur", "wiener-qrunet.onnx"),
    ]  # fmt: skip
    for m in v["models"]:
        assert m["sha256"] == hashlib.sha256((weights / m["file"]).read_bytes()).hexdigest()


def test_unknown_route_and_method_are_json(client):
    assert client.get("/nope").json() == {"error": "Not Found"}
    r = client.get("/scan")
    assert r.status_code == 405 and r.json() == {"error": "Method Not Allowed"}


EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["'](?:https?:)?//|url\(\s*["']?(?:https?:)?//|fetch\(\s*["']https?:""")


def test_page_and_docs_load_nothing_from_elsewhere(client):
    page = client.get("/")
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    assert 'capture="environment"' in page.text and 'src="/static/app.js"' in page.text
    script = client.get("/static/app.js")
    assert script.status_code == 200 and "fetch(\"/scan\"" in script.text
    docs = client.get("/docs")
    assert docs.status_code == 200
    for text in (page.text, script.text, docs.text):
        assert not EXTERNAL.search(text), EXTERNAL.search(text)
    assert "/docs-assets/swagger-ui-bundle.js" in docs.text
    assert client.get("/docs-assets/swagger-ui-bundle.js").status_code == 200
    assert client.get("/docs-assets/swagger-ui.css").status_code == 200


def test_openapi_documents_the_endpoints(client):
    spec = client.get("/openapi.json").json()
    assert {"/scan", "/deblur", "/health", "/version"} <= set(spec["paths"])
    scan = spec["paths"]["/scan"]["post"]
    assert {p["name"] for p in scan["parameters"]} == {"budget_ms", "effort", "debug"}
    content = scan["requestBody"]["content"]
    assert content["multipart/form-data"]["schema"]["properties"]["file"]["format"] == "binary"
    assert "application/octet-stream" in content
    assert {"200", "413", "422", "503"} <= set(scan["responses"])
