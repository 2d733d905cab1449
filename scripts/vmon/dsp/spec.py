"""What the firmware supports: the constants both the Python pipeline and the C code build on.

Standard library only: the firmware build imports this (through vmon.embed) from a Zephyr
venv that need not have numpy.
"""

from __future__ import annotations

#: Bumped whenever the integer feature pipeline changes; the firmware asserts it at build time.
PIPELINE_VERSION = 1
#: Fractional bits of the log2 features.
LOG2_FRAC_BITS = 8
#: Magnitudes are shifted right before squaring so band sums fit in 64 bits.
MAG_SHIFT = 8
#: Fractional bits of the acceleration-to-velocity weights.
VEL_WEIGHT_BITS = 16
#: The 4th-moment sums use samples reduced to this many bits (plus sign).
KURT_BITS = 12
#: FFT lengths arm_rfft_q31 supports; the firmware builds tables for these.
RFFT_LENGTHS = (128, 256, 512, 1024, 2048)
#: Fractional bits of the per-feature input multipliers.
INPUT_SHIFT = 16
#: Builtin ops the firmware's generated op resolver can register (TFLM name -> resolver call).
SUPPORTED_OPS = {
    "FULLY_CONNECTED": "AddFullyConnected",
    "SOFTMAX": "AddSoftmax",
    "RELU": "AddRelu",
    "RESHAPE": "AddReshape",
    "QUANTIZE": "AddQuantize",
    "DEQUANTIZE": "AddDequantize",
    "LOGISTIC": "AddLogistic",
}
#: Most features the firmware's buffers hold.
MAX_FEATURES = 64
#: Tensor arena budget on the device (bytes).
ARENA_BUDGET = 8 * 1024
#: Model flatbuffer budget (bytes).
MODEL_BUDGET = 20 * 1024
