"""Loss terms, each an ``nn.Module`` holding its ``weight``: pixel, QR-aware, detail (VGG16), adversarial."""
