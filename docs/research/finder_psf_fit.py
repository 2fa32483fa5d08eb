import numpy as np, cv2, time
from qrdeblur.bench.suites import paper80
from qrdeblur.synth import kernels
from qrdeblur.restore.classical import wiener_oracle
from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.decode import get_decoder
dec = get_decoder('zxing-cpp')
items = [it for it in paper80(per_cell=4, seed=1) if it.cell.endswith(('s1', 's2'))]
def known(version):
    n = 17 + 4 * version; N = n + 8
    m = np.zeros((N, N), bool); known = np.zeros((N, N), bool)
    known[:12, :12] = known[:12, -12:] = known[-12:, :12] = True  # quiet zone + finder + separator
    for (r, c) in ((4, 4), (4, N - 11), (N - 11, 4)):
        f = np.ones((7, 7), bool); f[1:6, 1:6] = False; f[2:5, 2:5] = True
        m[r:r+7, c:c+7] = f
    img = np.where(m, 0.0, 1.0).astype(np.float32)
    big = cv2.resize(np.kron(img, np.ones((8, 8), np.float32)), (80, 80), interpolation=cv2.INTER_AREA)
    kn = cv2.resize(np.kron(known.astype(np.float32), np.ones((8, 8), np.float32)), (80, 80), interpolation=cv2.INTER_AREA) > 0.999
    return big, kn
def fit(b, grid):
    best = (np.inf, None)
    for v in (1, 2):
        S, K = known(v)
        for (L, th, s) in grid:
            psf = kernels.compose(kernels.motion(L, th), kernels.gaussian(s))
            r = psf.shape[0] // 2
            valid = cv2.erode(K.astype(np.uint8), np.ones((psf.shape[0], psf.shape[1]), np.uint8), borderType=cv2.BORDER_CONSTANT, borderValue=1) > 0
            if valid.sum() < 20: continue
            pred = cv2.filter2D(S, -1, psf[::-1, ::-1], borderType=cv2.BORDER_REPLICATE)
            e = np.mean((pred[valid] - b[valid]) ** 2)
            if e < best[0]: best = (e, (L, th, s, v))
    return best[1]
t0 = time.time(); res = {}
for it in items:
    b = it.blurred[..., 0].astype(np.float32) / 255
    coarse = [(L, th, s) for L in range(0, 23, 2) for th in range(0, 180, 6) for s in np.arange(0.5, 3.6, 0.5)]
    L, th, s, v = fit(b, coarse)
    fine = [(L2, th2 % 180, s2) for L2 in np.arange(max(0, L - 1.5), L + 1.6, 0.5) for th2 in np.arange(th - 5, th + 5.1, 1) for s2 in np.arange(max(0.3, s - 0.375), s + 0.4, 0.125)]
    L, th, s, v = fit(b, fine)
    out = wiener_oracle(b, kernels.compose(kernels.motion(L, th), kernels.gaussian(s)))
    ok = decodes_correctly(out, it.payloads, dec)
    oo = decodes_correctly(wiener_oracle(b, it.psf), it.payloads, dec)
    res.setdefault(it.cell, []).append((ok, oo))
    print(it.cell, f"est L{L:.1f} th{th:.0f} s{s:.2f} | true th{it.meta['angle']:.0f} | blind-wiener {ok} oracle {oo}", flush=True)
for c, v in res.items(): print(c, 'blind', sum(a for a, _ in v), 'oracle', sum(b for _, b in v), 'of', len(v))
print('s', time.time() - t0)
