"""``qrdeblur serve``: the base command line stays free of the web stack, a missing extra is one line,
and the command serves the API (one worker process, and several)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request

import pytest
from typer.testing import CliRunner

from qrdeblur.cli import app

WEB_MODULES = ("fastapi", "uvicorn", "starlette", "python_multipart")


def test_help_does_not_import_the_web_stack():
    code = (
        "import sys\n"
        "from typer.testing import CliRunner\n"
        "from qrdeblur.cli import app\n"
        "for args in (['--help'], ['serve', '--help'], ['loadtest', '--help']):\n"
        "    r = CliRunner().invoke(app, args)\n"
        "    assert r.exit_code == 0, r.output\n"
        "assert 'serve' in CliRunner().invoke(app, ['--help']).output\n"
        f"loaded = [m for m in {WEB_MODULES!r} if m in sys.modules]\n"
        "assert not loaded, loaded\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_service_modules_do_not_import_torch():
    code = (
        "import sys\n"
        "import qrdeblur.serve.app, qrdeblur.serve.server, qrdeblur.serve.loadtest, qrdeblur.serve.engine\n"
        "assert 'torch' not in sys.modules\n"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


@pytest.mark.parametrize("module", ["fastapi", "uvicorn", "python_multipart"])
def test_missing_extra_is_one_line(monkeypatch, module):
    monkeypatch.setitem(sys.modules, module, None)  # as if not installed
    result = CliRunner().invoke(app, ["serve", "--port", "1"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [f"qrdeblur: error: serve needs {module}: pip install 'qrdeblur[serve]'"]


def test_bad_settings_are_one_line():
    result = CliRunner().invoke(app, ["serve", "--port", "70000"])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == ["qrdeblur: error: serve: port must be 1-65535, got 70000"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str) -> dict:
    with urllib.request.urlopen(url, timeout=10) as r:
        return json.loads(r.read())


@pytest.mark.parametrize("workers", [1, 2])
def test_serve_command_answers_scans(workers, example_bytes, example_text):
    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "qrdeblur.cli", "serve", "--port", str(port), "--workers", str(workers)]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                health = _get(f"{base}/health")
                break
            except (urllib.error.URLError, ConnectionError):
                assert proc.poll() is None, proc.stdout.read()
                assert time.monotonic() < deadline, "the server did not come up"
                time.sleep(0.2)
        assert health["threads"] == max(1, len(os.sched_getaffinity(0)) // workers)
        req = urllib.request.Request(f"{base}/scan", data=example_bytes, method="POST")
        with urllib.request.urlopen(req, timeout=60) as r:
            record = json.loads(r.read())
        assert [c["text"] for c in record["codes"]] == [example_text]
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            out, _ = proc.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            out, _ = proc.communicate()
    assert "Uvicorn running on" in out
    assert "Traceback" not in out, out[-3000:]
