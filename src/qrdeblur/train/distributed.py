"""Training on several processes (DistributedDataParallel), set up from torchrun's environment.

``torchrun --nproc_per_node N ...`` starts N copies of the training command and gives each one
``RANK``, ``LOCAL_RANK``, ``WORLD_SIZE`` and a rendezvous address in its environment. :func:`init`
joins them into one process group: NCCL with one GPU per process (``cuda:LOCAL_RANK``) when CUDA
offers a GPU for every local process, else gloo on the CPU (``QRDEBLUR_DDP_BACKEND=gloo|nccl``
overrides the choice). Without that environment, or with a world of one process, every helper here
is a no-op and :func:`init` only picks the device the one process trains on (the config's
``device``: ``auto`` = a CUDA GPU when torch sees one, else the CPU; see :func:`resolve_device`).

Each process draws its own batches of ``data.batch_size`` pairs; DistributedDataParallel averages
the gradients, so one step sees ``N x batch_size`` pairs.
"""

from __future__ import annotations

import os
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from qrdeblur.errors import UsageError

BACKEND_ENV = "QRDEBLUR_DDP_BACKEND"
# generous: the other processes wait while the main one validates, or trains a blur estimator alone
TIMEOUT = timedelta(hours=3)


@dataclass(frozen=True)
class Context:
    """Where this process stands: its rank, the number of processes and the device it trains on."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    backend: str | None = None
    owns_group: bool = False  # init() created the process group, so cleanup() destroys it

    @property
    def enabled(self) -> bool:
        """True when several processes train together."""
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        """True for the process that writes the run folder and validates (rank 0)."""
        return self.rank == 0


def _default_backend(world_size: int) -> str:
    local_world = int(os.environ.get("LOCAL_WORLD_SIZE", world_size))
    if torch.cuda.is_available() and torch.cuda.device_count() >= local_world:
        return "nccl"
    return "gloo"


DEVICES = ("auto", "cpu", "cuda")


def resolve_device(name: str = "auto") -> torch.device:
    """The device a single process trains on: ``cpu``, ``cuda`` (the current GPU), or ``auto``.

    ``auto`` is the current CUDA GPU when ``torch.cuda.is_available()``, else the CPU, so a config
    that names no device trains on the CPU exactly as before on a machine without a GPU.

    Raises:
        UsageError: an unknown name, or ``cuda`` where torch sees no CUDA GPU.
    """
    if name not in DEVICES:
        raise UsageError(f"device {name!r}: choose one of {', '.join(DEVICES)}")
    if name == "cpu":
        return torch.device("cpu")
    if torch.cuda.is_available():
        return torch.device("cuda", torch.cuda.current_device())
    if name == "cuda":
        raise UsageError("device: cuda, but torch sees no CUDA GPU (torch.cuda.is_available() is False); "
                         "use device: auto or cpu")
    return torch.device("cpu")


def init(device: str = "auto") -> Context:
    """Join torchrun's process group (see the module docstring); a single process gets a Context on
    :func:`resolve_device` ``(device)``.

    With several processes, ``device: cpu`` makes gloo the default backend; ``cuda`` needs the NCCL
    backend (one GPU per local process), ``auto`` takes NCCL when there are enough GPUs, else gloo.
    """
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1 or "RANK" not in os.environ:
        return Context(device=resolve_device(device))
    if device not in DEVICES:
        raise UsageError(f"device {device!r}: choose one of {', '.join(DEVICES)}")
    rank = int(os.environ["RANK"])
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    owns = not dist.is_initialized()
    if owns:
        backend = os.environ.get(BACKEND_ENV) or ("gloo" if device == "cpu" else _default_backend(world_size))
        if backend not in ("gloo", "nccl"):
            raise UsageError(f"{BACKEND_ENV}={backend!r}: choose gloo or nccl")
    else:
        backend = dist.get_backend()
    if device == "cuda" and backend != "nccl":
        raise UsageError(f"device: cuda with the {backend} backend: several processes train on GPUs through "
                         f"NCCL, with one GPU per local process")
    if device == "cpu" and backend == "nccl":
        raise UsageError(f"device: cpu with the nccl backend ({BACKEND_ENV}): NCCL trains on GPUs; use gloo")
    device_ = torch.device("cpu")
    if backend == "nccl":
        device_ = torch.device("cuda", local_rank)
        torch.cuda.set_device(device_)
    if owns:  # the rendezvous address comes from torchrun's MASTER_ADDR / MASTER_PORT
        dist.init_process_group(backend, rank=rank, world_size=world_size, timeout=TIMEOUT)
    return Context(rank, local_rank, world_size, device_, backend, owns)


def is_main(ctx: Context) -> bool:
    """True for rank 0 (and for a single process)."""
    return ctx.is_main


def barrier(ctx: Context) -> None:
    """Wait until every process gets here (no-op for a single process)."""
    if not ctx.enabled:
        return
    if ctx.backend == "nccl":
        dist.barrier(device_ids=[ctx.device.index])
    else:
        dist.barrier()


def wrap(module: torch.nn.Module, ctx: Context) -> torch.nn.Module:
    """``module`` in DistributedDataParallel when several processes train, else ``module`` itself.

    Parameters that do not require a gradient (a frozen blur estimator) are left out of the sync.
    """
    if not ctx.enabled:
        return module
    device_ids = [ctx.device.index] if ctx.device.type == "cuda" else None
    return DistributedDataParallel(module, device_ids=device_ids)


def unwrap(module: torch.nn.Module) -> torch.nn.Module:
    """The plain module inside a DistributedDataParallel wrapper (its state_dict has no ``module.`` prefix)."""
    return module.module if isinstance(module, DistributedDataParallel) else module


def average(values: dict[str, float], ctx: Context) -> dict[str, float]:
    """Each value averaged over the processes (every process must pass the same keys)."""
    if not ctx.enabled or not values:
        return values
    keys = sorted(values)
    t = torch.tensor([float(values[k]) for k in keys], dtype=torch.float64, device=ctx.device)
    dist.all_reduce(t)
    return {k: float(v) / ctx.world_size for k, v in zip(keys, t.tolist(), strict=True)}


def any_rank(flag: bool, ctx: Context) -> bool:
    """True on every process when ``flag`` is true on any (a stop that all must agree on)."""
    if not ctx.enabled:
        return flag
    t = torch.tensor([int(flag)], device=ctx.device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def command_line(ctx: Context) -> str:
    """This process's command line; with several processes, as the torchrun command that starts them."""
    argv = list(sys.argv)
    if not ctx.enabled:
        return shlex.join(argv)
    main_file = Path(argv[0]) if argv else Path()
    if main_file.name == "__main__.py" and main_file.parent.name == "qrdeblur":  # started as -m qrdeblur
        argv[:1] = ["-m", "qrdeblur"]
    nproc = int(os.environ.get("LOCAL_WORLD_SIZE", ctx.world_size))
    nodes = ["--nnodes", str(ctx.world_size // nproc)] if ctx.world_size > nproc else []
    return shlex.join(["torchrun", *nodes, "--nproc_per_node", str(nproc), *argv])


def cleanup(ctx: Context) -> None:
    """Leave the process group if :func:`init` created it."""
    if ctx.owns_group and dist.is_initialized():
        dist.destroy_process_group()


def launch(nproc: int, train_args: list[str]) -> int:
    """Run ``python -m qrdeblur train TRAIN_ARGS`` on ``nproc`` local processes through torchrun.

    The same as ``torchrun --standalone --nproc_per_node NPROC -m qrdeblur train TRAIN_ARGS``
    (``--standalone`` picks a free port); returns the exit status.
    """
    if "RANK" in os.environ:
        raise UsageError("--nproc inside a torchrun process: start torchrun or --nproc, not both")
    cmd = [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc_per_node",
        str(nproc),
        "-m",
        "qrdeblur",
        "train",
        *train_args,
    ]
    env = dict(os.environ)
    env.setdefault("OMP_NUM_THREADS", "1")  # the config's ``threads`` sets each process's torch threads
    return subprocess.run(cmd, env=env, check=False).returncode
