"""Compare scan cascade configurations on the ``photo`` suite, scene by scene, interleaved.

Each ``--config NAME[:KEY=VALUE,...]`` is a :class:`~qrdeblur.scan.CascadeConfig` with the given fields
changed (``default``: none changed). Every scene is read by each configuration in turn, so a machine
load that comes and goes affects all of them alike (the ``photo`` bench runs one method over all
scenes, then the next: a knob worth a few codes drowns in that noise in budget-limited runs). Prints
codes read, false reads and the median ms per photo per configuration, and writes one row per scene
(``--out``). Values: numbers (``inf`` too), ``true``/``false``, ``A+B`` for a tuple of names
(``crop_binarizers``); ``main_steps``/``alt_steps`` take ``+``-separated indices into the default
step lists (``none``: empty); two extra keys, ``budget_ms`` (this configuration's budget instead of
``--budget``) and ``threads`` (its own generator with that many onnxruntime threads). Run::

    python research/cascade_compare.py --config default --config refits0:grid_refits=0 --count 300
    python research/cascade_compare.py --config default --config long:budget_ms=1200 --config alt:alt_steps=1+0+2
"""

from __future__ import annotations

import argparse
import csv
import dataclasses
import statistics
import time

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.imageio import to_grey
from qrdeblur.restore.deblurrer import Deblurrer, scan_model_path
from qrdeblur.scan import ALT_STEPS, MAIN_STEPS, Cascade, CascadeConfig, load_deblurrer

EXTRA_KEYS = ("budget_ms", "threads")


@dataclasses.dataclass
class Variant:
    """One configuration to compare: its name, the cascade config, its budget and generator threads."""

    name: str
    config: CascadeConfig
    budget_ms: float | None = None
    threads: int | None = None


def parse_value(key: str, text: str, default):
    """``text`` as the type of the field's default value."""
    if key in ("main_steps", "alt_steps"):
        steps = MAIN_STEPS if key == "main_steps" else ALT_STEPS
        return () if text in ("", "none") else tuple(steps[int(i)] for i in text.split("+"))
    if isinstance(default, bool):
        if text.lower() not in ("true", "false", "1", "0"):
            raise ValueError(f"{key} takes true or false, got {text!r}")
        return text.lower() in ("true", "1")
    if isinstance(default, int):
        return int(text)
    if isinstance(default, float):
        return float(text)
    if isinstance(default, tuple):
        return tuple(text.split("+"))
    return text


def parse_variant(spec: str) -> Variant:
    """``NAME[:KEY=VALUE,...]`` -> :class:`Variant` (ValueError naming the fields on an unknown key)."""
    name, _, settings = spec.partition(":")
    base = CascadeConfig()
    fields = {f.name for f in dataclasses.fields(CascadeConfig)}
    changes, extra = {}, {}
    for item in filter(None, settings.split(",")):
        key, sep, text = item.partition("=")
        key = key.strip()
        if not sep:
            raise ValueError(f"{spec!r}: expected KEY=VALUE, got {item!r}")
        if key in EXTRA_KEYS:
            extra[key] = float(text) if key == "budget_ms" else int(text)
        elif key in fields:
            changes[key] = parse_value(key, text.strip(), getattr(base, key))
        else:
            choices = ", ".join(sorted(fields) + list(EXTRA_KEYS))
            raise ValueError(f"{spec!r}: unknown key {key!r}; choose one of {choices}")
    return Variant(name.strip(), dataclasses.replace(base, **changes), **extra)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", action="append", default=None, metavar="NAME[:KEY=VALUE,...]",
                        help="a configuration to compare (repeat; default: the default configuration only)")
    parser.add_argument("--count", type=int, default=300, help="scenes of the photo suite")
    parser.add_argument("--start", type=int, default=0, help="first scene")
    parser.add_argument("--scenes", default=None, help="comma-separated scene indices (default: all)")
    parser.add_argument("--budget", type=float, default=800.0, help="time budget per photo, ms")
    parser.add_argument("--model", default=None, help="generator (.onnx); default: the shipped scan generator")
    parser.add_argument("--out", default=None, help="CSV, one row per scene")
    args = parser.parse_args()
    try:
        variants = [parse_variant(s) for s in args.config or ["default"]]
    except ValueError as exc:
        parser.error(str(exc))
    names = [v.name for v in variants]
    if len(set(names)) != len(names):
        parser.error(f"configuration names must differ: {names}")
    deblurrer = load_deblurrer(args.model)
    path = args.model or scan_model_path()
    cascades = {
        v.name: Cascade(Deblurrer.load(path, v.threads) if v.threads else deblurrer, v.config) for v in variants
    }
    budgets = {v.name: v.budget_ms or args.budget for v in variants}
    reads = {n: 0 for n in names}
    false = {n: 0 for n in names}  # texts read that are no payload of the scene
    ms: dict = {n: [] for n in names}
    easy_ms: dict = {n: [] for n in names}  # photos whose codes the plain read reads completely
    rows = []
    total = 0
    items = photo_suite(args.count)[args.start :]
    if args.scenes:
        items = [items[int(i) - args.start] for i in args.scenes.split(",")]
    for item in items:
        grey = to_grey(item.image)
        total += len(item.codes)
        row = {"scene": item.meta["index"], "cell": item.cell, "codes": len(item.codes)}
        for n in names:
            t = time.perf_counter()
            found = {c.text: c.method for c in cascades[n].run(grey, budgets[n], image=item.image)}
            ms[n].append((time.perf_counter() - t) * 1000)
            raw_all = all(found.get(p) == "raw" for p in item.payloads)
            if raw_all:
                easy_ms[n].append(ms[n][-1])
            got = [p for p in item.payloads if p in found]
            reads[n] += len(got)
            false[n] += len(set(found) - set(item.payloads))
            row[n] = len(got)
            row[n + "_ms"] = round(ms[n][-1], 1)
            row[n + "_raw_all"] = int(raw_all)
            row[n + "_methods"] = "|".join(found[p] for p in got)
        rows.append(row)
        print(item.meta["index"], " ".join(f"{n}={reads[n]}" for n in names), f"/{total}", flush=True)
    for n in names:
        easy = f"{statistics.median(easy_ms[n]):.0f} ms on {len(easy_ms[n])}" if easy_ms[n] else "-"
        print(
            f"{n:16s} {reads[n]}/{total} codes, {false[n]} false, median {statistics.median(ms[n]):.0f} ms per photo,"
            f" {easy} read raw"
        )
    if args.out and rows:
        with open(args.out, "w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=list(rows[0]))
            w.writeheader()
            w.writerows(rows)


if __name__ == "__main__":
    main()
