"""The ``known:N`` method of the ``known`` suite: ``scan`` with a list of ``N`` known payloads, each photo
tried with its code on the list and without it (:func:`qrdeblur.bench.suites.known.score_known`)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from qrdeblur.errors import UsageError

#: Per photo, the cascade's result before identification, shared by the ``known:N`` methods of one
#: run (identical for every list: the list only changes what follows; its time is charged to each).
_PREPARED: dict[int, tuple] = {}


@dataclass
class KnownMethod:
    """``scan`` with ``size`` known payloads: :meth:`trials` gives (codes with the photo's code listed,
    codes without it, ms of the first) as (text, method) pairs."""

    size: int
    name: str = ""
    decoder: str = "zxing-cpp"
    _lists: dict = field(default_factory=dict, repr=False)

    def __post_init__(self):
        from qrdeblur.identify import KnownCodes
        from qrdeblur.scan import load_deblurrer
        from qrdeblur.scan.cascade import Cascade
        from qrdeblur.synth.reserved import known_distractors

        others = known_distractors()
        if not 1 <= self.size <= len(others):
            raise UsageError(f"known:N needs N in 1..{len(others)}, got {self.size}")
        self.name = f"known:{self.size}"
        self.cascade = Cascade(load_deblurrer())
        # rendered once: the list with the photo's code adds it to the first N - 1 others
        self.base = KnownCodes(others[: self.size - 1]) if self.size > 1 else None
        self.absent = KnownCodes(others[: self.size])

    def _prepared(self, item: Any):
        from qrdeblur.imageio import to_grey
        from qrdeblur.scan.api import DEFAULT_BUDGET_MS, as_loaded

        key = id(item)
        if key not in _PREPARED:
            t0 = time.perf_counter()
            grey = to_grey(item.image)
            scene, cands = self.cascade.prepare(grey, DEFAULT_BUDGET_MS, t0, as_loaded(item.image, grey))
            if len(_PREPARED) > 5000:
                _PREPARED.clear()
            _PREPARED[key] = (scene, cands, (time.perf_counter() - t0) * 1000)
        return _PREPARED[key]

    def trials(self, item: Any) -> tuple[list, list, float]:
        from qrdeblur.identify import KnownCodes
        from qrdeblur.scan.scene import Scene

        scene, cands, prepare_ms = self._prepared(item)
        truth = item.payloads[0]
        present = self.base.extended([truth]) if self.base is not None else KnownCodes([truth])
        out, ms = [], 0.0
        for known in (present, self.absent):
            trial = Scene(scene.grey, scene.config, scene.deblurrer)
            trial.codes = list(scene.codes)
            t0 = time.perf_counter()
            self.cascade.identify(trial, cands, known, t0 + self.cascade.config.known_ms / 1000.0)
            ms = ms or prepare_ms + (time.perf_counter() - t0) * 1000
            out.append([(c.text, c.method) for c in trial.codes])
        return out[0], out[1], ms


def known_method(arg: str | None) -> KnownMethod:
    """``known:N``."""
    if arg is None or not arg.isdigit():
        raise UsageError(f"method known needs a list size, e.g. known:100 (got {arg!r})")
    return KnownMethod(int(arg))
