"""Benchmarks: fixed suites, one method registry, one runner and its report.

- :mod:`~qrdeblur.bench.suites`: the suites by name (``paper80``, ``speed``, ``photo``), each a
  :class:`~qrdeblur.bench.suites.Suite` (its items, the kind of method it runs, its scoring);
- :mod:`~qrdeblur.bench.methods`: every method by name, each declaring the item kind it handles
  (``crop``: restorers whose output decoders read; ``scene``: whole-photo readers);
- :mod:`~qrdeblur.bench.runner`: :func:`~qrdeblur.bench.runner.run_bench`, the entry every suite goes
  through; :mod:`~qrdeblur.bench.scoring` scores each kind, :mod:`~qrdeblur.bench.report` writes
  results.csv, summary.json and the heatmap;
- :mod:`~qrdeblur.bench.paper_table`: the paper's Table 1 on our side (its own command).
"""
