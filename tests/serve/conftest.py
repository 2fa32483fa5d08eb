"""Fixtures of the service's tests: one loaded engine for the session, a TestClient over it, real uvicorn
servers in threads (on free ports), the README's example photo and a decompression-bomb PNG.

The tests skip, with the reason, when the ``serve`` extra (FastAPI, uvicorn, python-multipart) is not
installed.
"""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path

import pytest

pytest.importorskip("fastapi", reason="the serve extra is not installed: pip install 'qrdeblur[serve]'")
pytest.importorskip("uvicorn", reason="the serve extra is not installed: pip install 'qrdeblur[serve]'")
pytest.importorskip("python_multipart", reason="the serve extra is not installed: pip install 'qrdeblur[serve]'")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "examples" / "webcam-motion-blur.jpg"
EXAMPLE_TEXT = "MEBKM:URL:http\\://en.wikipedia.org/wiki/Main_Page;;"


@pytest.fixture(scope="session")
def example_path() -> Path:
    """The README's example: a webcam photo of a code with 16 px of motion blur added."""
    return EXAMPLE


@pytest.fixture(scope="session")
def example_bytes() -> bytes:
    return EXAMPLE.read_bytes()


@pytest.fixture(scope="session")
def example_text() -> str:
    """What the example reads (after deblurring: zxing-cpp alone reads nothing in it)."""
    return EXAMPLE_TEXT


@pytest.fixture(scope="session")
def bomb_bytes(png_header_only) -> bytes:
    """A PNG claiming 20000 x 20000 pixels (400 MP)."""
    return png_header_only(20000, 20000)


@pytest.fixture(scope="session")
def engine():
    """The default engine (the shipped models), loaded once for every test that needs no other limits."""
    from qrdeblur.serve.engine import Engine

    eng = Engine()
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def client(engine):
    from fastapi.testclient import TestClient

    from qrdeblur.serve.app import create_app

    with TestClient(create_app(engine=engine)) as c:
        yield c


class LiveServer:
    """A uvicorn server running an application in a thread, on a socket bound to a free port."""

    def __init__(self, app):
        import uvicorn

        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, log_level="warning", lifespan="on"))
        self.thread = threading.Thread(target=self.server.run, kwargs={"sockets": [self.sock]}, daemon=True)

    def __enter__(self) -> LiveServer:
        self.thread.start()
        deadline = time.monotonic() + 60
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the test server did not start")
            time.sleep(0.02)
        return self

    def __exit__(self, *exc) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)
        self.sock.close()


@pytest.fixture
def live_server():
    """``live_server(app)``: a context manager running ``app`` on a real uvicorn server in a thread."""
    return LiveServer


@pytest.fixture(scope="session")
def shared_server(engine):
    """One real server over the session's engine (browser and concurrency tests)."""
    from qrdeblur.serve.app import create_app

    with LiveServer(create_app(engine=engine)) as server:
        yield server
