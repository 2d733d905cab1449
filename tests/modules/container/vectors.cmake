# SPDX-License-Identifier: Apache-2.0
# The container tests' vectors (included by container/ and container_fuzz/ after project()):
# the shipped model's container and its corruptions, with fresh keys made at configure time
# and never committed (scripts/gen_container_vectors.py).
set(vmon_vectors ${CMAKE_BINARY_DIR}/vmon_generated/container_vectors.h)
execute_process(
  COMMAND ${PYTHON_EXECUTABLE} ${CMAKE_CURRENT_LIST_DIR}/scripts/gen_container_vectors.py
          --model ${VMON_ROOT}/models/bearing-fault-12k --out ${vmon_vectors}
  RESULT_VARIABLE vmon_vectors_result
  ERROR_VARIABLE vmon_vectors_error
)
if(NOT vmon_vectors_result EQUAL 0)
  message(FATAL_ERROR "vmon: cannot generate the container vectors:\n${vmon_vectors_error}")
endif()
target_include_directories(app PRIVATE ${CMAKE_BINARY_DIR}/vmon_generated)
