# SPDX-License-Identifier: Apache-2.0
# Sysbuild: an application built behind MCUboot carries its updates, firmware images and
# models over SMP on Bluetooth (smp_bt.conf, dfu.conf), and confirms a new image only after its
# self-test (fota).
if(SB_CONFIG_BOOTLOADER_MCUBOOT)
  sysbuild_cache_set(VAR ${DEFAULT_IMAGE}_EXTRA_CONF_FILE APPEND REMOVE_DUPLICATES
                     ${CMAKE_CURRENT_LIST_DIR}/smp_bt.conf ${CMAKE_CURRENT_LIST_DIR}/dfu.conf)
endif()

# A toolchain whose C library CMake does not detect (Debian's arm-none-eabi with picolibc) is
# described with -DTOOLCHAIN_HAS_PICOLIBC=ON (docs/workspace.md). Sysbuild keeps its cache
# variables to itself, so each image gets this one on its CMake command line.
if(DEFINED TOOLCHAIN_HAS_PICOLIBC)
  foreach(image ${DEFAULT_IMAGE} mcuboot)
    if(TARGET ${image})
      set_property(TARGET ${image} APPEND PROPERTY _EP_CMAKE_ARGS
                   -DTOOLCHAIN_HAS_PICOLIBC:BOOL=${TOOLCHAIN_HAS_PICOLIBC})
    endif()
  endforeach()
endif()
