/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Persistence tests on the NVS settings backend (flash simulator): the commissioned
 * baseline and the zone override are reloaded from NVS after the module drops its RAM copy,
 * bit for bit; a record written by someone else is used; corrupt, stale or impossible
 * records (values no commissioning can produce, version 1) are detected, counted, reported
 * and ignored: the node is then uncommissioned.
 */

#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/settings/settings.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>
#include <zephyr/ztest.h>

#include "baseline.h"
#include "common.h"

LOG_MODULE_REGISTER(test_decision_persist, LOG_LEVEL_INF);

#define KEY_BL    "vmon/dec/bl"
#define KEY_ZONES "vmon/dec/zones"

/* The largest record, and the oversize one of the corruption cases, fit an NVS sector of
 * the flash simulator (the board overlays). */
BUILD_ASSERT(BASELINE_REC_MAX + 8 < 1000, "records must fit a 1 KiB NVS sector");

static uint8_t rec[BASELINE_REC_MAX + 8];
static uint8_t enc[BASELINE_REC_MAX];
static struct baseline good;

static void before(void *f)
{
	struct vmon_decision_config cfg = t_config();

	ARG_UNUSED(f);
	t_fresh(&cfg);
}

ZTEST_SUITE(decision_persist, NULL, NULL, before, NULL, NULL);

struct stored {
	uint8_t *buf;
	size_t cap;
	size_t len;
};

static int direct_cb(const char *key, size_t len, settings_read_cb read_cb, void *cb_arg,
		     void *param)
{
	struct stored *s = param;

	ARG_UNUSED(key);
	s->len = len;
	if (s->buf != NULL && len <= s->cap) {
		zassert_equal(read_cb(cb_arg, s->buf, len), (ssize_t)len);
	}
	return 0;
}

/* Length of the value stored in the backend under @p key (0 if none), read into @p buf. */
static size_t stored_read(const char *key, uint8_t *buf, size_t cap)
{
	struct stored s = {.buf = buf, .cap = cap};

	zassert_ok(settings_load_subtree_direct(key, direct_cb, &s));
	return s.len;
}

static size_t stored_len(const char *key)
{
	return stored_read(key, NULL, 0);
}

static uint32_t hash_of(const char *s)
{
	return crc32_ieee((const uint8_t *)s, strlen(s));
}

/* The Python reference baseline as a record would hold it. */
static void fill_good(void)
{
	good.n_features = T_N_FEATURES;
	good.n_windows = REF_N_WINDOWS;
	good.feature_hash = hash_of(T_FEATURE_HASH);
	good.threshold_q8 = REF_THRESHOLD_Q8;
	good.classifier_validated = REF_VALIDATED;
	memcpy(good.s, ref_s, sizeof(ref_s));
	memcpy(good.d, ref_d, sizeof(ref_d));
}

static void assert_reference_probes(void)
{
	for (int k = 0; k < REF_N_PROBES; k++) {
		int32_t nov;

		zassert_ok(vmon_decision_novelty(ref_probe[k], T_N_FEATURES, &nov));
		zassert_equal(nov, ref_probe_novelty_q8[k], "probe %d: %d", k, nov);
	}
}

