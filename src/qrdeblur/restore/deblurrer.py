"""``Deblurrer``: run a generator on images of any size, through onnxruntime (no torch needed).

The shipped model lives in ``qrdeblur/weights/`` and loads offline. A ``.onnx`` file runs through
onnxruntime. A training checkpoint (``.pt``) runs through torch (the ``train`` extra): the torch-side
:func:`qrdeblur.models.deblurrer.load_deblurrer` wraps it in this same class, so that ``restore``
never imports torch or the models (``tests/test_layers.py``). The ONNX graph takes (B, C, H, W)
float32 in [0, 1] with H and W multiples of ``pad_multiple`` (stored in the model's metadata) and
returns the restored image in [0, 1]; padding and cropping happen here.
A ``wiener-qrunet`` graph (metadata ``front_end=kernel-wiener``) runs in three steps: its blur
estimator, Wiener deconvolution in NumPy, its refiner.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError

SHIPPED_MODEL = "wiener-qrunet.onnx"
SCAN_MODEL = "scan-wiener-qrunet.onnx"
PLAIN_MODEL = "qrunet.onnx"
#: Training checkpoints: torch's files, loaded by :mod:`qrdeblur.models.deblurrer`.
CHECKPOINT_SUFFIXES = (".pt", ".pth")


def shipped_model_path() -> Path:
    """Path of the default model inside the installed package (``deblur``, ``Deblurrer.load()``).

    ``wiener-qrunet`` (blur estimate, Wiener, int8 refiner): the best on code crops (paper80 45.3% vs
    18.8% for ``qrunet``), see the model card.
    """
    return Path(str(resources.files("qrdeblur") / "weights" / SHIPPED_MODEL))


def scan_model_path() -> Path:
    """Path of the generator ``scan`` uses by default: ``scan-wiener-qrunet``, the ``wiener-qrunet``
    design (blur estimate, Wiener, int8 refiner) fine-tuned on the ``scan`` preset (rectified,
    rescaled crops of codes blurred at native photo resolution), its estimator taught the blur as
    the rectified crop sees it. See the model card for its photo numbers against the earlier
    ``scan-qrunet`` (a plain U-Net), which it replaced.
    """
    return Path(str(resources.files("qrdeblur") / "weights" / SCAN_MODEL))


def plain_model_path() -> Path:
    """Path of the shipped plain generator ``qrunet`` (no blur estimate of its own): the refiner of the
    bench method ``finder-model``, which runs its own Wiener step first, and the start of ``scan-qrunet``."""
    return Path(str(resources.files("qrdeblur") / "weights" / PLAIN_MODEL))


def _to_float(image: np.ndarray) -> np.ndarray:
    image = np.asarray(image)
    if image.dtype == np.uint8:
        return image.astype(np.float32) / 255.0
    if image.dtype == np.uint16:
        return image.astype(np.float32) / 65535.0
    if image.dtype.kind == "f":
        return np.clip(image.astype(np.float32), 0, 1)
    raise UsageError(f"unsupported image dtype {image.dtype}; use uint8, uint16 or float in [0, 1]")


class Deblurrer:
    """Restore blurred QR images with a generator; ``Deblurrer.load()`` gives the shipped model.

    Example:
        >>> sharp = Deblurrer.load().deblur(blurred_uint8)   # same shape, uint8
    """

    def __init__(self, run_batch, channels: int, pad_multiple: int, name: str, estimate=None):
        self._run = run_batch
        self._estimate = estimate
        self.channels = channels
        self.pad_multiple = pad_multiple
        self.name = name

    @classmethod
    def load(cls, path: str | Path | None = None, threads: int | None = None) -> Deblurrer:
        """Load ``path`` (.onnx, through onnxruntime, or a model folder made by ``qrdeblur enroll``: its
        ``model.onnx``); None = shipped model.

        A training checkpoint (.pt) needs torch: :func:`qrdeblur.models.deblurrer.load_deblurrer` loads
        either kind."""
        path = Path(path) if path is not None else shipped_model_path()
        if path.is_dir():
            if not (path / "model.onnx").exists():
                raise UsageError(f"{path}: no model.onnx in this folder (a folder made by qrdeblur enroll?)")
            path = path / "model.onnx"
        if not path.exists():
            raise UsageError(f"{path}: model file not found")
        if path.suffix == ".onnx":
            return cls._load_onnx(path, threads)
        if path.suffix in CHECKPOINT_SUFFIXES:
            raise UsageError(
                f"{path}: a .pt checkpoint runs through torch: load it with "
                "qrdeblur.models.deblurrer.load_deblurrer (pip install 'qrdeblur[train]'), or export it to .onnx"
            )
        raise UsageError(f"{path}: unknown model format (expected .onnx or .pt)")

    @classmethod
    def _load_onnx(cls, path: Path, threads: int | None) -> Deblurrer:
        import onnxruntime as ort  # heavy: loaded with the first model, not with the package

        opts = ort.SessionOptions()
        if threads:
            opts.intra_op_num_threads = threads
        opts.inter_op_num_threads = 1
        try:
            session = ort.InferenceSession(str(path), opts, providers=["CPUExecutionProvider"])
        except Exception as exc:  # onnxruntime raises its own exception types
            raise UsageError(f"{path}: not a loadable ONNX model ({str(exc).splitlines()[0]})") from None
        meta = session.get_modelmeta().custom_metadata_map
        channels = int(meta.get("channels", session.get_inputs()[0].shape[1]))
        pad = int(meta.get("pad_multiple", 1))
        if meta.get("front_end") == "kernel-wiener":
            run, estimate = _kernel_wiener_runner(session)
            return cls(run, 1, pad, meta.get("model_name", path.stem), estimate)
        input_name = session.get_inputs()[0].name

        def run(batch: np.ndarray) -> np.ndarray:
            return session.run(None, {input_name: batch})[0]

        return cls(run, channels, pad, meta.get("model_name", path.stem))

    def deblur_float(self, batch: np.ndarray) -> np.ndarray:
        """(B, C, H, W) float32 in [0, 1] -> restored batch of the same shape (C converted as needed)."""
        b, c, h, w = batch.shape
        x = batch
        if c != self.channels:
            x = x.mean(axis=1, keepdims=True) if self.channels == 1 else np.repeat(x, self.channels, axis=1)
        m = self.pad_multiple
        ph, pw = (-h) % m, (-w) % m
        if ph or pw:
            x = np.pad(x, ((0, 0), (0, 0), (0, ph), (0, pw)), mode="edge")
        y = self._run(np.ascontiguousarray(x, dtype=np.float32))[:, :, :h, :w]
        if y.shape[1] != c:
            y = y.mean(axis=1, keepdims=True) if c == 1 else np.repeat(y, c, axis=1)
        return np.clip(y, 0, 1)

    @property
    def has_estimator(self) -> bool:
        """True when the model estimates the blur (:meth:`estimate_blur` answers)."""
        return self._estimate is not None

    def estimate_blur(self, image: np.ndarray) -> tuple[float, float, float] | None:
        """The blur the model's estimator sees in a grey crop: (motion length px, angle degrees, Gaussian
        sigma px), as :func:`~qrdeblur.restore.finder_kernel.kernel_of` takes them; None for a model
        without an estimator (only ``wiener-qrunet`` ONNX files have one)."""
        if self._estimate is None:
            return None
        # lazy, as in _kernel_wiener_runner: kernel_wiener brings scipy.signal (~0.5 s to import)
        from qrdeblur.restore.kernel_wiener import decode_blur, estimator_features

        x = _to_float(np.asarray(image))
        if x.ndim != 2:
            raise UsageError(f"estimate_blur expects a grey (H, W) image, got shape {x.shape}")
        return tuple(decode_blur(self._estimate(estimator_features(x[None]))[0])[:3])  # type: ignore[return-value]

    def deblur(self, image: np.ndarray) -> np.ndarray:
        """Restore one image: (H, W) or (H, W, 3), uint8/uint16/float; returns uint8 of the same layout."""
        return self.deblur_batch([image])[0]

    def deblur_batch(self, images: list[np.ndarray]) -> list[np.ndarray]:
        """Restore several images; images of equal shape run as one batch."""
        out: list[np.ndarray | None] = [None] * len(images)
        groups: dict[tuple, list[int]] = {}
        for i, img in enumerate(images):
            img = np.asarray(img)
            if img.ndim not in (2, 3) or (img.ndim == 3 and img.shape[2] not in (1, 3, 4)):
                raise UsageError(f"expected an (H, W) or (H, W, 3) image, got shape {img.shape}")
            groups.setdefault(img.shape, []).append(i)
        for shape, idx in groups.items():
            arrs = [_to_float(images[i]) for i in idx]
            if len(shape) == 3:
                arrs = [a[..., :3] if a.shape[2] >= 3 else a for a in arrs]
                batch = np.stack([np.transpose(a, (2, 0, 1)) for a in arrs])
            else:
                batch = np.stack(arrs)[:, None]
            restored = self.deblur_float(batch)
            for j, i in enumerate(idx):
                r = np.transpose(restored[j], (1, 2, 0))
                r = r[..., 0] if len(shape) == 2 else r
                out[i] = np.clip(np.round(r * 255), 0, 255).astype(np.uint8)
        return out  # type: ignore[return-value]


def _kernel_wiener_runner(session):
    """Batch runner for a ``wiener-qrunet`` graph (estimator, NumPy Wiener, then refiner; see export),
    and the estimator alone (features -> blur vectors)."""
    # lazy: kernel_wiener brings scipy.signal (~0.5 s to import), which only these graphs need
    from qrdeblur.restore.kernel_wiener import ESTIMATOR_SIZE, front_end

    no_features = np.zeros((1, 2, ESTIMATOR_SIZE, ESTIMATOR_SIZE), np.float32)
    no_refiner_input = np.zeros((1, 2, 8, 8), np.float32)

    def estimate(features: np.ndarray) -> np.ndarray:
        feeds = {"estimator_features": features, "refiner_input": no_refiner_input}
        return session.run(["blur"], feeds)[0]

    def run(batch: np.ndarray) -> np.ndarray:
        feeds = {"estimator_features": no_features, "refiner_input": front_end(batch[:, 0], estimate)}
        return session.run(["restored"], feeds)[0]

    return run, estimate
