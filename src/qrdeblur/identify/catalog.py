"""The known payloads, rendered once: :class:`KnownCodes`.

Each payload is encoded as a typical generator encodes it (segno: the smallest version that holds it at
the given ECC level, the standard's mask choice) and kept as its module matrix, grouped by version so
that a candidate is compared with a whole version's codes in one matrix product.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from qrdeblur.errors import UsageError
from qrdeblur.qrspec import ERROR_LEVELS, modules

#: Decoys per version: codes that are in no list, scored beside the best payload as the runner-up a
#: wrong code of that version reaches at that place (the refusal's reference, whatever the list size).
DECOYS = 6


@dataclass
class VersionTable:
    """The codes of one version.

    Attributes:
        version: the QR version.
        n: modules per side.
        index: (P,) positions of the codes in :attr:`KnownCodes.payloads`; -1 for decoys.
        dark: (P, n, n) bool module matrices (True = dark), no quiet zone.
    """

    version: int
    n: int
    index: np.ndarray
    dark: np.ndarray
    _flat: dict = field(default_factory=dict, repr=False)

    def centred(self) -> np.ndarray:
        """(P, n*n) float32 matrices, each code's mean removed (cached)."""
        if "c" not in self._flat:
            f = self.dark.reshape(len(self.dark), -1).astype(np.float32)
            self._flat["c"] = f - f.mean(axis=1, keepdims=True)
        return self._flat["c"]


def _matrix(payload: str, ecc: str) -> np.ndarray:
    import segno

    qr = segno.make_qr(payload, error=ecc.lower(), boost_error=False)
    return np.array(qr.matrix, dtype=bool)


class KnownCodes:
    """A list of known payloads, rendered for matching.

    Args:
        payloads: the texts (duplicates are dropped, order kept).
        ecc: the ECC level the codes were printed with (``L``, ``M``, ``Q``, ``H``); it decides their
            version and modules. Several levels (``"LM"``) render each payload once per level.
        source: where the list came from, for error messages.

    Raises:
        UsageError: an empty list, an unknown ECC level, or a payload no QR code holds.
    """

    def __init__(self, payloads: Iterable[str], ecc: str = "M", source: str = "known payloads"):
        self.payloads: list[str] = list(dict.fromkeys(payloads))
        if not self.payloads:
            raise UsageError(f"{source}: no known payloads")
        levels = list(dict.fromkeys(ecc.upper()))
        bad = [c for c in levels if c not in ERROR_LEVELS]
        if bad or not levels:
            raise UsageError(f"unknown ECC level {ecc!r} for known payloads; use letters of {''.join(ERROR_LEVELS)}")
        self.ecc = "".join(levels)
        groups: dict[int, tuple[list[int], list[np.ndarray]]] = {}
        for i, text in enumerate(self.payloads):
            for level in levels:
                try:
                    m = _matrix(text, level)
                except Exception as exc:  # segno: DataOverflowError, or a text it cannot encode
                    raise UsageError(
                        f"{source}: payload {i + 1} ({len(text)} characters) cannot be a QR code at ECC {level}: {exc}"
                    ) from None
                idx, mats = groups.setdefault(len(m), ([], []))
                idx.append(i)
                mats.append(m)
        self.tables: dict[int, VersionTable] = {}
        for n, (idx, mats) in sorted(groups.items()):
            v = (n - 17) // 4
            self.tables[v] = VersionTable(v, n, np.asarray(idx), np.stack(mats))
        self._decoys: dict[int, VersionTable] = {}

    @classmethod
    def from_file(cls, path: str | Path, ecc: str = "M") -> KnownCodes:
        """One payload per non-empty line of a UTF-8 text file."""
        from qrdeblur.synth.payloads import read_payload_file

        return cls(read_payload_file(path), ecc, source=str(path))

    def extended(self, texts: Iterable[str]) -> KnownCodes:
        """This list with ``texts`` added (those not in it), sharing every rendered code: a long list
        that differs per image by a few codes is rendered once."""
        import copy

        new = copy.copy(self)
        have = set(self.payloads)
        added = [t for t in dict.fromkeys(texts) if t not in have]
        new.payloads = self.payloads + added
        new.tables = dict(self.tables)
        for i, text in enumerate(added, start=len(self.payloads)):
            for level in self.ecc:
                m = _matrix(text, level)
                v = (len(m) - 17) // 4
                old = new.tables.get(v)
                if old is None:
                    new.tables[v] = VersionTable(v, len(m), np.asarray([i]), m[None])
                else:
                    new.tables[v] = VersionTable(v, old.n, np.append(old.index, i), np.concatenate([old.dark, m[None]]))
        new.tables = dict(sorted(new.tables.items()))
        return new

    def __len__(self) -> int:
        return len(self.payloads)

    def decoys(self, version: int) -> VersionTable:
        """:data:`DECOYS` codes of ``version`` that are not in the list (fixed, seeded), cached."""
        if version not in self._decoys:
            rng = np.random.default_rng([2718, version])
            known = set(self.payloads)
            level = self.ecc[0]
            mats = []
            while len(mats) < DECOYS:
                # random bytes at the version's byte capacity (of the first level) give a code of that version
                length = int(rng.integers(1, 8))
                text = "".join(rng.choice(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"), size=length))
                for _ in range(200):
                    m = _matrix(text, level)
                    if len(m) >= modules(version):
                        break
                    text += "".join(rng.choice(list("abcdefghijkmnopqrstuvwxyz"), size=3))
                if len(m) == modules(version) and text not in known:
                    mats.append(m)
            self._decoys[version] = VersionTable(version, modules(version), np.full(DECOYS, -1), np.stack(mats))
        return self._decoys[version]


def known_codes(known: KnownCodes | Sequence[str] | str | Path) -> KnownCodes:
    """``known`` as :class:`KnownCodes`: itself, a list of payloads, or a path to a payload file."""
    if isinstance(known, KnownCodes):
        return known
    if isinstance(known, (str, Path)):
        return KnownCodes.from_file(known)
    return KnownCodes(known)


def version_of(payload: str, ecc: str = "M") -> int:
    """The version a generator prints ``payload`` in at ``ecc`` (the smallest that holds it)."""
    return (len(_matrix(payload, ecc)) - 17) // 4