ZTEST(decision_persist, test_commissioned_baseline_reloads_from_nvs)
{
	static int32_t mean_a[T_N_FEATURES], mean_b[T_N_FEATURES];
	static uint32_t var_a[T_N_FEATURES], var_b[T_N_FEATURES];
	static struct baseline b;
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_status st;
	size_t len;

	zassert_equal(stored_len(KEY_BL), 0);
	t_commission_reference(ref_labels_validated);
	st = t_status();
	zassert_ok(st.save_err);
	zassert_ok(vmon_decision_baseline_get(mean_a, var_a, T_N_FEATURES));

	/* The record holds the exact sums of the Python reference. */
	len = stored_read(KEY_BL, rec, sizeof(rec));
	zassert_equal(len, BASELINE_REC_SIZE(T_N_FEATURES));
	zassert_ok(baseline_decode(rec, len, T_N_FEATURES, hash_of(T_FEATURE_HASH), &b));
	zassert_equal(b.n_windows, REF_N_WINDOWS);
	zassert_equal(b.threshold_q8, REF_THRESHOLD_Q8);
	zassert_equal(b.classifier_validated, REF_VALIDATED);
	zassert_mem_equal(b.s, ref_s, sizeof(ref_s));
	zassert_mem_equal(b.d, ref_d, sizeof(ref_d));
	fill_good();
	zassert_equal(baseline_encode(&good, enc, sizeof(enc)), len);
	zassert_mem_equal(rec, enc, len, "the record of the Python reference");

	/* Re-init drops every in-RAM state; the baseline can only come back from NVS. */
	zassert_ok(vmon_decision_init(&cfg));
	st = t_status();
	zassert_true(st.commissioned);
	zassert_ok(st.load_err);
	zassert_ok(st.storage_err);
	zassert_equal(st.records_rejected, 0);
	zassert_equal(st.learned_windows, REF_N_WINDOWS);
	zassert_equal(st.threshold_q8, REF_THRESHOLD_Q8);
	zassert_equal(st.classifier_validated, REF_VALIDATED);
	zassert_ok(vmon_decision_baseline_get(mean_b, var_b, T_N_FEATURES));
	zassert_mem_equal(mean_a, mean_b, sizeof(mean_a));
	zassert_mem_equal(var_a, var_b, sizeof(var_a));
	assert_reference_probes();

	/* The same through reload. */
	zassert_ok(vmon_decision_baseline_reload());
	zassert_true(t_status().commissioned);
	assert_reference_probes();

	/* clear deletes it from NVS */
	zassert_ok(vmon_decision_baseline_clear());
	zassert_equal(stored_len(KEY_BL), 0);
	zassert_ok(vmon_decision_init(&cfg));
	st = t_status();
	zassert_false(st.commissioned);
	zassert_equal(st.load_err, -ENOENT);
	zassert_equal(vmon_decision_baseline_reload(), -ENOENT);
	zassert_equal(st.records_rejected, 0, "a missing record is not a rejected one");
}

ZTEST(decision_persist, test_record_written_by_someone_else_is_used)
{
	struct vmon_decision_output out;
	struct vmon_decision_status st;
	size_t len;

	/* e.g. provisioning, or `settings load` from the shell */
	fill_good();
	len = baseline_encode(&good, rec, sizeof(rec));
	zassert_equal(len, BASELINE_REC_SIZE(T_N_FEATURES));
	zassert_ok(settings_save_one(KEY_BL, rec, len));
	zassert_false(t_status().commissioned);
	zassert_ok(settings_load());
	st = t_status();
	zassert_true(st.commissioned);
	zassert_ok(st.load_err);
	zassert_equal(st.learned_windows, REF_N_WINDOWS);
	zassert_equal(st.threshold_q8, REF_THRESHOLD_Q8);
	zassert_equal(st.classifier_validated, REF_VALIDATED);
	assert_reference_probes();
	zassert_ok(vmon_decision_reset());
	zassert_ok(t_decide(ref_probe[4], 0, NULL, 0.0f, &out));
	zassert_equal(out.vote, ref_probe_vote[4]);
}

