"""ONNX export with a parity check (needs torch and onnx)."""
