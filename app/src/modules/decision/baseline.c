/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Integer baseline maths and the persisted record of the decision module.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/util.h>

#include "baseline.h"

LOG_MODULE_REGISTER(vmon_baseline, CONFIG_VMON_DECISION_LOG_LEVEL);

BUILD_ASSERT(VMON_DECISION_FEATURES_MAX <= UINT8_MAX, "n_features is a uint8 in the record");
/* With N <= 2^15 and |f| <= 2^15: |S| <= 2^30, Q <= 2^45, N Q and S^2 <= 2^60, D and the
 * floor N^2 VAR_FLOOR < 2^61, |N f - S| <= 2^31 so its square fits 63 bits. */
BUILD_ASSERT(VMON_DECISION_COMMISSION_MAX <= (1 << 15), "sums sized for 2^15 windows");
BUILD_ASSERT(VMON_DECISION_FEATURE_ABS_MAX <= (1 << 15), "sums sized for |f| <= 2^15");
BUILD_ASSERT(CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX <= VMON_DECISION_COMMISSION_MAX,
	     "the baseline's sums are sized for COMMISSION_MAX windows");
BUILD_ASSERT(VMON_DECISION_Z2_CAP_Q8 == 256 * 256, "the cap test below divides by 2^8");
BUILD_ASSERT((uint64_t)VMON_DECISION_FEATURES_MAX * VMON_DECISION_Z2_CAP_Q8 <= UINT32_MAX,
	     "the novelty sum fits 32 bits");
BUILD_ASSERT(VMON_DECISION_NOVELTY_AVG >= 1 && VMON_DECISION_NOVELTY_AVG <= UINT8_MAX &&
		     (uint64_t)VMON_DECISION_NOVELTY_AVG * VMON_DECISION_Z2_CAP_Q8 <= UINT32_MAX,
	     "the novelty mean's counters are uint8_t and its sum fits 32 bits");

bool features_in_range(const int32_t *f, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		if (f[i] > VMON_DECISION_FEATURE_ABS_MAX || f[i] < -VMON_DECISION_FEATURE_ABS_MAX) {
			return false;
		}
	}
	return true;
}

uint32_t baseline_z2_q8(uint32_t n_windows, int32_t s, int64_t d, int32_t f)
{
	const int64_t n = n_windows;
	const int64_t floor = n * n * VMON_DECISION_VAR_FLOOR;
	const uint64_t den = (uint64_t)MAX(d, floor);
	const int64_t e = n * f - s;
	const uint64_t e2 = (uint64_t)(e < 0 ? -e : e) * (uint64_t)(e < 0 ? -e : e);
	uint64_t v;
	uint64_t r;

	/* floor(e^2 2^8 / den) >= 2^16 exactly when floor(e^2 / 2^8) >= den. */
	if ((e2 >> 8) >= den) {
		return VMON_DECISION_Z2_CAP_Q8;
	}
	/* floor(e^2 2^8 / den) without the 2^8 overflowing: the quotient, then eight bits of
	 * long division of the remainder (r < den < 2^61, so 2r fits). */
	v = e2 / den;
	r = e2 % den;
	for (int bit = 0; bit < 8; bit++) {
		r <<= 1;
		v <<= 1;
		if (r >= den) {
			r -= den;
			v |= 1U;
		}
	}
	return (uint32_t)v;
}

uint32_t baseline_novelty_q8(const struct baseline *b, const int32_t *f)
{
	uint32_t sum = 0;

	for (uint32_t i = 0; i < b->n_features; i++) {
		sum += baseline_z2_q8(b->n_windows, b->s[i], b->d[i], f[i]);
	}
	return b->n_features > 0 ? sum / b->n_features : 0U;
}

void novelty_mean_reset(struct novelty_mean *m)
{
	memset(m, 0, sizeof(*m));
}

uint32_t novelty_mean_push(struct novelty_mean *m, uint32_t novelty_q8)
{
	uint32_t sum = 0;

	m->v[m->head] = novelty_q8;
	m->head = (uint8_t)((m->head + 1U) % VMON_DECISION_NOVELTY_AVG);
	m->filled = (uint8_t)MIN(m->filled + 1U, VMON_DECISION_NOVELTY_AVG);
	for (uint8_t i = 0; i < m->filled; i++) {
		sum += m->v[i];
	}
	return sum / m->filled;
}

void commissioning_reset(struct commissioning *c, size_t n_features, uint32_t target)
{
	memset(c, 0, sizeof(*c));
	c->n_features = MIN(n_features, VMON_DECISION_FEATURES_MAX);
	c->target = target;
}

