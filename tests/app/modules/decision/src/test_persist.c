/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Persistence tests on the NVS settings backend (flash simulator): the learned baseline
 * and the zone override are reloaded from NVS after the module drops its RAM copy; corrupt
 * or stale records are detected, counted, reported and ignored.
 */

#include <math.h>
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

static int32_t win[T_N_FEATURES];
static uint8_t rec[BASELINE_REC_MAX + 8];
static struct baseline good;

static void before(void *f)
{
	struct vmon_decision_config cfg = t_config();

	ARG_UNUSED(f);
	t_fresh(&cfg);
}

ZTEST_SUITE(decision_persist, NULL, NULL, before, NULL, NULL);

static int direct_cb(const char *key, size_t len, settings_read_cb read_cb, void *cb_arg,
		     void *param)
{
	ARG_UNUSED(key);
	ARG_UNUSED(read_cb);
	ARG_UNUSED(cb_arg);
	*(size_t *)param = len;
	return 0;
}

/* Length of the value stored in the backend under @p key, 0 if none. */
static size_t stored_len(const char *key)
{
	size_t len = 0;

	zassert_ok(settings_load_subtree_direct(key, direct_cb, &len));
	return len;
}

static struct vmon_decision_status status(void)
{
	struct vmon_decision_status st;

	zassert_ok(vmon_decision_get_status(&st));
	return st;
}

ZTEST(decision_persist, test_learned_baseline_reloads_from_nvs)
{
	static float mean_a[T_N_FEATURES], var_a[T_N_FEATURES];
	static float mean_b[T_N_FEATURES], var_b[T_N_FEATURES];
	struct vmon_decision_config cfg = t_config();
	enum vmon_baseline_source src;
	struct vmon_decision_status st;

	zassert_equal(stored_len(KEY_BL), 0);
	ref_seed();
	zassert_ok(vmon_decision_baseline_learn(REF_N_WINDOWS));
	for (int w = 0; w < REF_N_WINDOWS; w++) {
		ref_window(win);
		zassert_ok(t_feed_window(win, 0));
	}
	st = status();
	zassert_equal(st.baseline, VMON_BASELINE_LEARNED);
	zassert_ok(st.save_err);
	zassert_equal(stored_len(KEY_BL), BASELINE_REC_SIZE(T_N_FEATURES));
	zassert_ok(vmon_decision_baseline_get(mean_a, var_a, T_N_FEATURES, NULL));

	/* Re-init drops every in-RAM state; the baseline can only come back from NVS. */
	zassert_ok(vmon_decision_init(&cfg));
	st = status();
	zassert_equal(st.baseline, VMON_BASELINE_LEARNED);
	zassert_ok(st.load_err);
	zassert_ok(st.storage_err);
	zassert_equal(st.learned_windows, REF_N_WINDOWS);
	zassert_ok(vmon_decision_baseline_get(mean_b, var_b, T_N_FEATURES, &src));
	zassert_equal(src, VMON_BASELINE_LEARNED);
	zassert_mem_equal(mean_a, mean_b, sizeof(mean_a));
	zassert_mem_equal(var_a, var_b, sizeof(var_a));
	for (int i = 0; i < T_N_FEATURES; i++) {
		zassert_within((double)mean_b[i], ref_mean[i], fabs(ref_mean[i]) * 2e-7 + 1e-6);
		zassert_within((double)var_b[i], ref_var[i], fabs(ref_var[i]) * 2e-7 + 1e-6);
	}

	/* The same through reload. */
	zassert_ok(vmon_decision_baseline_reload());
	zassert_ok(vmon_decision_baseline_get(mean_b, var_b, T_N_FEATURES, NULL));
	zassert_mem_equal(mean_a, mean_b, sizeof(mean_a));

	/* clear deletes it from NVS */
	zassert_ok(vmon_decision_baseline_clear());
	zassert_equal(stored_len(KEY_BL), 0);
	zassert_ok(vmon_decision_init(&cfg));
	st = status();
	zassert_equal(st.baseline, VMON_BASELINE_SHIPPED);
	zassert_equal(st.load_err, -ENOENT);
	zassert_equal(vmon_decision_baseline_reload(), -ENOENT);
}

/* A valid record: shipped mean + 20, variance 4, 7 windows. */
static void fill_good(void)
{
	good.n_features = T_N_FEATURES;
	good.n_windows = 7;
	good.feature_hash = crc32_ieee((const uint8_t *)T_FEATURE_HASH, strlen(T_FEATURE_HASH));
	for (int i = 0; i < T_N_FEATURES; i++) {
		good.mean[i] = t_shipped_mean[i] + 20.0f;
		good.var[i] = 4.0f;
	}
}

