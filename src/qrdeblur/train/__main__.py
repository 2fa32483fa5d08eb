"""``python -m qrdeblur.train ARGS`` runs ``qrdeblur train ARGS`` (what ``torchrun ... -m qrdeblur.train`` starts)."""

import sys

from qrdeblur.cli import app

if __name__ == "__main__":
    app(args=["train", *sys.argv[1:]], prog_name="qrdeblur")
