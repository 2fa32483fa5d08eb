"""Bench methods: an explicit registry of name -> factory, each building a batch restorer.

A method has a ``name`` and ``restore_batch(items) -> list[uint8 grey image]`` (any size), so the
runner can time a whole batch at once (a network runs batches; a classical filter loops). A spec is
``"name"`` or ``"name:ARG"``; the factory receives ARG (or None). Adding a method is one line::

    METHODS["model"] = lambda arg: ModelMethod(arg)

or :func:`register_method`. Oracle methods read ``item.psf`` (the true kernel) from the suite; the
``finder-*`` methods are blind but assume the ``paper80`` framing (a whole code, quiet zone 4,
version 1 or 2; :mod:`qrdeblur.restore.finder_kernel`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np

from qrdeblur.bench.suites import BenchItem
from qrdeblur.decode.decoders import as_uint8_grey
from qrdeblur.errors import UsageError


class BenchMethod(Protocol):
    """What the runner needs from a method."""

    name: str

    def restore_batch(self, items: Sequence[BenchItem]) -> list[np.ndarray]: ...


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(image, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


@dataclass
class PerImageMethod:
    """A method that restores one float grey [0, 1] image at a time: ``fn(grey, item) -> grey``."""

    name: str
    fn: Callable[[np.ndarray, BenchItem], np.ndarray]

    def restore_batch(self, items: Sequence[BenchItem]) -> list[np.ndarray]:
        out = []
        for item in items:
            grey = as_uint8_grey(item.blurred).astype(np.float32) / 255.0
            out.append(_to_uint8(self.fn(grey, item)))
        return out


def _psf(item: BenchItem, method: str) -> np.ndarray:
    if item.psf is None:
        raise UsageError(
            f"method {method!r} needs the true PSF, but suite item of cell {item.cell!r} has none"
        )
    return item.psf


def _no_arg(name: str, arg: str | None) -> None:
    if arg is not None:
        raise UsageError(f"method {name!r} takes no argument, got {name}:{arg}")


def _number(name: str, arg: str, kind: type) -> float | int:
    try:
        value = kind(arg)
    except ValueError:
        raise UsageError(f"method {name!r} expects a {kind.__name__} argument, got {arg!r}") from None
    if value <= 0:
        raise UsageError(f"method {name!r} expects a positive argument, got {arg!r}")
    return value


def _raw(arg: str | None) -> BenchMethod:
    _no_arg("raw", arg)
    return PerImageMethod("raw", lambda grey, item: grey)


def _sharpen(arg: str | None) -> BenchMethod:
    from qrdeblur.restore.classical import sharpen

    _no_arg("sharpen", arg)
    return PerImageMethod("sharpen", lambda grey, item: sharpen(grey))


def _wiener_oracle(arg: str | None) -> BenchMethod:
    from qrdeblur.restore.classical import WIENER_BALANCE, wiener_oracle

    name = "wiener-oracle" if arg is None else f"wiener-oracle:{arg}"
    balance = WIENER_BALANCE if arg is None else _number("wiener-oracle", arg, float)
    return PerImageMethod(name, lambda grey, item: wiener_oracle(grey, _psf(item, name), balance))


def _rl_oracle(arg: str | None) -> BenchMethod:
    from qrdeblur.restore.classical import RL_NUM_ITER, rl_oracle

    name = "rl-oracle" if arg is None else f"rl-oracle:{arg}"
    num_iter = RL_NUM_ITER if arg is None else _number("rl-oracle", arg, int)
    return PerImageMethod(name, lambda grey, item: rl_oracle(grey, _psf(item, name), num_iter))


def _wiener_unsup(arg: str | None) -> BenchMethod:
    from qrdeblur.restore.classical import unsupervised_wiener

    _no_arg("wiener-unsup", arg)
    return PerImageMethod(
        "wiener-unsup", lambda grey, item: unsupervised_wiener(grey, _psf(item, "wiener-unsup"))
    )


def _finder_wiener(arg: str | None) -> BenchMethod:
    from qrdeblur.restore.finder_kernel import finder_wiener

    _no_arg("finder-wiener", arg)
    return PerImageMethod("finder-wiener", lambda grey, item: finder_wiener(grey))


MethodFactory = Callable[[str | None], BenchMethod]

#: name -> factory(arg or None); the help text of ``qrdeblur bench`` lists these names.
METHODS: dict[str, MethodFactory] = {
    "raw": _raw,
    "sharpen": _sharpen,
    "wiener-oracle": _wiener_oracle,
    "rl-oracle": _rl_oracle,
    "wiener-unsup": _wiener_unsup,
    "finder-wiener": _finder_wiener,
    "model": lambda arg: _model_methods().ModelMethod(arg),
    "finder-model": lambda arg: _model_methods().FinderModelMethod(arg),
    "paper-g": lambda arg: _model_methods().PaperGeneratorMethod(arg),
}


def _model_methods():
    from qrdeblur.bench import model_methods

    return model_methods


def register_method(name: str, factory: MethodFactory) -> None:
    """Add (or replace) a method; ``factory(arg)`` gets the text after ``name:`` or None."""
    if not name or ":" in name or "," in name:
        raise UsageError(f"method name must be non-empty without ':' or ',', got {name!r}")
    METHODS[name] = factory


def get_method(spec: str) -> BenchMethod:
    """Build the method for ``"name"`` or ``"name:ARG"``; UsageError listing the choices when unknown."""
    name, sep, arg = spec.strip().partition(":")
    try:
        factory = METHODS[name]
    except KeyError:
        raise UsageError(f"unknown method {spec!r}; choose one of {', '.join(METHODS)}") from None
    return factory(arg if sep and arg else None)
