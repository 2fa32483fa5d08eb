"""What a training run ran on: Python, platform, CPU and the versions of the packages that shape its numbers.

At one thread a run is deterministic for a given set of library versions, but not across them: a new
OpenCV, NumPy or SciPy can change a synthesised pair in its last bits, and the run then drifts to a
slightly different model. So every start and resume of a run appends one line to the run folder's
``environment.jsonl``; a model card quotes it, and a retrain that must match bit for bit installs
those versions.
"""

from __future__ import annotations

import json
import os
import platform
import shlex
import sys
import time
from importlib import metadata
from pathlib import Path

#: Distributions whose versions can change a run's numbers (synthesis, decoding, training).
PACKAGES = (
    "torch", "numpy", "scipy", "opencv-python-headless", "opencv-python", "scikit-image", "segno",
    "zxing-cpp", "pillow", "onnxruntime", "onnx", "qrdeblur",
)


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def environment(threads: int | None = None) -> dict:
    """Python, platform, CPU, core count, torch threads and the installed versions of :data:`PACKAGES`."""
    versions = {}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "threads": threads,
        "packages": versions,
    }


def record_environment(
    out: Path, threads: int | None = None, world_size: int = 1, command: str | None = None, device=None
) -> dict:
    """Append this invocation (time, command line, :func:`environment`) to ``out/environment.jsonl``.

    ``world_size``: the number of processes training together (``torchrun --nproc_per_node``);
    ``command``: the command line to record (default this process's); ``device``: the torch device
    trained on (a CUDA device adds the GPU's name and the CUDA version torch was built with).
    """
    entry = {"time": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": command or shlex.join(sys.argv),
             **environment(threads), "world_size": world_size}
    if device is not None:
        entry["device"] = str(device)
        if getattr(device, "type", None) == "cuda":
            import torch

            entry["gpu"] = torch.cuda.get_device_name(device)
            entry["cuda"] = torch.version.cuda
    with open(Path(out) / "environment.jsonl", "a", encoding="utf-8") as fh:
        fh.write(json.dumps(entry) + "\n")
    return entry
