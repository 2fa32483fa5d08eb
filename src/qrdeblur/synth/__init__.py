"""Synthesis of blurred/sharp QR pairs: rendering, kernels (PSFs), degradations, presets."""

from qrdeblur.synth import degrade, kernels

__all__ = ["degrade", "kernels"]
