"""QR decoders behind one interface: zxing-cpp (primary), ZBar and OpenCV (for comparison)."""

from qrdeblur.decode.decoders import (
    DECODERS,
    Decoder,
    DecodeResult,
    get_decoder,
    upscale_for_decoding,
)

__all__ = ["DECODERS", "DecodeResult", "Decoder", "get_decoder", "upscale_for_decoding"]