/* The bounds of every value are accepted: the checks reject exactly what is impossible. */
ZTEST(decision_persist, test_extreme_valid_records_are_used)
{
	static const struct {
		uint32_t n;
		int sign;
		bool max_d;
		uint32_t threshold;
		bool validated;
	} cases[] = {
		{VMON_DECISION_COMMISSION_MIN, 1, true, VMON_DECISION_MIN_THRESHOLD_Q8, false},
		{VMON_DECISION_COMMISSION_MIN, -1, false, T_THRESHOLD_MAX, true},
		{VMON_DECISION_COMMISSION_MAX, 1, false, VMON_DECISION_MIN_THRESHOLD_Q8, true},
		{VMON_DECISION_COMMISSION_MAX, -1, true, T_THRESHOLD_MAX, false},
	};
	int32_t f[T_N_FEATURES];

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		const int64_t s_max = (int64_t)cases[i].n * VMON_DECISION_FEATURE_ABS_MAX;
		struct vmon_decision_status st;
		int32_t nov;
		uint32_t want = 0;
		size_t len;

		fill_good();
		good.n_windows = cases[i].n;
		good.threshold_q8 = cases[i].threshold;
		good.classifier_validated = cases[i].validated;
		for (int k = 0; k < T_N_FEATURES; k++) {
			good.s[k] = cases[i].sign * s_max;
			good.d[k] = cases[i].max_d ? s_max * s_max : 0;
		}
		len = baseline_encode(&good, rec, sizeof(rec));
		zassert_ok(settings_save_one(KEY_BL, rec, len));
		zassert_ok(vmon_decision_baseline_reload(), "case %u", i);
		st = t_status();
		zassert_true(st.commissioned);
		zassert_equal(st.learned_windows, cases[i].n);
		zassert_equal(st.threshold_q8, cases[i].threshold);
		zassert_equal(st.classifier_validated, cases[i].validated);
		/* the farthest window from the mean */
		t_fill(f, -cases[i].sign * VMON_DECISION_FEATURE_ABS_MAX);
		f[0] = 0;
		zassert_ok(vmon_decision_novelty(f, T_N_FEATURES, &nov));
		for (int k = 0; k < T_N_FEATURES; k++) {
			want += baseline_z2_q8(cases[i].n, good.s[k], good.d[k], f[k]);
		}
		zassert_equal(nov, want / T_N_FEATURES, "case %u", i);
	}
}

/* ---- corrupt records ---- */

static size_t encode(void (*tweak)(struct baseline *b))
{
	static struct baseline b;

	b = good;
	if (tweak != NULL) {
		tweak(&b);
	}
	return baseline_encode(&b, rec, sizeof(rec));
}

static void recrc(size_t len)
{
	uint32_t crc = crc32_ieee(rec, len - sizeof(crc));

	memcpy(&rec[len - sizeof(crc)], &crc, sizeof(crc));
}

static size_t m_truncated(size_t len)
{
	return len - 1;
}

static size_t m_header_only(size_t len)
{
	ARG_UNUSED(len);
	return sizeof(struct baseline_rec_hdr);
}

static size_t m_shorter_than_a_header(size_t len)
{
	ARG_UNUSED(len);
	return 8;
}

static size_t m_one_byte(size_t len)
{
	ARG_UNUSED(len);
	return 1;
}

static size_t m_extra(size_t len)
{
	rec[len] = 0;
	return len + 1;
}

static size_t m_oversize(size_t len)
{
	ARG_UNUSED(len);
	return BASELINE_REC_MAX + 4;
}

static size_t m_magic(size_t len)
{
	rec[0] ^= 0xff;
	return len;
}

static size_t m_version(size_t len)
{
	rec[offsetof(struct baseline_rec_hdr, version)] = BASELINE_REC_VERSION + 1;
	recrc(len);
	return len;
}

/* A valid version-1 record (float mean and variance, 12-byte header). */
static size_t m_version_1(size_t len)
{
	const size_t n = T_N_FEATURES;
	uint8_t *p = rec;
	uint32_t crc;

	ARG_UNUSED(len);
	sys_put_le16(BASELINE_REC_MAGIC, p);
	p[2] = 1;
	p[3] = n;
	sys_put_le32(hash_of(T_FEATURE_HASH), p + 4);
	sys_put_le32(REF_N_WINDOWS, p + 8);
	p += 12;
	for (size_t i = 0; i < 2 * n; i++) {
		float v = i < n ? 3000.0f + i : 100.0f;

		memcpy(p, &v, sizeof(v));
		p += sizeof(v);
	}
	crc = crc32_ieee(rec, p - rec);
	memcpy(p, &crc, sizeof(crc));
	return p - rec + sizeof(crc);
}

