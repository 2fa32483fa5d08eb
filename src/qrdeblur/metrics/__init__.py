"""Metrics: image quality against the sharp original (QR-MAE, PSNR, SSIM) and decoding success."""

from qrdeblur.metrics.decoding import decodes_correctly
from qrdeblur.metrics.image import decode_rate, psnr, qr_mae, ssim

__all__ = ["decode_rate", "decodes_correctly", "psnr", "qr_mae", "ssim"]
