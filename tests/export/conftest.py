"""Shared pieces of the export tests: a tiny ``wiener-qrunet`` checkpoint."""

import pytest
import torch

from qrdeblur.models.registry import create_model

TINY_WIENER_ARGS = {
    "kernel": {"width": 4, "hidden": 8},
    "refiner": {"width": 8, "levels": 1, "bottleneck_blocks": 1, "unshuffle": 2},
}


def _save_tiny_wiener(path):
    """Save a seeded tiny ``wiener-qrunet`` as a training checkpoint at ``path``; returns the model (eval)."""
    torch.manual_seed(0)
    g = create_model("wiener-qrunet", **TINY_WIENER_ARGS).eval()
    torch.save({"model": g.state_dict(), "model_name": "wiener-qrunet", "model_args": TINY_WIENER_ARGS}, path)
    return g


@pytest.fixture(scope="session")
def save_tiny_wiener():
    """The function that saves a seeded tiny ``wiener-qrunet`` checkpoint (see :func:`_save_tiny_wiener`)."""
    return _save_tiny_wiener