static size_t m_payload_bit(size_t len)
{
	rec[sizeof(struct baseline_rec_hdr) + 13] ^= 0x04;
	return len;
}

static size_t m_crc_field(size_t len)
{
	rec[len - 1] ^= 0x80;
	return len;
}

static size_t m_zero_features(size_t len)
{
	rec[offsetof(struct baseline_rec_hdr, n_features)] = 0;
	recrc(len);
	return len;
}

static size_t m_too_many_features(size_t len)
{
	rec[offsetof(struct baseline_rec_hdr, n_features)] = VMON_DECISION_FEATURES_MAX + 1;
	recrc(len);
	return len;
}

static size_t m_erased(size_t len)
{
	memset(rec, 0xff, len);
	return len;
}

static size_t m_flag_bit_1(size_t len)
{
	rec[offsetof(struct baseline_rec_hdr, flags)] |= BIT(1);
	recrc(len);
	return len;
}

static size_t m_flag_bit_31(size_t len)
{
	rec[offsetof(struct baseline_rec_hdr, flags) + 3] |= BIT(7);
	recrc(len);
	return len;
}

static void t_fewer_features(struct baseline *b)
{
	b->n_features = T_N_FEATURES - 1;
}

static void t_other_hash(struct baseline *b)
{
	b->feature_hash ^= 1U;
}

static void t_negative_d(struct baseline *b)
{
	b->d[5] = -1;
}

static void t_d_too_large(struct baseline *b)
{
	const int64_t s_max = (int64_t)b->n_windows * VMON_DECISION_FEATURE_ABS_MAX;

	b->d[6] = s_max * s_max + 1;
}

static void t_s_too_large(struct baseline *b)
{
	b->s[7] = (int64_t)b->n_windows * VMON_DECISION_FEATURE_ABS_MAX + 1;
}

static void t_s_too_small(struct baseline *b)
{
	b->s[36] = -(int64_t)b->n_windows * VMON_DECISION_FEATURE_ABS_MAX - 1;
}

static void t_threshold_below_min(struct baseline *b)
{
	b->threshold_q8 = VMON_DECISION_MIN_THRESHOLD_Q8 - 1;
}

static void t_threshold_zero(struct baseline *b)
{
	b->threshold_q8 = 0;
}

static void t_threshold_above_max(struct baseline *b)
{
	b->threshold_q8 = T_THRESHOLD_MAX + 1;
}

/* Sums a commissioning of any length could hold, so that only the count is wrong. */
static void zero_sums(struct baseline *b)
{
	memset(b->s, 0, sizeof(b->s));
	memset(b->d, 0, sizeof(b->d));
}

static void t_three_windows(struct baseline *b)
{
	zero_sums(b);
	b->n_windows = VMON_DECISION_COMMISSION_MIN - 1;
}

static void t_no_windows(struct baseline *b)
{
	zero_sums(b);
	b->n_windows = 0;
}

static void t_too_many_windows(struct baseline *b)
{
	zero_sums(b);
	b->n_windows = VMON_DECISION_COMMISSION_MAX + 1;
}

