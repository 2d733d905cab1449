/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decision module internals: the integer commissioning sums, the novelty score and the
 * persisted baseline record (vmon.dsp.policy.Baseline is the reference). Pure functions,
 * no state; private to the module and its tests.
 */

#ifndef VMON_DECISION_BASELINE_H_
#define VMON_DECISION_BASELINE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <zephyr/toolchain.h>

#include "decision.h"

/* Record: header (with threshold_q8 and flags), s[n] (int32), d[n] (int64), CRC-32 (IEEE)
 * of everything before it; little-endian as the targets are. Version 1 (float mean and
 * variance) is rejected. */
#define BASELINE_REC_MAGIC   0x4c42U /* "BL" */
#define BASELINE_REC_VERSION 2U
#define BASELINE_FLAG_CLASSIFIER_VALIDATED BIT(0)

struct baseline_rec_hdr {
	uint16_t magic;
	uint8_t version;
	uint8_t n_features;
	uint32_t feature_hash; /* CRC-32 of the feature-config hash string */
	uint32_t n_windows;
	uint32_t threshold_q8;
	uint32_t flags;
} __packed;

BUILD_ASSERT(sizeof(struct baseline_rec_hdr) == 20, "record layout is persisted");

#define BASELINE_REC_SIZE(n)                                                                      \
	(sizeof(struct baseline_rec_hdr) + (n) * (sizeof(int32_t) + sizeof(int64_t)) +              \
	 sizeof(uint32_t))
#define BASELINE_REC_MAX BASELINE_REC_SIZE(VMON_DECISION_FEATURES_MAX)

/* The commissioned baseline: N, S_i and D_i = N Q_i - S_i^2 (|S_i| <= 2^30: see baseline.c). */
struct baseline {
	uint32_t n_features;
	uint32_t n_windows;
	uint32_t feature_hash;
	uint32_t threshold_q8;
	bool classifier_validated;
	int32_t s[VMON_DECISION_FEATURES_MAX];
	int64_t d[VMON_DECISION_FEATURES_MAX];
};

/* The last VMON_DECISION_NOVELTY_AVG novelties (all zero: empty). */
struct novelty_mean {
	uint32_t v[VMON_DECISION_NOVELTY_AVG];
	uint8_t head;
	uint8_t filled;
};

/* A commissioning in progress. */
struct commissioning {
	uint32_t n_features;
	uint32_t target;
	uint32_t count;
	uint32_t agree; /* windows the classifier called normal */
	uint32_t max_novelty_q8; /* of the second half's means */
	struct novelty_mean recent;
	int32_t s[VMON_DECISION_FEATURES_MAX];
	int64_t q[VMON_DECISION_FEATURES_MAX];
};

/* Every feature within +-VMON_DECISION_FEATURE_ABS_MAX (the sums' bounds need it). */
bool features_in_range(const int32_t *f, size_t n);

/* Squared z-score (Q8, capped, >= 0) of one feature against N, S and D. */
uint32_t baseline_z2_q8(uint32_t n_windows, int32_t s, int64_t d, int32_t f);

/* Mean over features of baseline_z2_q8 (floor). */
uint32_t baseline_novelty_q8(const struct baseline *b, const int32_t *f);

void novelty_mean_reset(struct novelty_mean *m);

/* Push one novelty; returns the mean (floor) of those kept, this one included. */
uint32_t novelty_mean_push(struct novelty_mean *m, uint32_t novelty_q8);

void commissioning_reset(struct commissioning *c, size_t n_features, uint32_t target);

/* Learn one clean window; @p top_normal: the classifier called it normal. Returns true
 * when this was the last one: @p out then holds the baseline and its threshold. */
bool commissioning_add(struct commissioning *c, const int32_t *f, bool top_normal,
		       struct baseline *out);

/* Returns the record length written to @p buf (at least BASELINE_REC_SIZE(b->n_features)). */
size_t baseline_encode(const struct baseline *b, uint8_t *buf, size_t cap);

/*
 * Check and decode a record; @p out is written only on success.
 * -EMSGSIZE wrong length, -ENOTSUP bad magic/version, -EBADMSG bad CRC or values a
 * commissioning cannot produce, -ESTALE other feature count or feature hash.
 */
int baseline_decode(const uint8_t *buf, size_t len, uint32_t n_features, uint32_t feature_hash,
		    struct baseline *out);

#endif /* VMON_DECISION_BASELINE_H_ */
