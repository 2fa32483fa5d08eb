"""The paper's figures, redrawn from a run folder.

- ``fig7_g_loss.png``: generator loss vs iteration (paper Fig. 7), with each term.
- ``fig8_qr_mae.png``: validation QR-MAE vs iteration (paper Fig. 8), with the decode rate.
- ``fig6_progress.png``: fixed blurred inputs restored at successive validation steps (paper Fig. 6).
"""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np


def _read_metrics(run: Path) -> list[dict]:
    with open(run / "metrics.csv", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def _series(rows: list[dict], key: str) -> tuple[np.ndarray, np.ndarray]:
    pts = [(float(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
    if not pts:
        return np.array([]), np.array([])
    a = np.array(pts)
    return a[:, 0], a[:, 1]


def plot_run(run: str | Path) -> list[Path]:
    """Draw the three figures into the run folder; returns their paths."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    run = Path(run)
    rows = _read_metrics(run)
    written = []

    fig, ax = plt.subplots(figsize=(7, 4))
    for key in ("g_total", "g_l1", "g_binary", "g_edge", "g_detail", "g_adv", "d_loss"):
        x, y = _series(rows, key)
        if len(x):
            ax.plot(x, y, label=key, lw=1.5 if key == "g_total" else 0.8)
    ax.set_xlabel("iteration")
    ax.set_ylabel("loss")
    ax.set_title("Generator loss vs iteration (cf. paper Fig. 7)")
    ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    written.append(run / "fig7_g_loss.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    fig, ax = plt.subplots(figsize=(7, 4))
    x, y = _series(rows, "val_qr_mae")
    ax.plot(x, y, "o-", color="C0", label="QR-MAE (0-255)")
    ax.set_xlabel("iteration")
    ax.set_ylabel("QR-MAE")
    ax2 = ax.twinx()
    x2, y2 = _series(rows, "val_decode_rate")
    ax2.plot(x2, 100 * y2, "s--", color="C1", label="decode rate (%)")
    ax2.set_ylabel("decode rate (%)")
    ax.set_title("Validation QR-MAE vs iteration (cf. paper Fig. 8)")
    fig.legend(loc="upper right", fontsize=8)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    written.append(run / "fig8_qr_mae.png")
    fig.savefig(written[-1], dpi=120)
    plt.close(fig)

    samples_path = run / "samples.npz"
    if samples_path.exists():
        s = dict(np.load(samples_path))
        steps = sorted(k for k in s if k.startswith("step_"))
        if len(steps) > 6:  # first, last and evenly spaced in between
            idx = np.unique(np.linspace(0, len(steps) - 1, 6).round().astype(int))
            steps = [steps[i] for i in idx]
        cols = ["blurred", *steps, "sharp"]
        n = s["blurred"].shape[0]
        fig, axes = plt.subplots(n, len(cols), figsize=(1.4 * len(cols), 1.5 * n), squeeze=False)
        for i in range(n):
            for j, key in enumerate(cols):
                img = np.transpose(s[key][i], (1, 2, 0))
                axes[i, j].imshow(img[..., 0] if img.shape[2] == 1 else img, cmap="gray", vmin=0, vmax=1)
                axes[i, j].set_xticks([])
                axes[i, j].set_yticks([])
                if i == 0:
                    axes[i, j].set_title(f"it {int(key[5:])}" if key.startswith("step_") else key, fontsize=7)
        fig.suptitle("Fixed inputs restored at successive iterations (cf. paper Fig. 6)", fontsize=9)
        fig.tight_layout()
        written.append(run / "fig6_progress.png")
        fig.savefig(written[-1], dpi=120)
        plt.close(fig)
    return written