ZTEST(decision_persist, test_corrupt_baseline_records)
{
	const struct {
		const char *name;
		void (*tweak)(struct baseline *b); /* before encoding (valid CRC) */
		size_t (*mutate)(size_t len);      /* after encoding */
		int err;
	} cases[] = {
		{"truncated", NULL, m_truncated, -EMSGSIZE},
		{"header only", NULL, m_header_only, -EMSGSIZE},
		{"shorter than a header", NULL, m_shorter_than_a_header, -EMSGSIZE},
		{"one byte", NULL, m_one_byte, -EMSGSIZE},
		{"one byte too long", NULL, m_extra, -EMSGSIZE},
		{"longer than any record", NULL, m_oversize, -EMSGSIZE},
		{"bad magic", NULL, m_magic, -ENOTSUP},
		{"unknown version", NULL, m_version, -ENOTSUP},
		{"version 1", NULL, m_version_1, -ENOTSUP},
		{"erased flash", NULL, m_erased, -ENOTSUP},
		{"flipped payload bit", NULL, m_payload_bit, -EBADMSG},
		{"bad crc", NULL, m_crc_field, -EBADMSG},
		{"zero features", NULL, m_zero_features, -EMSGSIZE},
		{"too many features", NULL, m_too_many_features, -EMSGSIZE},
		{"negative d", t_negative_d, NULL, -EBADMSG},
		{"d beyond N^2 32768^2", t_d_too_large, NULL, -EBADMSG},
		{"s beyond N 32768", t_s_too_large, NULL, -EBADMSG},
		{"s below -N 32768", t_s_too_small, NULL, -EBADMSG},
		{"threshold below the minimum", t_threshold_below_min, NULL, -EBADMSG},
		{"threshold zero", t_threshold_zero, NULL, -EBADMSG},
		{"threshold above the cap", t_threshold_above_max, NULL, -EBADMSG},
		{"unknown flag bit 1", NULL, m_flag_bit_1, -EBADMSG},
		{"unknown flag bit 31", NULL, m_flag_bit_31, -EBADMSG},
		{"3 windows", t_three_windows, NULL, -EBADMSG},
		{"0 windows", t_no_windows, NULL, -EBADMSG},
		{"32768 windows", t_too_many_windows, NULL, -EBADMSG},
		{"other feature count", t_fewer_features, NULL, -ESTALE},
		{"other feature config", t_other_hash, NULL, -ESTALE},
	};
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_output out;
	int32_t nov;

	fill_good();
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		struct vmon_decision_status st;
		uint32_t rejected;
		size_t len;

		/* A valid baseline first: the rejected record must drop it. */
		zassert_ok(settings_save_one(KEY_BL, rec, encode(NULL)));
		zassert_ok(vmon_decision_baseline_reload());
		zassert_true(t_status().commissioned);
		rejected = t_status().records_rejected;

		len = encode(cases[i].tweak);
		zassert_true(len > 0);
		if (cases[i].mutate != NULL) {
			len = cases[i].mutate(len);
		}
		zassert_ok(settings_save_one(KEY_BL, rec, len), "%s", cases[i].name);

		zassert_equal(vmon_decision_baseline_reload(), cases[i].err, "%s",
			      cases[i].name);
		st = t_status();
		zassert_equal(st.load_err, cases[i].err, "%s", cases[i].name);
		zassert_equal(st.records_rejected, rejected + 1, "%s", cases[i].name);
		zassert_false(st.commissioned, "%s", cases[i].name);
		zassert_equal(st.threshold_q8, 0);
		zassert_equal(st.learned_windows, 0);
		zassert_false(st.classifier_validated);

		/* uncommissioned: no novelty, only the zones vote; decisions go on */
		zassert_equal(vmon_decision_novelty(ref_probe[4], T_N_FEATURES, &nov), -ENODATA);
		zassert_ok(t_decide(ref_probe[4], 0, NULL, t_velocity(VMON_ZONE_B), &out));
		zassert_false(out.commissioned);
		zassert_equal(out.novelty_q8, -1);
		zassert_equal(out.vote, VMON_DECISION_NORMAL);

		/* the same at init */
		zassert_ok(vmon_decision_init(&cfg), "%s", cases[i].name);
		st = t_status();
		zassert_equal(st.load_err, cases[i].err, "%s", cases[i].name);
		zassert_equal(st.records_rejected, rejected + 2, "%s", cases[i].name);
		zassert_false(st.commissioned, "%s", cases[i].name);
		TC_PRINT("%-28s -> %d\n", cases[i].name, cases[i].err);
	}

	/* a valid record is accepted again */
	zassert_ok(settings_save_one(KEY_BL, rec, encode(NULL)));
	zassert_ok(vmon_decision_baseline_reload());
	zassert_true(t_status().commissioned);
	assert_reference_probes();
}

/* ---- zones ---- */

