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

#define T_N_FEATURES    REF_N_FEATURES
#define T_FEATURE_HASH  "test-feature-hash"
#define T_LEARN_MAX     CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX
#define T_THRESHOLD_MAX (VMON_DECISION_Z2_CAP_Q8 * VMON_DECISION_THRESHOLD_MARGIN_Q8 / 256)

/* n = 37, softmax int8 scores (zero point -128, scale 1/256), the model's labels. */
struct vmon_decision_config t_config(void);

/* init, then drop any baseline, zone override and vote history left by a test. */
void t_fresh(const struct vmon_decision_config *cfg);

struct vmon_decision_status t_status(void);

/* A velocity (mm/s) in the middle of the zone for the current Kconfig boundaries. */
float t_velocity(enum vmon_zone z);

/* int8 scores with @p top at 996 permille (the generator's scores()). */
const int8_t *t_scores(enum vmon_label top);

/* Every feature at @p v. */
void t_fill(int32_t *f, int32_t v);

/* The generator of reference.h (restart with ref_seed()). */
void ref_seed(void);
void ref_window(int32_t *f);

/* One window through vmon_decision_update(): @p f may be NULL, @p scores too (4 of them). */
int t_decide(const int32_t *f, uint32_t flags, const int8_t *scores, float v_mm_s,
	     struct vmon_decision_output *out);

/* One window with no scores, in zone A. */
int t_feed_window(const int32_t *f, uint32_t flags);

/*
 * Commission an uncommissioned node on the reference stream through vmon_decision_update()
 * (labels: ref_labels_validated or ref_labels_not_validated), spoiling the windows of
 * ref_stream_skip; checks the progress, each window's output and the result.
 */
void t_commission_reference(const uint8_t *labels);

/* Commission on four windows with every feature at +-REF_STRICT_WINDOW: S = 0, D at the
 * floor, threshold REF_STRICT_THRESHOLD_Q8; every feature at v then scores v^2 / 16. */
void t_commission_strict(void);

#endif /* VMON_TEST_DECISION_COMMON_H_ */
