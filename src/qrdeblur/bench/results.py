"""What a bench run produces: one :class:`BenchRow` per (method, decoder, cell), gathered in a :class:`BenchResult`."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: The columns of results.csv, in order.
COLUMNS = ("method", "decoder", "cell", "n", "decoded", "rate", "ms_per_image")


@dataclass
class BenchRow:
    """One (method, decoder, cell) result; ``rate`` is decoded / n as a fraction, 4 decimals.

    ``n`` counts what must be read (crops, or codes in the scenes) and ``ms_per_image`` is the time per
    image, 3 decimals (see the scoring of the suite's kind, :mod:`qrdeblur.bench.scoring`); ``extra``
    holds kind-specific counts that results.csv does not carry (e.g. false reads of scene readers).
    """

    method: str
    decoder: str
    cell: str
    n: int
    decoded: int
    rate: float
    ms_per_image: float
    extra: dict = field(default_factory=dict)


@dataclass
class BenchResult:
    """All rows of one run, with the method, decoder and cell orders as run.

    ``totals`` holds one row per method over every cell (cell ``all``) where the suite's kind reports
    one, and ``notes`` the summary lines the command line prints besides the table. ``details``
    (method -> dict) and ``meta`` (dict) go into summary.json as they are, where a suite's kind has
    more to say than a rate and a time per image (``video``: per-cell counts, the codec).
    """

    suite: str
    methods: list[str]
    decoders: list[str]
    cells: list[str]
    rows: list[BenchRow] = field(default_factory=list)
    totals: dict[str, BenchRow] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    details: dict[str, dict] = field(default_factory=dict)
    meta: dict = field(default_factory=dict)

    def row(self, method: str, decoder: str, cell: str) -> BenchRow:
        """The row of one (method, decoder, cell); KeyError when absent."""
        for r in self.rows:
            if (r.method, r.decoder, r.cell) == (method, decoder, cell):
                return r
        raise KeyError((method, decoder, cell))

    def mean_rate(self, method: str, decoder: str) -> float:
        """Unweighted mean of the per-cell decode rates (every cell counts the same)."""
        return float(np.mean([r.rate for r in self.rows if r.method == method and r.decoder == decoder]))
