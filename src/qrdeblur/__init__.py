"""qrdeblur: make blurred QR codes readable.

A DeblurGAN-style generator trained on synthetic blurred/sharp pairs restores QR images that a
standard decoder then reads; ``scan`` finds and reads every code in a photo, deblurring only the
ones plain decoding misses. Importing this package loads neither torch nor onnxruntime; the public
names below are resolved on first use.

Example:
    >>> import qrdeblur
    >>> [c.text for c in qrdeblur.scan("parcel.jpg")]          # doctest: +SKIP
    >>> sharp = qrdeblur.Deblurrer.load().deblur(blurred)        # doctest: +SKIP
"""

from __future__ import annotations

import importlib

__version__ = "0.2.0"

_LAZY = {
    "scan": ("qrdeblur.scan", None),  # the subpackage, callable: qrdeblur.scan(image)
    "scan_video": ("qrdeblur.scan.video", "scan_video"),
    "Code": ("qrdeblur.scan", "Code"),
    "Deblurrer": ("qrdeblur.restore.deblurrer", "Deblurrer"),
    "read_image": ("qrdeblur.imageio", "read_image"),
    "QRSpec": ("qrdeblur.synth.render", "QRSpec"),
    "render_code": ("qrdeblur.synth.render", "render_code"),
    "kernels": ("qrdeblur.synth", "kernels"),
    "degrade": ("qrdeblur.synth", "degrade"),
    "Pair": ("qrdeblur.synth.presets", "Pair"),
    "PairStream": ("qrdeblur.synth.presets", "PairStream"),
    "paper_pair": ("qrdeblur.synth.presets", "paper_pair"),
    "default_pair": ("qrdeblur.synth.presets", "default_pair"),
    "get_decoder": ("qrdeblur.decode", "get_decoder"),
    "UsageError": ("qrdeblur.errors", "UsageError"),
}

__all__ = sorted(_LAZY)


def __getattr__(name: str):
    try:
        module, attr = _LAZY[name]
    except KeyError:
        raise AttributeError(f"module 'qrdeblur' has no attribute {name!r}") from None
    value = importlib.import_module(module)
    if attr is not None:
        value = getattr(value, attr)
    globals()[name] = value
    return value