bool commissioning_add(struct commissioning *c, const int32_t *f, bool top_normal,
		       struct baseline *out)
{
	if (c->count >= c->target / 2U) {
		/* The second half is scored against every commissioning window before it. */
		uint32_t sum = 0;

		for (uint32_t i = 0; i < c->n_features; i++) {
			int64_t d = (int64_t)c->count * c->q[i] - (int64_t)c->s[i] * c->s[i];

			sum += baseline_z2_q8(c->count, c->s[i], d, f[i]);
		}
		/* Outside MAX(), which evaluates its arguments twice. */
		uint32_t mean = novelty_mean_push(&c->recent, sum / c->n_features);

		c->max_novelty_q8 = MAX(c->max_novelty_q8, mean);
	}
	for (uint32_t i = 0; i < c->n_features; i++) {
		c->s[i] += f[i];
		c->q[i] += (int64_t)f[i] * f[i];
	}
	c->count++;
	c->agree += top_normal ? 1U : 0U;
	if (c->count < c->target) {
		return false;
	}

	out->n_features = c->n_features;
	out->n_windows = c->count;
	out->threshold_q8 = MAX((uint32_t)VMON_DECISION_MIN_THRESHOLD_Q8,
				(c->max_novelty_q8 * VMON_DECISION_THRESHOLD_MARGIN_Q8) >> 8);
	out->classifier_validated = (uint64_t)c->agree * 1000U >=
				    (uint64_t)VMON_DECISION_CLASSIFIER_AGREE_PERMILLE * c->count;
	for (uint32_t i = 0; i < c->n_features; i++) {
		out->s[i] = c->s[i];
		out->d[i] = (int64_t)c->count * c->q[i] - (int64_t)c->s[i] * c->s[i];
	}
	return true;
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
		.threshold_q8 = b->threshold_q8,
		.flags = b->classifier_validated ? BASELINE_FLAG_CLASSIFIER_VALIDATED : 0U,
	};
	uint8_t *p = buf;
	uint32_t crc;

	if (n == 0 || n > VMON_DECISION_FEATURES_MAX || cap < len) {
		return 0;
	}
	memcpy(p, &hdr, sizeof(hdr));
	p += sizeof(hdr);
	memcpy(p, b->s, n * sizeof(int32_t));
	p += n * sizeof(int32_t);
	memcpy(p, b->d, n * sizeof(int64_t));
	p += n * sizeof(int64_t);
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

	if (len < sizeof(hdr.magic) + sizeof(hdr.version)) {
		return -EMSGSIZE;
	}
	memcpy(&hdr, buf, MIN(len, sizeof(hdr)));
	/* Version before length: another version has another size. */
	if (hdr.magic != BASELINE_REC_MAGIC || hdr.version != BASELINE_REC_VERSION) {
		return -ENOTSUP;
	}
	if (len < BASELINE_REC_SIZE(0)) {
		return -EMSGSIZE;
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

	/* A CRC only proves the bytes are what was written: check the values too. */
	const int64_t w = hdr.n_windows;
	const int64_t s_max = w * VMON_DECISION_FEATURE_ABS_MAX;
	const uint8_t *ps = buf + sizeof(hdr);
	const uint8_t *pd = ps + n * sizeof(int32_t);

	if (hdr.n_windows < VMON_DECISION_COMMISSION_MIN ||
	    hdr.n_windows > VMON_DECISION_COMMISSION_MAX ||
	    hdr.threshold_q8 < VMON_DECISION_MIN_THRESHOLD_Q8 ||
	    hdr.threshold_q8 > VMON_DECISION_Z2_CAP_Q8 * VMON_DECISION_THRESHOLD_MARGIN_Q8 / 256 ||
	    (hdr.flags & ~BASELINE_FLAG_CLASSIFIER_VALIDATED) != 0U) {
		return -EBADMSG;
	}
	for (size_t i = 0; i < n; i++) {
		int32_t s;
		int64_t d;

		memcpy(&s, ps + i * sizeof(s), sizeof(s));
		memcpy(&d, pd + i * sizeof(d), sizeof(d));
		/* D = N^2 var >= 0, and var <= FEATURE_ABS_MAX^2. */
		if (s < -s_max || s > s_max || d < 0 || d > s_max * s_max) {
			return -EBADMSG;
		}
	}

	out->n_features = n;
	out->n_windows = hdr.n_windows;
	out->feature_hash = hdr.feature_hash;
	out->threshold_q8 = hdr.threshold_q8;
	out->classifier_validated = (hdr.flags & BASELINE_FLAG_CLASSIFIER_VALIDATED) != 0U;
	memcpy(out->s, ps, n * sizeof(int32_t));
	memcpy(out->d, pd, n * sizeof(int64_t));
	return 0;
}
