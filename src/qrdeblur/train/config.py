"""Training configuration: YAML -> nested dataclasses, unknown keys refused, resolved copy saved per run.

Every loss weight and hyper-parameter lives here (and so in the run's ``config.yaml``), never as a bare
constant in the training code.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from qrdeblur.errors import UsageError


@dataclass
class ModelConfig:
    """A network from the registry (``qrdeblur.models.registry``) and its constructor arguments."""

    name: str = "qrunet"
    args: dict = field(default_factory=dict)


@dataclass
class DetailConfig:
    """The paper's detail loss (Eq. 7) on VGG16 block3_conv3 features.

    ``weights`` is a path to torchvision's ImageNet ``vgg16`` state dict, or ``random`` to use random
    features (then every report says so); ``max_images`` limits it to the first N images of a batch
    (VGG16 costs several times our generator on a CPU).
    """

    weight: float = 0.0
    weights: str = "random"
    max_images: int | None = None


@dataclass
class AdversarialConfig:
    """Adversarial term: ``kind`` wgan (the paper's Eq. 4/6) | wgan-gp | lsgan | vanilla."""

    kind: str = "lsgan"
    weight: float = 0.0
    gp_weight: float = 10.0
    clip: float | None = None  # WGAN weight clipping of the discriminator (original WGAN), None = off
    start_step: int = 0  # adversarial term off before this step (the generator learns the pixel task first)


@dataclass
class LossConfig:
    """Weights of every generator loss term (0 = off)."""

    l1: float = 1.0
    binary: float = 0.0
    edge: float = 0.0
    detail: DetailConfig = field(default_factory=DetailConfig)
    adversarial: AdversarialConfig = field(default_factory=AdversarialConfig)


@dataclass
class DataConfig:
    """Where pairs come from: on-the-fly synthesis from ``preset`` or a ``synth_dir`` written by ``synth``."""

    preset: str = "default"
    size: int = 80
    payloads: str | None = None  # a payload file: the enrolled codes (paper setting)
    synth_dir: str | None = None
    grey: bool = True  # train on one channel (our generator); False = RGB (the paper's networks)
    batch_size: int = 32
    workers: int = 1


@dataclass
class OptimConfig:
    """Adam for both networks; the learning rate decays by ``decay`` every ``decay_every`` steps (paper: 0.99)."""

    lr_g: float = 1e-4
    lr_d: float = 1e-4
    beta1: float = 0.9
    beta2: float = 0.999
    decay: float = 0.99
    decay_every: int = 1000
    min_lr_ratio: float = 0.0  # floor of the decayed lr as a fraction of the initial one
    cosine: bool = False  # cosine decay to min_lr_ratio over all steps instead of the stepwise decay
    grad_clip: float | None = None


@dataclass
class ValConfig:
    """Fixed validation set (never the benchmark's images) evaluated every ``every`` steps."""

    every: int = 500
    count: int = 256
    preset: str = "paper-val"
    seed: int = 777
    decoder: str = "zxing-cpp"
    sample_count: int = 4  # fixed inputs whose restorations are kept for the Fig. 6 plot


@dataclass
class KernelPhaseConfig:
    """Phase 1 of a ``wiener-qrunet`` run: the blur estimator's regression (ignored by other generators).

    ``preset`` must record the true kernel in each pair's meta (``clean`` does).
    """

    steps: int = 2500
    batch_size: int = 64
    lr: float = 1e-3
    preset: str = "clean"


@dataclass
class FinishPhaseConfig:
    """An optional last phase of ``steps`` more generator steps on one framing (0 = none).

    After the main ``steps`` the generator (its current weights) gets a fresh Adam at ``lr`` with cosine
    decay to ``optim.min_lr_ratio`` and draws its pairs from ``preset`` (``clean``: the whole-code
    framing of ``default``, the one that reads whole codes); the adversarial and detail terms stay on
    only if ``adversarial`` / ``detail`` say so. Validation and ``best.pt`` span both phases.

    ``kernel_steps`` (``wiener-qrunet`` only): first continue the blur estimator's regression that many
    steps (batch ``kernel.batch_size``, Adam at ``kernel_lr``, cosine) on ``preset``, then freeze it
    again, so the refiner's finishing steps see the final estimates.
    """

    steps: int = 0
    preset: str = "clean"
    lr: float = 3e-4
    adversarial: bool = False
    detail: bool = False
    kernel_steps: int = 0
    kernel_lr: float = 3e-4


@dataclass
class TrainConfig:
    """A whole training run."""

    seed: int = 0
    steps: int = 10000
    threads: int = 2
    log_every: int = 50
    checkpoint_every: int = 500
    max_minutes: float | None = None  # stop cleanly (with a checkpoint) after this wall time
    # where a single process trains: auto (a CUDA GPU when torch sees one, else the CPU) | cpu | cuda.
    # Several processes (torchrun / --nproc): cpu forces the gloo backend, auto and cuda follow
    # distributed.init (NCCL with one GPU per process when there are enough GPUs); see distributed.py.
    device: str = "auto"
    init: str | None = None  # start the generator from these weights (.pt checkpoint or plain .onnx export)
    generator: ModelConfig = field(default_factory=ModelConfig)
    discriminator: ModelConfig = field(default_factory=lambda: ModelConfig(name="patch-d", args={}))
    data: DataConfig = field(default_factory=DataConfig)
    loss: LossConfig = field(default_factory=LossConfig)
    optim: OptimConfig = field(default_factory=OptimConfig)
    val: ValConfig = field(default_factory=ValConfig)
    kernel: KernelPhaseConfig = field(default_factory=KernelPhaseConfig)
    finish: FinishPhaseConfig = field(default_factory=FinishPhaseConfig)


def _build(cls, values: Any, where: str):
    """Build dataclass ``cls`` from a mapping, refusing unknown keys (named with their path)."""
    if values is None:
        return cls()
    if not isinstance(values, dict):
        raise UsageError(f"config: {where or 'top level'} must be a mapping, got {type(values).__name__}")
    fields = {f.name: f for f in dataclasses.fields(cls)}
    unknown = sorted(set(values) - set(fields))
    if unknown:
        raise UsageError(
            f"config: unknown key {where + '.' if where else ''}{unknown[0]}; "
            f"known keys here: {', '.join(sorted(fields))}"
        )
    kwargs = {}
    for name, value in values.items():
        sub = _NESTED.get((cls.__name__, name))
        kwargs[name] = _build(sub, value, f"{where}.{name}" if where else name) if sub else value
    return cls(**kwargs)


_NESTED = {
    ("TrainConfig", "generator"): ModelConfig,
    ("TrainConfig", "discriminator"): ModelConfig,
    ("TrainConfig", "data"): DataConfig,
    ("TrainConfig", "loss"): LossConfig,
    ("TrainConfig", "optim"): OptimConfig,
    ("TrainConfig", "val"): ValConfig,
    ("TrainConfig", "kernel"): KernelPhaseConfig,
    ("TrainConfig", "finish"): FinishPhaseConfig,
    ("LossConfig", "detail"): DetailConfig,
    ("LossConfig", "adversarial"): AdversarialConfig,
}


def load_config(path: str | Path) -> TrainConfig:
    """Read a YAML training config; UsageError naming the file for a missing file, bad YAML or bad key."""
    path = Path(path)
    try:
        values = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"{path}: config file not found") from None
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML ({str(exc).splitlines()[0]})") from None
    try:
        return _build(TrainConfig, values, "")
    except UsageError as exc:
        raise UsageError(f"{path}: {exc}") from None
    except TypeError as exc:
        raise UsageError(f"{path}: config: {exc}") from None


def config_from_dict(values: dict) -> TrainConfig:
    """Build a config from a dict (as stored in a checkpoint)."""
    return _build(TrainConfig, values, "")


def config_to_dict(cfg: TrainConfig) -> dict:
    """Plain-dict form of a config (for YAML and checkpoints)."""
    return dataclasses.asdict(cfg)


def config_yaml(cfg: TrainConfig) -> str:
    """The resolved config as YAML text (what a run folder's ``config.yaml`` holds)."""
    return yaml.safe_dump(config_to_dict(cfg), sort_keys=False)


def save_config(cfg: TrainConfig, path: str | Path) -> None:
    """Write the resolved config as YAML."""
    Path(path).write_text(config_yaml(cfg), encoding="utf-8")
