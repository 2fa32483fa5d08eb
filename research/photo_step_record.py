"""Record which (candidate, step) pair of the scan cascade reads which code on the photo suite.

For every photo zxing-cpp alone does not read completely, the cascade's candidates (first 14) are
each tried with 19 step variants (the cascade's own, other scales, contrast-stretched crops
"N...") and the codes read and milliseconds are pickled, for ``photo_step_replay.py``.

Run: ``python docs/research/photo_step_record.py 0 300`` (dev install; ~20 min on one core).
"""

import pickle
import sys
import time

import numpy as np

from qrdeblur.bench.photo import photo_suite
from qrdeblur.decode import get_decoder
from qrdeblur.restore.deblurrer import Deblurrer
from qrdeblur.scan import locate
from qrdeblur.scan.cascade import Cascade, CascadeConfig, Step, to_grey

STEPS = [
    Step("rectify", "none"),
    Step("sharpen", "sharpen"),
    Step("deblur", "deblur", "module", 3.0),
    Step("deblur", "deblur", "side", 128),
    Step("r", "deblur", "native", 1.0),
    Step("r", "deblur", "native", 0.5),
    Step("r", "deblur", "native", 1.25),
    Step("2x", "deblur-2x", "native", 1.0),
    Step("r", "deblur", "module", 4.0),
    Step("r", "deblur", "module", 2.5),
    Step("r", "deblur", "module", 3.5),
    Step("r", "deblur", "module", 2.0),
    Step("r", "deblur", "side", 96),
    Step("r", "deblur", "side", 160),
    Step("r", "deblur", "native", 0.75),
    Step("n", "norm-deblur", "module", 3.0),
    Step("n", "norm-deblur", "side", 128),
    Step("n", "norm-deblur", "native", 1.0),
    Step("s", "sharpen", "module", 3.0),
]


class Rec(Cascade):
    def _attempt(self, grey, cand, step, codes, cache, time_left=np.inf):
        if step.restore == "norm-deblur":
            rect = self._rectified(grey, cand, step, cache)
            if rect is None:
                return
            c = rect.image.astype(np.float32)
            lo, hi = np.percentile(c, (1, 99))
            c = np.clip((c - lo) / max(hi - lo, 1) * 255, 0, 255).astype(np.uint8)
            out = self.deblurrer.deblur(c)
            ok, _ = self.reader.read(out, binarizers=self.config.crop_binarizers)
            from qrdeblur.scan.cascade import _code_from_zxing

            for bc, corners in ok:
                self._add(codes, _code_from_zxing(bc, rect.points_to_image(corners), step.method))
            return
        return super()._attempt(grey, cand, step, codes, cache, time_left)


zx = get_decoder("zxing-cpp")
d = Deblurrer.load()
cas = Rec(d, CascadeConfig())
items = photo_suite()
lo, hi = int(sys.argv[1]), int(sys.argv[2])
out = []
for i, it in enumerate(items[lo:hi], lo):
    want = {c.payload for c in it.codes}
    grey = to_grey(it.image)
    t = time.perf_counter()
    ok, failed = cas.reader.read(grey, errors=True)
    raw_ms = (time.perf_counter() - t) * 1000
    raw = {bc.text for bc, _ in ok}
    if want <= raw:
        out.append(dict(i=i, want=want, raw=raw, raw_ms=raw_ms, cands=[]))
        continue
    t = time.perf_counter()
    cands = locate.zxing_candidates(failed)
    exact = [c.quad for c in cands]
    tex = locate.texture_candidates(grey, 24)
    cands += [c for c in tex if not locate.covered(c, exact, 0.0)]
    loc_ms = (time.perf_counter() - t) * 1000
    rows = []
    for cand in cands[:14]:
        cache = {}
        res = []
        for st in STEPS:
            codes = []
            t = time.perf_counter()
            cas._attempt(grey, cand, st, codes, cache)
            ms = (time.perf_counter() - t) * 1000
            res.append(({c.text for c in codes} & want, {c.text for c in codes} - want, ms))
        rows.append(dict(score=cand.score, quad=np.asarray(cand.quad), res=res))
    out.append(dict(i=i, want=want, raw=raw, raw_ms=raw_ms, loc_ms=loc_ms, cands=rows))
    print(
        i,
        len(want),
        len(raw),
        len(cands),
        sum(len(set().union(*[r[0] for r in c["res"]])) > 0 for c in rows),
        flush=True,
    )
pickle.dump(out, open(f"/tmp/photo_steps_{lo}_{hi}.pkl", "wb"))
