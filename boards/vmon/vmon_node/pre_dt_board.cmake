# SPDX-License-Identifier: Apache-2.0
# The nRF52840's devicetree has peripherals that share an address (power, clock and bprot at
# 0x40000000; acl and the flash controller at 0x4001e000): dtc's warning about them is noise.
list(APPEND EXTRA_DTC_FLAGS "-Wno-unique_unit_address_if_enabled")

# The board's vmon,analog-accel binding and the vmon vendor prefix are in the repository's
# dts/ (vmon's module root, three levels up). An image that does not load the module
# (MCUboot under sysbuild) gets that root here; Zephyr drops the duplicate in one that does.
list(APPEND DTS_ROOT ${CMAKE_CURRENT_LIST_DIR}/../../..)
