"""What a benchmark suite is: :class:`Suite`."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from qrdeblur.bench.results import BenchResult
from qrdeblur.errors import UsageError


@dataclass(frozen=True)
class Suite:
    """A fixed, seeded set of items and how a run over them is scored.

    Attributes:
        name: the suite's name (``qrdeblur bench --suite``).
        kind: the item kind of its items; it runs the methods of this kind
            (:data:`qrdeblur.bench.methods.KINDS`).
        build: ``build() -> items``, deterministic.
        score: ``score(suite_name, methods, decoders, items, progress) -> BenchResult``: runs every method
            on the items and scores them (:mod:`qrdeblur.bench.scoring`).
        summary: one line for help texts.
        uses_decoders: whether ``--decoders`` applies (False: each method decodes with its own).
    """

    name: str
    kind: str
    build: Callable[[], Sequence[Any]]
    score: Callable[..., BenchResult]
    summary: str = ""
    uses_decoders: bool = True


def item_count(suite: str, per_cell: int, cells: int, reserved: int, unit: str = "items") -> int:
    """How many items a suite of ``per_cell`` items in each of ``cells`` cells holds; UsageError when that
    is outside 1..``reserved`` (the items its reserved payloads cover)."""
    count = per_cell * cells
    if not 1 <= count <= reserved:
        raise UsageError(f"{suite} suite size must be in 1..{reserved} {unit}, got {count}")
    return count
