"""Read photos for scanning: Pillow, EXIF orientation honoured, every failure a one-line error.

``read_image`` returns what the scanner works on: (H, W) grey or (H, W, 3) RGB uint8, in the
orientation a viewer shows (EXIF ``Orientation`` applied), so the corners ``scan`` reports are in that
frame. 16-bit images are scaled to 8 bits, transparent images composited on white (a code printed on
a transparent sticker reads as on paper), palettes and CMYK converted.

Every problem is an :class:`~qrdeblur.errors.ImageReadError` whose message is one line,
``"<path>: <problem>"``; the problem alone is also on the exception as ``.problem`` (the batch JSON
puts it beside the path). Sizes are checked from the header before any pixel is decoded, so a file
claiming 20000x20000 pixels (a decompression bomb) is refused in microseconds.
"""

from __future__ import annotations

import os
import re
import warnings
from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from qrdeblur.errors import ImageReadError, UsageError

#: Largest image accepted, in pixels (a 60 MP phone photo fits; larger claims are refused unread).
MAX_PIXELS = 60_000_000
#: Smallest side that can hold a QR code (version 1 is 21 modules wide, at least 1 px each).
MIN_SIDE = 21
#: File name extensions a directory walk picks up (explicitly named files are tried whatever their name).
IMAGE_EXTENSIONS = frozenset(
    {".png", ".jpg", ".jpeg", ".jpe", ".jfif", ".webp", ".bmp", ".dib", ".tif", ".tiff", ".gif"}
)


def _error(path: str | Path, problem: str) -> ImageReadError:
    err = ImageReadError(f"{path}: {problem}")
    err.problem = problem
    return err


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


def _open(path: Path):
    """Open ``path`` with Pillow (header only) or raise a one-line ImageReadError."""
    if not path.exists():
        raise _error(path, "file not found")
    if path.is_dir():
        raise _error(path, "is a directory, not an image")
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise _error(path, f"cannot read file ({exc.strerror or _first_line(exc)})") from None
    if size == 0:
        raise _error(path, "empty file (0 bytes)")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            return Image.open(path)
    except PermissionError:
        raise _error(path, "cannot read file (permission denied)") from None
    except UnidentifiedImageError:
        raise _error(path, "not an image (unrecognised or unsupported format)") from None
    except Image.DecompressionBombError as exc:
        # Pillow refuses claims above 2 * MAX_IMAGE_PIXELS itself, before reading any pixel
        m = re.search(r"\((\d+) pixels\)", str(exc))
        claimed = f"{int(m.group(1)) / 1e6:.0f} MP" if m else "too many pixels"
        raise _error(
            path,
            f"image claims {claimed}, above the {MAX_PIXELS // 1_000_000} MP limit "
            "(decompression bomb?); refused",
        ) from None
    except OSError as exc:
        raise _error(path, f"cannot read file ({exc.strerror or _first_line(exc)})") from None
    except Exception as exc:  # plugins raise SyntaxError, ValueError, struct.error on broken headers
        raise _error(path, f"corrupt image header ({_first_line(exc)})") from None


