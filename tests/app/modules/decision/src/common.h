/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Shared fixtures of the decision tests.
 */

#ifndef VMON_TEST_DECISION_COMMON_H_
#define VMON_TEST_DECISION_COMMON_H_

#include <stdint.h>

#include "decision.h"
#include "reference.h"

#define T_N_FEATURES REF_N_FEATURES
#define T_NOVELTY_THRESHOLD 3.0f
#define T_FEATURE_HASH "test-feature-hash"
/* Every shipped variance: features at mean + 10 z have a novelty of z^2. */
#define T_SHIPPED_VAR 100.0f

extern const float t_shipped_mean[T_N_FEATURES];
extern const float t_shipped_var[T_N_FEATURES];

/* n=37, shipped baseline, threshold 3, softmax int8 (zero point -128, scale 1/256), labels. */
struct vmon_decision_config t_config(void);

/* init, then drop any learned baseline, zone override and vote history left by a test. */
void t_fresh(const struct vmon_decision_config *cfg);

/* Shipped mean + 10 * z on every feature: novelty z^2 against the shipped baseline. */
void t_features_z(int32_t *f, float z);

/* A velocity (mm/s) in the middle of the zone for the current Kconfig boundaries. */
float t_velocity(enum vmon_zone z);

/* The reference generator of reference.h (restart with ref_seed()). */
void ref_seed(void);
void ref_window(int32_t *f);

/* One window through vmon_decision_update() with no scores (fallback), zone A. */
int t_feed_window(const int32_t *f, uint32_t flags);

#endif /* VMON_TEST_DECISION_COMMON_H_ */
