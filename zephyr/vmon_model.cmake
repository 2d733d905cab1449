# SPDX-License-Identifier: Apache-2.0
#
# The model directory is a build input: model.tflite + model.json (written by
# `invoke retrain`) become C at configure time, through the same generator `invoke embed`
# uses. CONFIG_VMON_MODEL_NAME picks models/<name>; -DVMON_MODEL_DIR=<dir> picks any
# directory and takes precedence (drop it with -UVMON_MODEL_DIR or a pristine build).

# Kconfig has run when a module's CMakeLists.txt is processed, so the name is known here.
get_filename_component(vmon_model_from_kconfig ${VMON_ROOT}/models/${CONFIG_VMON_MODEL_NAME} ABSOLUTE)
# The cache keeps what this file derived last time; a different value was given explicitly.
if(NOT DEFINED CACHE{VMON_MODEL_DIR}
   OR "$CACHE{VMON_MODEL_DIR}" STREQUAL "$CACHE{VMON_MODEL_DIR_FROM_KCONFIG}")
  set(VMON_MODEL_DIR ${vmon_model_from_kconfig} CACHE PATH "vmon model directory" FORCE)
  set(VMON_MODEL_DIR_FROM_KCONFIG ${vmon_model_from_kconfig} CACHE INTERNAL "")
endif()
message(STATUS "vmon model: ${VMON_MODEL_DIR}")
set(VMON_GENERATED_DIR ${CMAKE_BINARY_DIR}/vmon_generated)

execute_process(
  COMMAND ${CMAKE_COMMAND} -E env PYTHONPATH=${VMON_ROOT}/scripts
          ${PYTHON_EXECUTABLE} -m vmon.codegen.model --model ${VMON_MODEL_DIR} --out ${VMON_GENERATED_DIR}
  RESULT_VARIABLE vmon_embed_result
  ERROR_VARIABLE vmon_embed_error
)
if(NOT vmon_embed_result EQUAL 0)
  message(FATAL_ERROR "vmon: cannot embed ${VMON_MODEL_DIR}:\n${vmon_embed_error}")
endif()

# Re-run the generator whenever the model or the generator changes.
set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS
  ${VMON_MODEL_DIR}/model.tflite
  ${VMON_MODEL_DIR}/model.json
  ${VMON_ROOT}/scripts/vmon/codegen/model.py
  ${VMON_ROOT}/scripts/vmon/dsp/spec.py
)

zephyr_include_directories(${VMON_GENERATED_DIR})