static void save_zones_raw(const uint32_t *v, size_t n)
{
	uint8_t raw[16];

	for (size_t i = 0; i < n; i++) {
		sys_put_le32(v[i], &raw[4 * i]);
	}
	zassert_ok(settings_save_one(KEY_ZONES, raw, 4 * n));
}

ZTEST(decision_persist, test_zone_override_persists)
{
	const struct vmon_decision_zones z = {1000, 2000, 3000};
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.velocity_mm_s = 2.5f};
	struct vmon_decision_zones def;
	struct vmon_decision_status st;

	vmon_decision_zones_default(&def);
	zassert_equal(vmon_decision_zones_set(NULL), -EINVAL);
	zassert_equal(vmon_decision_zones_set(&(struct vmon_decision_zones){0, 1, 2}), -EINVAL);
	zassert_equal(vmon_decision_zones_set(&(struct vmon_decision_zones){1, 1, 2}), -EINVAL);
	zassert_equal(vmon_decision_zones_set(&(struct vmon_decision_zones){1, 2, 2}), -EINVAL);
	zassert_equal(vmon_decision_zones_set(&(struct vmon_decision_zones){3, 2, 1}), -EINVAL);
	zassert_equal(stored_len(KEY_ZONES), 0);

	zassert_ok(vmon_decision_zones_set(&z));
	zassert_equal(stored_len(KEY_ZONES), 12);
	zassert_ok(vmon_decision_init(&cfg));
	st = t_status();
	zassert_true(st.zones_overridden);
	zassert_mem_equal(&st.zones, &z, sizeof(z));
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_equal(out.zone, VMON_ZONE_C);

	zassert_ok(vmon_decision_zones_reset());
	zassert_equal(stored_len(KEY_ZONES), 0);
	zassert_ok(vmon_decision_init(&cfg));
	st = t_status();
	zassert_false(st.zones_overridden);
	zassert_mem_equal(&st.zones, &def, sizeof(def));
}

ZTEST(decision_persist, test_corrupt_zone_records)
{
	static const uint32_t short_rec[] = {1000, 2000};
	static const uint32_t long_rec[] = {1000, 2000, 3000, 4000};
	static const uint32_t unordered[] = {2000, 1000, 3000};
	static const uint32_t equal[] = {1000, 2000, 2000};
	static const uint32_t zero[] = {0, 1000, 3000};
	const struct {
		const uint32_t *v;
		size_t n;
	} cases[] = {{short_rec, 2}, {long_rec, 4}, {unordered, 3}, {equal, 3}, {zero, 3}};
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_zones def;

	vmon_decision_zones_default(&def);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t rejected = t_status().records_rejected;
		struct vmon_decision_status st;

		save_zones_raw(cases[i].v, cases[i].n);
		zassert_ok(vmon_decision_init(&cfg));
		st = t_status();
		zassert_equal(st.records_rejected, rejected + 1, "case %u", i);
		zassert_false(st.zones_overridden, "case %u", i);
		zassert_mem_equal(&st.zones, &def, sizeof(def), "case %u", i);
		zassert_equal(st.load_err, -ENOENT, "the baseline is another record");
	}
	zassert_ok(vmon_decision_zones_reset());
}

ZTEST(decision_persist, test_zones_through_settings_runtime)
{
	uint8_t raw[12];
	struct vmon_decision_status st;
	struct vmon_decision_config cfg = t_config();

	if (!IS_ENABLED(CONFIG_SETTINGS_RUNTIME)) {
		ztest_test_skip();
	}
	sys_put_le32(500, &raw[0]);
	sys_put_le32(600, &raw[4]);
	sys_put_le32(700, &raw[8]);
	zassert_ok(settings_runtime_set(KEY_ZONES, raw, sizeof(raw)));
	st = t_status();
	zassert_true(st.zones_overridden);
	zassert_equal(st.zones.bc_um_s, 600);
	/* runtime only: not stored */
	zassert_equal(stored_len(KEY_ZONES), 0);
	zassert_ok(vmon_decision_init(&cfg));
	zassert_false(t_status().zones_overridden);
}
