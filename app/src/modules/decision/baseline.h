/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decision module internals: Welford accumulator, novelty score and the persisted
 * baseline record. Pure functions, no state; private to the module and its tests.
 */

#ifndef VMON_DECISION_BASELINE_H_
#define VMON_DECISION_BASELINE_H_

#include <stddef.h>
#include <stdint.h>

#include <zephyr/toolchain.h>

#include "decision.h"

/* Record: header, mean[n], var[n] (float), CRC-32 (IEEE) of everything before it. */
#define BASELINE_REC_MAGIC   0x4c42U /* "BL" */
#define BASELINE_REC_VERSION 1U

struct baseline_rec_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t n_features;
	uint32_t feature_hash; /* CRC-32 of the feature-config hash string */
	uint32_t n_windows;
} __packed;

BUILD_ASSERT(sizeof(struct baseline_rec_hdr) == 12, "record layout is persisted");

#define BASELINE_REC_SIZE(n)                                                                      \
	(sizeof(struct baseline_rec_hdr) + 2U * (n) * sizeof(float) + sizeof(uint32_t))
#define BASELINE_REC_MAX BASELINE_REC_SIZE(VMON_DECISION_FEATURES_MAX)

struct baseline {
	uint32_t n_features;
	uint32_t n_windows;
	uint32_t feature_hash;
	float mean[VMON_DECISION_FEATURES_MAX];
	float var[VMON_DECISION_FEATURES_MAX];
};

/* Double precision: features reach 2^14 and commissioning runs thousands of windows. */
struct welford {
	uint32_t n_features;
	uint32_t count;
	double mean[VMON_DECISION_FEATURES_MAX];
	double m2[VMON_DECISION_FEATURES_MAX];
};

void welford_reset(struct welford *w, size_t n_features);
void welford_add(struct welford *w, const int32_t *x);
/* Population variance (numpy's var, ddof=0), as vmon.ml.novelty.novelty_fit. */
void welford_result(const struct welford *w, float *mean, float *var);

/* Mean over features of (f - mean)^2 / max(var, 1) (vmon.ml.novelty.novelty_score). */
float novelty_score(const float *mean, const float *var, const int32_t *f, size_t n);

/* Returns the record length written to @p buf (at least BASELINE_REC_SIZE(b->n_features)). */
size_t baseline_encode(const struct baseline *b, uint8_t *buf, size_t cap);

/*
 * Check and decode a record; @p out is written only on success.
 * -EMSGSIZE wrong length, -ENOTSUP bad magic/version, -EBADMSG bad CRC or a value that is
 * not finite or a negative variance, -ESTALE other feature count or feature hash.
 */
int baseline_decode(const uint8_t *buf, size_t len, uint32_t n_features, uint32_t feature_hash,
		    struct baseline *out);

#endif /* VMON_DECISION_BASELINE_H_ */
