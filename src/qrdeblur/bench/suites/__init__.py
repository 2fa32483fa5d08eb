"""Benchmark suites: fixed, seeded sets of items with known payloads, by name (:data:`SUITES`).

- ``paper80`` (:mod:`.paper80`): the paper's 80x80 crops in 15 blur cells; ``crop`` methods.
- ``speed`` (:mod:`.speed`): one batch of 64 ``paper80`` crops, for timing; ``crop`` methods.
- ``photo`` (:mod:`.photo`, scenes from :mod:`.photo_scene`): 300 phone-photo-like scenes with one
  to three blurred codes each; ``scene`` methods.
- ``shake`` (:mod:`.shake`): 200 single codes under camera shake and linear motion of 1-12 module
  widths, in five cells by extent; ``scene`` methods, ``oracle`` among them.
- ``hard`` (:mod:`.hard`, labels from :mod:`qrdeblur.synth.hard_print` and
  :mod:`qrdeblur.synth.hard_damage`): 280 mildly blurred codes that break the rules (no quiet zone,
  a damaged finder, inverted, mirrored, glare, on a cylinder, under hard shadows), one cell per rule;
  ``scene`` methods.
- ``conveyor`` (:mod:`.conveyor`, sequences from :mod:`qrdeblur.synth.conveyor`): short videos of one
  to three codes carried past a fixed camera with 1-10 modules of motion blur, in four cells by blur;
  ``video`` methods.
- ``known`` (:mod:`.known`): 504 codes blurred past decoding (and easy controls), identified among
  lists of 3 to 10,000 known payloads (``known:N``), each with and without its own code on the list.

Each is a :class:`~qrdeblur.bench.suites.base.Suite`: how to build its items, the kind of method it
runs and how a run is scored. Payloads of every suite are reserved (:mod:`qrdeblur.synth.reserved`):
the training presets never draw them.
"""

from __future__ import annotations

from qrdeblur.bench.suites import conveyor, hard, known, paper80, photo, shake, speed
from qrdeblur.bench.suites.base import Suite
from qrdeblur.errors import UsageError

#: name -> suite; ``qrdeblur bench --suite`` and its help list these.
SUITES: dict[str, Suite] = {
    s.name: s for s in (paper80.SUITE, speed.SUITE, photo.SUITE, shake.SUITE, hard.SUITE, conveyor.SUITE, known.SUITE)
}


def register_suite(suite: Suite) -> None:
    """Add (or replace) a suite under its name."""
    SUITES[suite.name] = suite


def get_suite(name: str) -> Suite:
    """The suite called ``name``; UsageError listing the choices when unknown."""
    try:
        return SUITES[name]
    except KeyError:
        raise UsageError(f"unknown suite {name!r}; choose one of {', '.join(SUITES)}") from None


__all__ = ["SUITES", "Suite", "get_suite", "register_suite"]
