"""Training and model tooling: leak-free splits, training, int8 quantization, metrics, the
model directory and its TFLM interpreter, golden vectors, the report and ``invoke embed``."""
