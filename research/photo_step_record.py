"""Record which (candidate, step) pair of the scan cascade reads which code on the ``photo`` suite.

For every photo whose codes the cascade's plain reads (zxing-cpp on the photo as loaded, on its grey
version and on that with the contrast equalised) do not read completely, the cascade's candidates
(the first ``--candidates``, in the cascade's order) are each tried with every step of the
configuration's main and alternative steps and of :data:`EXTRA_STEPS` (other scales and contrast
choices) through ``Cascade.attempt``, each on a fresh :class:`~qrdeblur.scan.scene.Scene` so that
every step is judged alone; an observer (``Cascade(..., observer=...)``) gives each step's time and
the codes it read. The outcomes are pickled for ``photo_step_replay.py``, which replays cascade
policies (budget, follow-up, order) on them. Run (tens of minutes per 100 photos on one core)::

    python research/photo_step_record.py --start 0 --end 300 --out runs/photo_steps_0_300.pkl
"""

from __future__ import annotations

import argparse
import pickle
import time

import numpy as np
from photo_breakdown import plain_reads  # a sibling research script

from qrdeblur.bench.suites.photo import photo_suite
from qrdeblur.imageio import to_grey
from qrdeblur.scan import Attempt, Cascade, CascadeConfig, Step, load_deblurrer
from qrdeblur.scan.locate import centred_on, texture_candidates, zxing_candidates
from qrdeblur.scan.scene import Scene

#: Steps beside the configuration's own: other scales, and the generator without/with the contrast stretch.
EXTRA_STEPS = (
    Step("deblur", "deblur", "module", 3.0),
    Step("deblur", "deblur", "side", 128),
    Step("deblur-rescale", "deblur", "native", 1.0),
    Step("deblur-rescale", "deblur", "native", 1.25, stretch=True),
    Step("deblur-rescale", "deblur", "native", 0.75, stretch=True),
    Step("deblur-rescale", "deblur", "module", 2.0, stretch=True),
    Step("deblur-rescale", "deblur", "module", 2.5, stretch=True),
    Step("deblur-rescale", "deblur", "module", 3.5, stretch=True),
    Step("deblur-rescale", "deblur", "side", 160, stretch=True),
    Step("deblur-rescale", "deblur", "side", 224, stretch=True),
    Step("sharpen", "sharpen", "module", 3.0),
)


def step_name(step: Step) -> str:
    """A short unique name: restore kind, scale and factor, ``+s`` when contrast-stretched, margin if set."""
    name = f"{step.restore}:{step.scale}{step.factor:g}{'+s' if step.stretch else ''}"
    return name if step.margin is None else f"{name}@m{step.margin:g}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--start", type=int, default=0, help="first scene")
    parser.add_argument("--end", type=int, default=300, help="scene after the last")
    parser.add_argument("--candidates", type=int, default=14, help="candidates tried per photo (the first ones)")
    parser.add_argument("--model", default=None, help="generator (.onnx); default: the shipped scan generator")
    parser.add_argument("--out", required=True, help="pickle to write")
    args = parser.parse_args()
    cfg = CascadeConfig()
    steps = {step_name(s): s for s in (*cfg.main_steps, *cfg.alt_steps, *EXTRA_STEPS)}
    attempts: list[Attempt] = []
    deblurrer = load_deblurrer(args.model)
    cascade = Cascade(deblurrer, cfg, observer=attempts.append)
    photos = []
    for item in photo_suite(args.end)[args.start :]:
        want = set(item.payloads)
        grey = to_grey(item.image)
        t = time.perf_counter()
        raw, failed = plain_reads(item.image, grey, cfg)
        raw_ms = (time.perf_counter() - t) * 1000
        record = {"i": item.meta["index"], "want": want, "raw": raw, "raw_ms": raw_ms, "loc_ms": 0.0, "cands": []}
        photos.append(record)
        if want <= raw:
            continue
        t = time.perf_counter()
        cands = zxing_candidates(failed)
        exact = [c.quad for c in cands]
        texture = texture_candidates(grey, cfg.max_candidates, cfg.texture_coherence, cfg.texture_split)
        cands += [c for c in texture if not centred_on(c, exact)]
        record["loc_ms"] = (time.perf_counter() - t) * 1000
        for cand in cands[: args.candidates]:
            res = []
            for step in steps.values():
                attempts.clear()
                cascade.attempt(Scene(grey, cfg, deblurrer), cand, step)
                texts = {c.text for c in attempts[-1].codes}
                res.append((texts & want, texts - want, attempts[-1].ms))
            record["cands"].append(
                {"score": cand.score, "source": cand.source, "exact": cand.exact, "quad": np.asarray(cand.quad),
                 "res": res}
            )
        reached = sum(bool(set().union(*[r[0] for r in c["res"]])) for c in record["cands"])
        print(record["i"], len(want), len(raw & want), len(cands), reached, flush=True)
    names = list(steps)
    data = {
        "steps": names,
        "main": [step_name(s) for s in cfg.main_steps],
        "alt": [step_name(s) for s in cfg.alt_steps],
        "photos": photos,
    }
    with open(args.out, "wb") as f:
        pickle.dump(data, f)


if __name__ == "__main__":
    main()
