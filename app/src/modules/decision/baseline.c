/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Baseline maths and the persisted record of the decision module.
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/util.h>

#include "baseline.h"

LOG_MODULE_REGISTER(vmon_baseline, CONFIG_VMON_DECISION_LOG_LEVEL);

BUILD_ASSERT(VMON_DECISION_FEATURES_MAX <= UINT8_MAX, "n_features is a uint8 in the record");

void welford_reset(struct welford *w, size_t n_features)
{
	memset(w, 0, sizeof(*w));
	w->n_features = MIN(n_features, VMON_DECISION_FEATURES_MAX);
}

void welford_add(struct welford *w, const int32_t *x)
{
	w->count++;
	for (uint32_t i = 0; i < w->n_features; i++) {
		double d = (double)x[i] - w->mean[i];

		w->mean[i] += d / (double)w->count;
		w->m2[i] += d * ((double)x[i] - w->mean[i]);
	}
}

void welford_result(const struct welford *w, float *mean, float *var)
{
	for (uint32_t i = 0; i < w->n_features; i++) {
		mean[i] = (float)w->mean[i];
		var[i] = w->count > 0 ? (float)(w->m2[i] / (double)w->count) : 0.0f;
	}
}

float novelty_score(const float *mean, const float *var, const int32_t *f, size_t n)
{
	double sum = 0.0;

	if (n == 0) {
		return NAN;
	}
	for (size_t i = 0; i < n; i++) {
		double d = (double)f[i] - (double)mean[i];
		/* The floor keeps a (near) constant feature from dominating the score. */
		double v = MAX((double)var[i], 1.0);

		sum += d * d / v;
	}
	return (float)(sum / (double)n);
}

size_t baseline_encode(const struct baseline *b, uint8_t *buf, size_t cap)
{
	const size_t n = b->n_features;
	const size_t len = BASELINE_REC_SIZE(n);
	struct baseline_rec_hdr hdr = {
		.magic = BASELINE_REC_MAGIC,
		.version = BASELINE_REC_VERSION,
		.n_features = (uint8_t)n,
		.feature_hash = b->feature_hash,
		.n_windows = b->n_windows,
	};
	uint8_t *p = buf;
	uint32_t crc;

	if (n == 0 || n > VMON_DECISION_FEATURES_MAX || cap < len) {
		return 0;
	}
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	memcpy(p, b->mean, n * sizeof(float));
	p += n * sizeof(float);
	memcpy(p, b->var, n * sizeof(float));
	p += n * sizeof(float);
	crc = crc32_ieee(buf, (size_t)(p - buf));
	memcpy(p, &crc, sizeof(crc));
	return len;
}

int baseline_decode(const uint8_t *buf, size_t len, uint32_t n_features, uint32_t feature_hash,
		    struct baseline *out)
{
	struct baseline_rec_hdr hdr;
	uint32_t crc;
	size_t n;

	if (len < BASELINE_REC_SIZE(0)) {
		return -EMSGSIZE;
	}
	memcpy(&hdr, buf, sizeof(hdr));
	/* Version before length: another version may have another size. */
	if (hdr.magic != BASELINE_REC_MAGIC || hdr.version != BASELINE_REC_VERSION) {
		return -ENOTSUP;
	}
	n = hdr.n_features;
	if (n == 0 || n > VMON_DECISION_FEATURES_MAX || len != BASELINE_REC_SIZE(n)) {
		return -EMSGSIZE;
	}
	memcpy(&crc, buf + len - sizeof(crc), sizeof(crc));
	if (crc != crc32_ieee(buf, len - sizeof(crc))) {
		return -EBADMSG;
	}
	if (n != n_features || hdr.feature_hash != feature_hash) {
		return -ESTALE;
	}

	const uint8_t *pm = buf + sizeof(hdr);
	const uint8_t *pv = pm + n * sizeof(float);

	/* A CRC only proves the bytes are what was written: check the values too. */
	for (size_t i = 0; i < n; i++) {
		float m;
		float v;

		memcpy(&m, pm + i * sizeof(float), sizeof(m));
		memcpy(&v, pv + i * sizeof(float), sizeof(v));
		if (!isfinite(m) || !isfinite(v) || v < 0.0f) {
			return -EBADMSG;
		}
	}

	out->n_features = n;
	out->n_windows = hdr.n_windows;
	out->feature_hash = hdr.feature_hash;
	memcpy(out->mean, pm, n * sizeof(float));
	memcpy(out->var, pv, n * sizeof(float));
	return 0;
}