def _to_array(im) -> np.ndarray:
    """Pillow image (any mode) -> (H, W) grey or (H, W, 3) RGB uint8."""
    mode = im.mode
    if mode in ("1", "L"):
        return np.asarray(im.convert("L"))
    if mode.startswith("I;16") or mode in ("I", "F"):
        a = np.asarray(im).astype(np.float64)
        if mode.startswith("I;16"):
            top = 65535.0
        elif mode == "I":  # 32-bit int; 16-bit PNG/TIFF data lands here on some Pillow versions
            top = 65535.0 if a.max(initial=0) > 255 else 255.0
        else:  # float: scale by its own range
            top = max(float(a.max(initial=0)), 1e-12) if a.max(initial=0) > 1 else 1.0
        return np.clip(np.round(a / top * 255.0), 0, 255).astype(np.uint8)
    if mode in ("LA", "La", "PA", "RGBA", "RGBa") or (mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        rgb = np.asarray(Image.alpha_composite(white, rgba).convert("RGB"))
        return rgb[..., 0].copy() if mode in ("LA", "La") else rgb
    return np.asarray(im.convert("RGB"))


def read_image(path: str | Path) -> np.ndarray:
    """Read an image file for scanning.

    Args:
        path: PNG, JPEG, WebP, BMP, TIFF (or GIF: first frame) file.

    Returns:
        (H, W) uint8 for grey sources, (H, W, 3) uint8 RGB otherwise, EXIF orientation applied.

    Raises:
        ImageReadError: one line naming the file and the problem: missing, unreadable, empty,
            not an image, corrupt or truncated, too small to hold a code, more than ``MAX_PIXELS``.
    """
    path = Path(path)
    im = _open(path)
    try:
        w, h = im.size
        if w * h > MAX_PIXELS:
            raise _error(
                path,
                f"image claims {w}x{h} pixels ({w * h / 1e6:.0f} MP), above the "
                f"{MAX_PIXELS // 1_000_000} MP limit (decompression bomb?); refused",
            )
        if min(w, h) < MIN_SIDE:
            raise _error(
                path,
                f"image of {w}x{h} pixels is too small to hold a QR code "
                f"(need at least {MIN_SIDE}x{MIN_SIDE})",
            )
        try:
            im.load()
        except Exception as exc:  # OSError("image file is truncated"), SyntaxError, zlib errors, ...
            raise _error(path, f"truncated or corrupt image ({_first_line(exc)})") from None
        try:
            oriented = ImageOps.exif_transpose(im)
        except Exception:  # a broken EXIF block: keep the stored orientation rather than fail
            oriented = im
        try:
            return np.ascontiguousarray(_to_array(oriented if oriented is not None else im))
        except Exception as exc:
            raise _error(path, f"unsupported pixel format {im.mode!r} ({_first_line(exc)})") from None
    finally:
        im.close()


def iter_image_paths(inputs: Iterable[str | Path]) -> Iterator[tuple[Path, str | None]]:
    """Expand files and directories into ``(path, error)`` pairs, in a stable order.

    A file is yielded as given (whatever its extension: reading it says whether it is an image). A
    directory is walked recursively, entries sorted by name, keeping files with an image extension
    (:data:`IMAGE_EXTENSIONS`, case-insensitive) and skipping hidden ones. A missing input or a
    directory that cannot be listed is yielded with a one-line ``error`` instead of stopping the walk.
    """
    for item in inputs:
        path = Path(item)
        if path.is_dir():
            yield from _walk(path)
        elif path.exists() or path.is_symlink():
            yield path, None
        else:
            yield path, "file not found"


def _walk(directory: Path) -> Iterator[tuple[Path, str | None]]:
    try:
        with os.scandir(directory) as it:
            entries = sorted(it, key=lambda e: e.name)
    except PermissionError:
        yield directory, "cannot read directory (permission denied)"
        return
    except OSError as exc:
        yield directory, f"cannot read directory ({exc.strerror or _first_line(exc)})"
        return
    for entry in entries:
        if entry.name.startswith("."):
            continue
        p = Path(entry.path)
        try:
            is_dir = entry.is_dir()
        except OSError:
            is_dir = False
        if is_dir:
            yield from _walk(p)
        elif p.suffix.lower() in IMAGE_EXTENSIONS:
            yield p, None


def to_grey(image: np.ndarray) -> np.ndarray:
    """(H, W) / (H, W, 3) RGB / (H, W, 4) RGBA, uint8 or uint16 (or float in [0, 1]) -> (H, W) uint8."""
    a = np.asarray(image)
    if a.ndim not in (2, 3) or (a.ndim == 3 and a.shape[2] not in (1, 3, 4)):
        raise UsageError(f"expected an (H, W), (H, W, 3) or (H, W, 4) image, got shape {a.shape}")
    if a.dtype == np.uint16:
        a = (a >> 8).astype(np.uint8)
    elif a.dtype.kind == "f":
        a = np.clip(np.round(np.nan_to_num(a) * 255), 0, 255).astype(np.uint8)
    elif a.dtype == np.bool_:
        a = a.astype(np.uint8) * 255
    elif a.dtype != np.uint8:
        raise UsageError(f"unsupported image dtype {a.dtype}; use uint8, uint16 or float in [0, 1]")
    if a.ndim == 3 and a.shape[2] == 4:
        alpha = a[..., 3:4].astype(np.float32) / 255.0
        a = np.round(a[..., :3] * alpha + 255.0 * (1 - alpha)).astype(np.uint8)
    if a.ndim == 3 and a.shape[2] == 3:
        a = cv2.cvtColor(np.ascontiguousarray(a), cv2.COLOR_RGB2GRAY)
    elif a.ndim == 3:
        a = a[..., 0]
    if min(a.shape) < 1:
        raise UsageError(f"empty image of shape {a.shape}")
    return np.ascontiguousarray(a)
