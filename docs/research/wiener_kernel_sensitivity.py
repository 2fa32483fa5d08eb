import numpy as np, time, sys
from qrdeblur.bench.suites import paper80
from qrdeblur.synth import kernels
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.decode.decoders import get_decoder
dec = get_decoder("zxing-cpp")
items = paper80(per_cell=8, seed=1)
def run(dl, da, ds, bal=2e-4):
    ok = {}
    for it in items:
        L = int(it.cell.split('-')[0][3:]); s = int(it.cell.split('-s')[1]); th = it.meta['angle']
        psf = kernels.compose(kernels.motion(max(0,L+dl), th+da), kernels.gaussian(max(0.3,s+ds)))
        out = wiener_oracle(it.blurred[...,0].astype(np.float32)/255, psf, bal)
        ok.setdefault(it.cell, []).append(decodes_correctly(out, it.payloads, dec))
    rows = {c: 100*np.mean(v) for c, v in ok.items()}
    print(f"dl={dl} da={da} ds={ds} bal={bal}: mean {np.mean(list(rows.values())):.1f} ", " ".join(f"{v:.0f}" for v in rows.values()), flush=True)
for args in [(0,0,0),(1,0,0),(-1,0,0),(2,0,0),(0,3,0),(0,6,0),(0,10,0),(0,0,0.3),(0,0,-0.3),(0,0,0.6)]:
    run(*args)
