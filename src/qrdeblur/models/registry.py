"""Explicit model registry: ``create_model(name, **kwargs)`` maps a config name to a constructor.

A plain dict (no scanning of files or decorators), so the list of models is readable in one place
and a YAML config names its networks by these keys.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import nn

from qrdeblur.errors import UsageError
from qrdeblur.models.paper import PaperDiscriminator, PaperGenerator
from qrdeblur.models.patchgan import PatchDiscriminator
from qrdeblur.models.unet import QRUNet
from qrdeblur.models.wiener_refiner import WienerQRUNet

MODELS: dict[str, Callable[..., nn.Module]] = {
    "qrunet": QRUNet,
    "wiener-qrunet": WienerQRUNet,
    "paper-g": PaperGenerator,
    "paper-d": PaperDiscriminator,
    "patch-d": PatchDiscriminator,
}


def model_names() -> list[str]:
    """Registered model names, sorted."""
    return sorted(MODELS)


def create_model(name: str, **kwargs) -> nn.Module:
    """Build the registered model ``name`` with constructor arguments ``kwargs``.

    Args:
        name: a key of :data:`MODELS` (``qrunet``, ``wiener-qrunet``, ``paper-g``, ``paper-d``, ``patch-d``).
        **kwargs: passed to the constructor (e.g. ``width=0.5``).

    Returns:
        The new model, in training mode.

    Raises:
        UsageError: unknown name, or arguments the constructor does not accept.

    Example:
        >>> create_model("patch-d", width=0.25, in_channels=1).__class__.__name__
        'PatchDiscriminator'
    """
    if name not in MODELS:
        raise UsageError(f"unknown model {name!r}; choose one of: {', '.join(model_names())}")
    try:
        return MODELS[name](**kwargs)
    except TypeError as e:  # an unknown or missing keyword from a config file
        raise UsageError(f"bad arguments for model {name!r} {kwargs}: {e}") from e


def count_parameters(model: nn.Module, trainable_only: bool = True) -> int:
    """Number of (trainable, by default) parameter values in ``model``."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad or not trainable_only)
