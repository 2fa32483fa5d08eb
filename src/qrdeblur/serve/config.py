"""The service's settings: :class:`ServeConfig` (limits, sizes, models), passed to worker processes as JSON."""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, fields

from qrdeblur.errors import UsageError

#: Environment variable that carries the settings to uvicorn's worker processes (``--workers`` > 1).
CONFIG_ENV = "QRDEBLUR_SERVE_CONFIG"


def cpu_cores() -> int:
    """CPU cores this process may run on (its affinity mask where the OS has one)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


@dataclass
class ServeConfig:
    """What ``qrdeblur serve`` runs with.

    Attributes:
        host: address to listen on.
        port: TCP port.
        workers: uvicorn worker processes; each loads the models once and has its own queue.
        max_body_bytes: largest request body accepted (413 above it).
        max_queue: requests allowed to wait for a busy worker; one more is answered 503 with Retry-After.
        concurrency: images one worker process works on at once (its executor's threads).
        max_budget_ms: cap on a scan's time budget (``budget_ms`` and the effort's default are clipped to it).
        max_deblur_pixels: largest image ``/deblur`` restores (the generator's memory grows with the pixels).
        threads: onnxruntime and OpenCV threads per worker process (None: the cores shared out among
            the workers and their concurrent jobs).
        model: the scan's generator (.onnx; None: the shipped ``scan-wiener-qrunet``).
        deblur_model: the ``/deblur`` generator (.onnx; None: the shipped ``wiener-qrunet``).
    """

    host: str = "127.0.0.1"
    port: int = 8000
    workers: int = 1
    max_body_bytes: int = 20_000_000
    max_queue: int = 8
    concurrency: int = 1
    max_budget_ms: float = 6000.0
    max_deblur_pixels: int = 4_000_000
    threads: int | None = None
    model: str | None = None
    deblur_model: str | None = None

    def __post_init__(self) -> None:
        for name in ("workers", "concurrency", "max_body_bytes", "max_deblur_pixels"):
            if getattr(self, name) < 1:
                raise UsageError(f"serve: {name} must be at least 1, got {getattr(self, name)}")
        if self.max_queue < 0:
            raise UsageError(f"serve: max_queue must be 0 or more, got {self.max_queue}")
        if not 0 < self.port < 65536:
            raise UsageError(f"serve: port must be 1-65535, got {self.port}")
        if not self.max_budget_ms > 0:
            raise UsageError(f"serve: max_budget_ms must be above 0, got {self.max_budget_ms}")
        if self.threads is not None and self.threads < 1:
            raise UsageError(f"serve: threads must be at least 1, got {self.threads}")

    def compute_threads(self) -> int:
        """Threads for onnxruntime and OpenCV in one worker process: ``threads``, or the cores shared out."""
        if self.threads is not None:
            return self.threads
        return max(1, cpu_cores() // (self.workers * self.concurrency))

    def to_json(self) -> str:
        """The settings as JSON (:meth:`from_json` reads them back)."""
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, text: str) -> ServeConfig:
        """Settings from :meth:`to_json`'s output; unknown keys are refused."""
        data = json.loads(text)
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(data) - known)
        if unknown:
            raise UsageError(f"serve: unknown settings {unknown}")
        return cls(**data)

    @classmethod
    def from_env(cls) -> ServeConfig:
        """Settings from the environment variable :data:`CONFIG_ENV` (defaults when it is unset)."""
        text = os.environ.get(CONFIG_ENV)
        return cls.from_json(text) if text else cls()
