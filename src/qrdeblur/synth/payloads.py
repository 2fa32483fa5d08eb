"""Payloads to encode: random generators, payload files and enrolment from clean code images.

The paper trains on a few "enrolled" codes (the ones printed on the user's packaging); we also draw
fresh random payloads so the model learns codes it has never seen.
"""

from __future__ import annotations

import string
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError

# the QR alphanumeric character set (mode 2), without space at the ends
ALPHANUMERIC = string.digits + string.ascii_uppercase + " $%*+-./:"
_URL_WORDS = ("shop", "track", "lot", "item", "box", "pkg", "ship", "scan", "p", "id", "qr", "go")
_TLDS = ("com", "net", "org", "io", "de", "cn", "co.uk", "eu")


def random_alphanumeric(rng: np.random.Generator, min_len: int = 8, max_len: int = 16) -> str:
    """Random string over the QR alphanumeric set (no leading/trailing space)."""
    n = int(rng.integers(min_len, max_len + 1))
    chars = rng.choice(list(ALPHANUMERIC), size=n)
    chars[0] = rng.choice(list(string.ascii_uppercase))
    chars[-1] = rng.choice(list(string.digits))
    return "".join(chars)


def random_bytes_text(rng: np.random.Generator, min_len: int = 4, max_len: int = 40) -> str:
    """Random printable ASCII text (encoded in byte mode)."""
    alphabet = list(string.ascii_letters + string.digits + "-_.:/?=&#@!")
    n = int(rng.integers(min_len, max_len + 1))
    return "".join(rng.choice(alphabet, size=n))


def random_url(rng: np.random.Generator, max_len: int = 80) -> str:
    """Random URL-like payload, as printed on parcels and packaging."""
    host = "".join(rng.choice(list(string.ascii_lowercase), size=int(rng.integers(3, 10))))
    parts = [f"https://{host}.{rng.choice(_TLDS)}"]
    for _ in range(int(rng.integers(0, 3))):
        parts.append(str(rng.choice(_URL_WORDS)))
    token = "".join(rng.choice(list(string.ascii_letters + string.digits), size=int(rng.integers(4, 16))))
    url = "/".join(parts) + "/" + token
    return url[:max_len]


def random_payload(rng: np.random.Generator, kind: str = "mixed") -> str:
    """A payload of ``kind`` alphanumeric | bytes | url | mixed (one of the three at random)."""
    kinds = {"alphanumeric": random_alphanumeric, "bytes": random_bytes_text, "url": random_url}
    if kind == "mixed":
        kind = str(rng.choice(list(kinds)))
    if kind not in kinds:
        raise UsageError(f"unknown payload kind {kind!r}; choose mixed or one of {', '.join(kinds)}")
    return kinds[kind](rng)


def read_payload_file(path: str | Path) -> list[str]:
    """One payload per non-empty line of a UTF-8 text file."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: payload file not found") from None
    except UnicodeDecodeError:
        raise UsageError(f"{path}: payload file is not UTF-8 text") from None
    except OSError as exc:
        raise UsageError(f"{path}: cannot read payload file ({exc.strerror})") from None
    payloads = [line.rstrip("\r\n") for line in text.splitlines() if line.strip()]
    if not payloads:
        raise UsageError(f"{path}: payload file holds no payloads")
    return payloads


def enrol_images(paths: Iterable[str | Path]) -> list[str]:
    """Enrol codes from clean images: decode each with zxing-cpp and return the payloads.

    Raises UsageError naming the first image that is unreadable or holds no decodable code.
    """
    from qrdeblur.decode import get_decoder
    from qrdeblur.imageio import read_image

    decoder = get_decoder("zxing-cpp")
    payloads = []
    for p in paths:
        results = decoder.decode(read_image(p))
        if not results:
            raise UsageError(f"{p}: no decodable QR code in this enrolment image")
        payloads.extend(r.text for r in results)
    return payloads
