"""``python -m qrdeblur ARGS`` runs ``qrdeblur ARGS`` (what ``torchrun ... -m qrdeblur train`` starts)."""

from qrdeblur.cli import main

if __name__ == "__main__":
    main()
