"""The device contract: the integer feature pipeline the firmware runs, bit-exact in Python.

``vmon.dsp.spec`` holds the constants both sides build on (standard library only, the
firmware build imports it); ``vmon.dsp.features`` computes the features with the same
CMSIS-DSP q31 kernels as the firmware. Nothing here knows training, models or firmware
drivers (import contracts in pyproject.toml).
"""
