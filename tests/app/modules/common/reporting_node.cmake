# SPDX-License-Identifier: Apache-2.0
# The node's reporting on native_sim without the measurement cycle: the application's
# decision, machine and reporting modules, and a fake processing module (fake_processing.c)
# that publishes a test's events. Included after project() by the reporting_ble and
# reporting_powerloss tests.
set(vmon_app ${CMAKE_CURRENT_LIST_DIR}/../../../../app/src/modules)
add_subdirectory(${vmon_app}/decision decision)
add_subdirectory(${vmon_app}/machine machine)
add_subdirectory(${vmon_app}/reporting reporting)
target_include_directories(app PRIVATE ${vmon_app}/processing ${CMAKE_CURRENT_LIST_DIR})
target_sources(app PRIVATE ${CMAKE_CURRENT_LIST_DIR}/fake_processing.c)
