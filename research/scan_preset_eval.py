"""Decode rate of generators on held-out ``scan-whole`` pairs (whole rectified crops, as the cascade
makes them), against the blurred crops themselves.

Draws ``--count`` pairs of the ``scan-whole`` training preset from ``--seed`` (4242: neither the
training seed, 0, nor the validation seed, 777), restores the blurred crops with each model
(``.onnx``, or a ``.pt`` checkpoint through torch) and prints the fraction zxing-cpp reads, beside
the blurred crops read as they are. Run::

    python research/scan_preset_eval.py --count 300 src/qrdeblur/weights/scan-wiener-qrunet.onnx runs/x/best.pt
"""

from __future__ import annotations

import argparse

import numpy as np

from qrdeblur.decode import get_decoder
from qrdeblur.synth.presets import PairStream


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="generators: .onnx, or .pt checkpoints (needs torch)")
    parser.add_argument("--count", type=int, default=300, help="pairs")
    parser.add_argument("--seed", type=int, default=4242, help="the draw's seed")
    parser.add_argument("--size", type=int, default=80, help="crop side, px")
    args = parser.parse_args()

    from qrdeblur.models.deblurrer import load_deblurrer

    stream = PairStream("scan-whole", args.seed, size=args.size)
    pairs = [next(stream) for _ in range(args.count)]
    decoder = get_decoder("zxing-cpp")
    blurred = [np.round(p.blurred * 255).astype(np.uint8) for p in pairs]

    def rate(images) -> float:
        read = [{r.text for r in decoder.decode(img)} for img in images]
        hits = sum(p.meta["payload"] in texts for p, texts in zip(pairs, read, strict=True))
        return hits / len(pairs)

    print(f"blurred: {rate(blurred):.1%} of {len(pairs)}")
    for path in args.models:
        model = load_deblurrer(path, threads=1)
        print(f"{path}: {rate(model.deblur_batch(blurred)):.1%}")


if __name__ == "__main__":
    main()