ZTEST(decision_persist, test_record_written_by_someone_else_is_loaded)
{
	size_t len;

	/* e.g. provisioning, or `settings load` from the shell */
	fill_good();
	len = baseline_encode(&good, rec, sizeof(rec));
	zassert_equal(len, BASELINE_REC_SIZE(T_N_FEATURES));
	zassert_ok(settings_save_one(KEY_BL, rec, len));
	zassert_ok(settings_load());
	zassert_equal(status().baseline, VMON_BASELINE_LEARNED);
	zassert_equal(status().learned_windows, 7);
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

static size_t m_short(size_t len)
{
	ARG_UNUSED(len);
	return 8;
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

static size_t m_erased(size_t len)
{
	memset(rec, 0xff, len);
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

static void t_nan_mean(struct baseline *b)
{
	b->mean[3] = NAN;
}

static void t_inf_var(struct baseline *b)
{
	b->var[4] = INFINITY;
}

static void t_negative_var(struct baseline *b)
{
	b->var[5] = -1.0f;
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
		{"shorter than a header", NULL, m_short, -EMSGSIZE},
		{"one byte too long", NULL, m_extra, -EMSGSIZE},
		{"longer than any record", NULL, m_oversize, -EMSGSIZE},
		{"bad magic", NULL, m_magic, -ENOTSUP},
		{"unknown version", NULL, m_version, -ENOTSUP},
		{"erased flash", NULL, m_erased, -ENOTSUP},
		{"flipped payload bit", NULL, m_payload_bit, -EBADMSG},
		{"bad crc", NULL, m_crc_field, -EBADMSG},
		{"zero features", NULL, m_zero_features, -EMSGSIZE},
		{"NaN mean", t_nan_mean, NULL, -EBADMSG},
		{"infinite variance", t_inf_var, NULL, -EBADMSG},
		{"negative variance", t_negative_var, NULL, -EBADMSG},
		{"other feature count", t_fewer_features, NULL, -ESTALE},
		{"other feature config", t_other_hash, NULL, -ESTALE},
	};
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_output out;
	struct vmon_decision_input in = {.features = win, .n_features = T_N_FEATURES};
	float score;

	fill_good();
	/* a valid learned baseline in RAM first: reload must drop it */
	t_features_z(win, 0.0f);
	zassert_ok(vmon_decision_baseline_learn(2));
	zassert_ok(t_feed_window(win, 0));
	zassert_ok(t_feed_window(win, 0));
	zassert_equal(status().baseline, VMON_BASELINE_LEARNED);

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		size_t len = encode(cases[i].tweak);
		uint32_t rejected = status().records_rejected;

		zassert_true(len > 0);
		if (cases[i].mutate != NULL) {
			len = cases[i].mutate(len);
		}
		zassert_ok(settings_save_one(KEY_BL, rec, len), "%s", cases[i].name);

		zassert_equal(vmon_decision_baseline_reload(), cases[i].err, "%s",
			      cases[i].name);
		struct vmon_decision_status st = status();

		zassert_equal(st.load_err, cases[i].err, "%s", cases[i].name);
		zassert_equal(st.records_rejected, rejected + 1, "%s", cases[i].name);
		zassert_equal(st.baseline, VMON_BASELINE_SHIPPED, "%s", cases[i].name);

		/* scoring falls back to the shipped baseline, decisions go on */
		t_features_z(win, 0.0f);
		zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &score));
		zassert_equal(score, 0.0f, "%s", cases[i].name);
		zassert_ok(vmon_decision_update(&in, &out));
		zassert_false(out.novelty_from_learned);

		/* the same at init */
		zassert_ok(vmon_decision_init(&cfg), "%s", cases[i].name);
		st = status();
		zassert_equal(st.load_err, cases[i].err, "%s", cases[i].name);
		zassert_equal(st.records_rejected, rejected + 2, "%s", cases[i].name);
		zassert_equal(st.baseline, VMON_BASELINE_SHIPPED, "%s", cases[i].name);
		TC_PRINT("%-24s -> %d\n", cases[i].name, cases[i].err);
	}

	/* a valid record is accepted again */
	zassert_ok(settings_save_one(KEY_BL, rec, encode(NULL)));
	zassert_ok(vmon_decision_baseline_reload());
	zassert_equal(status().baseline, VMON_BASELINE_LEARNED);
	zassert_ok(vmon_decision_novelty(win, T_N_FEATURES, &score));
	zassert_within(score, 100.0f, 1e-3f); /* (-20)^2 / 4 */
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
	zassert_equal(vmon_decision_zones_set(&(struct vmon_decision_zones){3, 2, 1}), -EINVAL);

	zassert_ok(vmon_decision_zones_set(&z));
	zassert_equal(stored_len(KEY_ZONES), 12);
	zassert_ok(vmon_decision_init(&cfg));
	st = status();
	zassert_true(st.zones_overridden);
	zassert_mem_equal(&st.zones, &z, sizeof(z));
	zassert_ok(vmon_decision_update(&in, &out));
	zassert_equal(out.zone, VMON_ZONE_C);

	zassert_ok(vmon_decision_zones_reset());
	zassert_equal(stored_len(KEY_ZONES), 0);
	zassert_ok(vmon_decision_init(&cfg));
	st = status();
	zassert_false(st.zones_overridden);
	zassert_mem_equal(&st.zones, &def, sizeof(def));
}

ZTEST(decision_persist, test_corrupt_zone_records)
{
	static const uint32_t short_rec[] = {1000, 2000};
	static const uint32_t long_rec[] = {1000, 2000, 3000, 4000};
	static const uint32_t unordered[] = {2000, 1000, 3000};
	static const uint32_t zero[] = {0, 1000, 3000};
	const struct {
		const uint32_t *v;
		size_t n;
	} cases[] = {{short_rec, 2}, {long_rec, 4}, {unordered, 3}, {zero, 3}};
	struct vmon_decision_config cfg = t_config();
	struct vmon_decision_zones def;

	vmon_decision_zones_default(&def);
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		uint32_t rejected = status().records_rejected;

		save_zones_raw(cases[i].v, cases[i].n);
		zassert_ok(vmon_decision_init(&cfg));
		struct vmon_decision_status st = status();

		zassert_equal(st.records_rejected, rejected + 1, "case %u", i);
		zassert_false(st.zones_overridden, "case %u", i);
		zassert_mem_equal(&st.zones, &def, sizeof(def), "case %u", i);
	}
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
	st = status();
	zassert_true(st.zones_overridden);
	zassert_equal(st.zones.bc_um_s, 600);
	/* runtime only: not stored */
	zassert_equal(stored_len(KEY_ZONES), 0);
	zassert_ok(vmon_decision_init(&cfg));
	zassert_false(status().zones_overridden);
}
