"""Restoration: image -> image deblurring methods (classical baselines and learned generators)."""
