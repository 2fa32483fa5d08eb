"""Bench methods: one registry of name -> :class:`MethodEntry` for every suite.

Each method declares the kind of item it handles, and a suite runs methods of its own kind only
(:mod:`qrdeblur.bench.suites`):

- ``crop`` methods restore crops of whole codes (:class:`~qrdeblur.synth.paper80.CropItem`):
  ``restore_batch(items) -> list[uint8 grey image]`` (any size), so the runner can time a whole batch
  at once (a network runs batches; a classical filter loops); every ``--decoders`` decoder then reads
  each restored image.
- ``scene`` methods read whole photos (:class:`~qrdeblur.bench.suites.photo_scene.PhotoItem`):
  ``read(rgb uint8 image) -> set of decoded texts``, each with the decoder it reads with (``decoder``).
- ``video`` methods read video files (:class:`~qrdeblur.bench.suites.conveyor.ConveyorItem`):
  ``read_video(path) -> VideoRead``: every code reported, once per report (a code reported twice is
  counted as a duplicate), and the frames read. ``frame-any`` scans each frame on its own
  (:func:`qrdeblur.scan.scan` with the per-frame budget of :func:`~qrdeblur.scan.scan_video`) and
  reports each text read in any frame once; ``video`` reports one code per track
  (:func:`qrdeblur.scan.scan_video`).

A spec is ``"name"`` or ``"name:ARG"``; the entry's factory receives ARG (or None). Adding a method is
one call::

    register_method("model", lambda arg: ModelMethod(arg), kind="crop", arg="PATH")

Oracle methods read ``item.psf`` (the true kernel) from the suite; the ``finder-*`` methods are blind
but assume the ``paper80`` framing (a whole code, quiet zone 4, version 1 or 2;
:mod:`qrdeblur.restore.finder_kernel`). ``scan`` is the shipped scanner (:func:`qrdeblur.scan.scan`),
``scan:MODEL`` the scanner with another deblurring model, ``scan-high`` the scanner given more effort
(``effort="high"``), ``oracle`` the non-blind ceiling (:mod:`qrdeblur.bench.oracle`).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from qrdeblur.errors import UsageError

#: Item kinds, and what a method of each kind does with an item.
KINDS = {"crop": "restores crops of whole codes", "scene": "reads whole photos", "video": "reads videos"}


class CropMethod(Protocol):
    """What the runner needs from a ``crop`` method."""

    name: str

    def restore_batch(self, items: Sequence[Any]) -> list[np.ndarray]: ...


class SceneMethod(Protocol):
    """What the runner needs from a ``scene`` method."""

    name: str
    decoder: str

    def read(self, image: np.ndarray) -> set[str]: ...


@dataclass
class VideoRead:
    """What a ``video`` method reports for one video: ``texts``, one entry per code reported (a text
    twice: reported twice), ``frames`` read, and ``per_frame_reads`` (reads counted frame by frame,
    what a plain frame loop would report; None where the method does not count them)."""

    texts: list[str]
    frames: int
    per_frame_reads: int | None = None


class VideoMethod(Protocol):
    """What the runner needs from a ``video`` method (``warm_up(path)`` is optional: one untimed read
    of a frame, so first-call costs are not charged to the first video)."""

    name: str
    decoder: str

    def read_video(self, path: Path) -> VideoRead: ...


MethodFactory = Callable[[str | None], Any]


@dataclass(frozen=True)
class MethodEntry:
    """A registered method: its item ``kind``, the ``factory(arg or None)`` that builds it, and the name
    of its argument for help texts (``arg``; None when it takes none)."""

    kind: str
    factory: MethodFactory
    arg: str | None = None


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(np.asarray(image, dtype=np.float32) * 255.0), 0, 255).astype(np.uint8)


@dataclass
class PerImageMethod:
    """A crop method that restores one float grey [0, 1] image at a time: ``fn(grey, item) -> grey``."""

    name: str
    fn: Callable[[np.ndarray, Any], np.ndarray]

    def restore_batch(self, items: Sequence[Any]) -> list[np.ndarray]:
        from qrdeblur.decode.decoders import as_uint8_grey

        out = []
        for item in items:
            grey = as_uint8_grey(item.blurred).astype(np.float32) / 255.0
            out.append(_to_uint8(self.fn(grey, item)))
        return out


@dataclass
class Reader:
    """A scene method: ``fn(rgb) -> texts``, reporting under ``decoder``."""

    name: str
    decoder: str
    fn: Callable[[np.ndarray], set[str]]

    def read(self, image: np.ndarray) -> set[str]:
        return self.fn(image)


def _psf(item: Any, method: str) -> np.ndarray:
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


# ------------------------------------------------------------------------------------ crop methods


def _raw(arg: str | None) -> CropMethod:
    _no_arg("raw", arg)
    return PerImageMethod("raw", lambda grey, item: grey)


def _sharpen(arg: str | None) -> CropMethod:
    from qrdeblur.restore.classical import sharpen

    _no_arg("sharpen", arg)
    return PerImageMethod("sharpen", lambda grey, item: sharpen(grey))


def _wiener_oracle(arg: str | None) -> CropMethod:
    from qrdeblur.restore.classical import WIENER_BALANCE, wiener_oracle

    name = "wiener-oracle" if arg is None else f"wiener-oracle:{arg}"
    balance = WIENER_BALANCE if arg is None else _number("wiener-oracle", arg, float)
    return PerImageMethod(name, lambda grey, item: wiener_oracle(grey, _psf(item, name), balance))


def _rl_oracle(arg: str | None) -> CropMethod:
    from qrdeblur.restore.classical import RL_NUM_ITER, rl_oracle

    name = "rl-oracle" if arg is None else f"rl-oracle:{arg}"
    num_iter = RL_NUM_ITER if arg is None else _number("rl-oracle", arg, int)
    return PerImageMethod(name, lambda grey, item: rl_oracle(grey, _psf(item, name), num_iter))


def _wiener_unsup(arg: str | None) -> CropMethod:
    from qrdeblur.restore.classical import unsupervised_wiener

    _no_arg("wiener-unsup", arg)
    return PerImageMethod(
        "wiener-unsup", lambda grey, item: unsupervised_wiener(grey, _psf(item, "wiener-unsup"))
    )


def _finder_wiener(arg: str | None) -> CropMethod:
    from qrdeblur.restore.finder_kernel import finder_wiener

    _no_arg("finder-wiener", arg)
    return PerImageMethod("finder-wiener", lambda grey, item: finder_wiener(grey))


def _model_methods():
    from qrdeblur.bench import model_methods

    return model_methods


# ----------------------------------------------------------------------------------- scene methods


@cache
def _decoder(name: str):
    from qrdeblur.decode import get_decoder

    return get_decoder(name)


def read_zxing(image: np.ndarray) -> set[str]:
    """The texts zxing-cpp alone reads in ``image`` (the ``zxing-only`` reader)."""
    return {r.text for r in _decoder("zxing-cpp").decode(image)}


def _zxing_only(arg: str | None) -> SceneMethod:
    _no_arg("zxing-only", arg)
    return Reader("zxing-only", "zxing-cpp", read_zxing)


def _opencv(arg: str | None) -> SceneMethod:
    _no_arg("opencv", arg)
    return Reader("opencv", "opencv", lambda image: {r.text for r in _decoder("opencv").decode(image)})


def _scan(arg: str | None) -> SceneMethod:
    from qrdeblur.scan import load_deblurrer, scan

    if arg is None:
        return Reader("scan", "zxing-cpp", lambda image: {c.text for c in scan(image)})
    if not Path(arg).exists():
        raise UsageError(f"{arg}: model file not found (method scan:{arg})")
    deblurrer = load_deblurrer(arg)
    return Reader(f"scan:{arg}", "zxing-cpp", lambda image: {c.text for c in scan(image, deblurrer=deblurrer)})


def _scan_high(arg: str | None) -> SceneMethod:
    from qrdeblur.scan import load_deblurrer, scan

    if arg is not None and not Path(arg).exists():
        raise UsageError(f"{arg}: model file not found (method scan-high:{arg})")
    deblurrer = load_deblurrer(arg)
    name = "scan-high" if arg is None else f"scan-high:{arg}"
    return Reader(name, "zxing-cpp", lambda image: {c.text for c in scan(image, deblurrer=deblurrer, effort="high")})


def _oracle(arg: str | None) -> SceneMethod:
    from qrdeblur.bench.oracle import OracleReader

    _no_arg("oracle", arg)
    return OracleReader()


def _known(arg: str | None):
    from qrdeblur.bench.known_method import known_method

    return known_method(arg)


# ----------------------------------------------------------------------------------- video methods


@dataclass
class _VideoReader:
    """A video method over the scanner: ``frame-any`` (``tracks`` False) or ``video``."""

    name: str
    deblurrer: Any
    tracks: bool
    decoder: str = "zxing-cpp"

    def warm_up(self, path: Path) -> None:
        from qrdeblur.scan import scan
        from qrdeblur.scan.frames import open_frames
        from qrdeblur.scan.video import FRAME_BUDGET_MS

        with open_frames(path) as frames:
            for frame in frames:
                scan(frame.image, budget_ms=FRAME_BUDGET_MS, deblurrer=self.deblurrer)
                break

    def read_video(self, path: Path) -> VideoRead:
        from qrdeblur.scan import scan, scan_video
        from qrdeblur.scan.frames import open_frames
        from qrdeblur.scan.video import FRAME_BUDGET_MS

        if self.tracks:
            progress = []
            tracks = list(scan_video(path, deblurrer=self.deblurrer, on_progress=progress.append))
            return VideoRead([t.text for t in tracks], progress[-1].frames if progress else 0)
        seen: dict[str, None] = {}
        frames = reads = 0
        with open_frames(path) as source:
            for frame in source:
                texts = {c.text for c in scan(frame.image, budget_ms=FRAME_BUDGET_MS, deblurrer=self.deblurrer)}
                reads += len(texts)
                seen.update(dict.fromkeys(sorted(texts)))
                frames += 1
        return VideoRead(list(seen), frames, reads)


def _video_method(base: str, tracks: bool) -> MethodFactory:
    def factory(arg: str | None):
        from qrdeblur.scan import load_deblurrer

        if arg is not None and not Path(arg).exists():
            raise UsageError(f"{arg}: model file not found (method {base}:{arg})")
        name = base if arg is None else f"{base}:{arg}"
        return _VideoReader(name, load_deblurrer(arg), tracks)

    return factory


#: name -> entry; the help of ``qrdeblur bench`` and the errors list these, per kind.
METHODS: dict[str, MethodEntry] = {
    "raw": MethodEntry("crop", _raw),
    "sharpen": MethodEntry("crop", _sharpen),
    "wiener-oracle": MethodEntry("crop", _wiener_oracle, "BALANCE"),
    "rl-oracle": MethodEntry("crop", _rl_oracle, "ITERATIONS"),
    "wiener-unsup": MethodEntry("crop", _wiener_unsup),
    "finder-wiener": MethodEntry("crop", _finder_wiener),
    "model": MethodEntry("crop", lambda arg: _model_methods().ModelMethod(arg), "PATH"),
    "finder-model": MethodEntry("crop", lambda arg: _model_methods().FinderModelMethod(arg), "PATH"),
    "paper-g": MethodEntry("crop", lambda arg: _model_methods().PaperGeneratorMethod(arg), "PATH"),
    "zxing-only": MethodEntry("scene", _zxing_only),
    "opencv": MethodEntry("scene", _opencv),
    "scan": MethodEntry("scene", _scan, "MODEL"),
    "scan-high": MethodEntry("scene", _scan_high, "MODEL"),
    "oracle": MethodEntry("scene", _oracle),
    "known": MethodEntry("scene", lambda arg: _known(arg), "N"),
    "frame-any": MethodEntry("video", _video_method("frame-any", tracks=False), "MODEL"),
    "video": MethodEntry("video", _video_method("video", tracks=True), "MODEL"),
}


def register_method(name: str, factory: MethodFactory, kind: str = "crop", arg: str | None = None) -> None:
    """Add (or replace) a method of item ``kind``; ``factory(arg)`` gets the text after ``name:`` or None."""
    if not name or ":" in name or "," in name:
        raise UsageError(f"method name must be non-empty without ':' or ',', got {name!r}")
    if kind not in KINDS:
        raise UsageError(f"unknown method kind {kind!r}; choose one of {', '.join(KINDS)}")
    METHODS[name] = MethodEntry(kind, factory, arg)


def method_choices(kind: str | None = None) -> str:
    """The registered methods (of ``kind``, or all) for help texts: ``raw, ..., model[:PATH], ...``."""
    return ", ".join(
        name if e.arg is None else f"{name}[:{e.arg}]"
        for name, e in METHODS.items()
        if kind is None or e.kind == kind
    )


def get_method(spec: str, kind: str | None = None, suite: str | None = None):
    """Build the method for ``"name"`` or ``"name:ARG"``.

    Args:
        spec: the method spec.
        kind: the item kind the caller runs; a method of another kind is refused.
        suite: the suite's name, for the error messages only.

    Raises:
        UsageError: unknown name, or a method of another kind; the message lists the valid choices.
    """
    name, sep, arg = spec.strip().partition(":")
    where = f"suite {suite!r}" if suite else f"{kind} items" if kind else ""
    entry = METHODS.get(name)
    if entry is None:
        scope = f" for {where}" if where else ""
        raise UsageError(f"unknown method {spec!r}{scope}; choose one of {method_choices(kind)}")
    if kind is not None and entry.kind != kind:
        raise UsageError(
            f"method {name!r} {KINDS[entry.kind]}, but {where} needs a method that {KINDS[kind]}; "
            f"choose one of {method_choices(kind)}"
        )
    return entry.factory(arg if sep and arg else None)
