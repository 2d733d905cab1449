/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decision module: policy, N-of-M hysteresis (SMF), commissioning baseline (SMF) and its
 * persistence through the settings subsystem. The policy is documented in decision.h.
 */

#include <errno.h>
#include <math.h>
#include <string.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/settings/settings.h>
#include <zephyr/smf.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/crc.h>
#include <zephyr/sys/util.h>

#include "baseline.h"
#include "battery.h"
#include "decision.h"

/* typing.c is built with CONFIG_VMON_DECISION_TYPING; every call is behind typing_on(). */
#include "typing.h"
#if defined(CONFIG_VMON_DECISION_TYPING)
#include "machine.h"
#endif

#if defined(CONFIG_VMON_FEATURES)
#include <vmon/features.h>
BUILD_ASSERT(VMON_DECISION_FEATURES_MAX <= VMON_FEATURES_MAX, "no more than the features module");
#endif
#if defined(CONFIG_VMON_TFLM)
#include <vmon_model_config.h>
BUILD_ASSERT(VMON_MODEL_N_OUTPUTS == VMON_LABEL_COUNT, "policy knows every model class");
#endif

LOG_MODULE_REGISTER(vmon_decision, CONFIG_VMON_DECISION_LOG_LEVEL);

#define HYST_N CONFIG_VMON_DECISION_HYST_N
#define HYST_M CONFIG_VMON_DECISION_HYST_M

BUILD_ASSERT(HYST_N >= 1 && HYST_N <= HYST_M, "N of M needs 1 <= N <= M");
BUILD_ASSERT(2 * HYST_N > HYST_M, "with 2N <= M a level could be entered and left at once");
BUILD_ASSERT(HYST_M <= VMON_DECISION_HYST_M_MAX, "the vote history is a 32-bit register");
BUILD_ASSERT(CONFIG_VMON_DECISION_ZONE_AB_UM_S > 0 &&
		     CONFIG_VMON_DECISION_ZONE_AB_UM_S < CONFIG_VMON_DECISION_ZONE_BC_UM_S &&
		     CONFIG_VMON_DECISION_ZONE_BC_UM_S < CONFIG_VMON_DECISION_ZONE_CD_UM_S,
	     "zone boundaries must increase");
BUILD_ASSERT(CONFIG_VMON_DECISION_BASELINE_WINDOWS >= VMON_DECISION_COMMISSION_MIN &&
		     CONFIG_VMON_DECISION_BASELINE_WINDOWS <=
			     CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX,
	     "the threshold needs a second half of commissioning windows");

#define SETTINGS_SUBTREE "vmon/dec"
#define KEY_BASELINE     "bl"
#define KEY_ZONES        "zones"
#define KEY_HYST         "hyst"
#define ZONES_REC_SIZE   (3 * sizeof(uint32_t))

static const char *const label_names[VMON_LABEL_COUNT] = {
	[VMON_LABEL_NORMAL] = "normal",
	[VMON_LABEL_INNER_RACE] = "inner_race",
	[VMON_LABEL_BALL] = "ball",
	[VMON_LABEL_OUTER_RACE] = "outer_race",
};

/* ---- state ---- */

enum hyst_state { HYST_NORMAL, HYST_WARNING, HYST_ALARM };

/* N of M at runtime (vmon_decision_hysteresis_set()): the last 32 votes are kept as two
 * bit registers, so M can change without losing the history. */
struct hyst_ctx {
	struct smf_ctx smf;  /* first: SMF_CTX() casts */
	uint32_t warn_hist;  /* bit i: the vote i windows ago was >= warning */
	uint32_t alarm_hist; /* bit i: ... was alarm */
	uint8_t votes;       /* in the registers (up to 32) */
	uint8_t filled;      /* of them in the window: min(votes, m) */
	uint8_t at_warn;     /* votes >= warning among the filled ones */
	uint8_t at_alarm;    /* votes == alarm */
	uint8_t n;
	uint8_t m;
	bool changed;
	uint8_t state;       /* enum vmon_decision_state, in a byte: RAM is tight on the M3 */
};

enum bl_event {
	BL_EV_START,  /* learn the next target windows */
	BL_EV_WINDOW, /* one clean window (features, top_normal) */
	BL_EV_CLEAR,  /* forget the learned baseline, abort learning */
	BL_EV_DROP,   /* in-RAM copy dropped before a reload; learning goes on */
	BL_EV_LOADED, /* a valid record was loaded into learned */
};

enum bl_state { BL_NONE, BL_LEARNING, BL_LEARNED };

struct bl_ctx {
	struct smf_ctx smf;
	enum bl_event ev;
	const int32_t *features;
	bool top_normal;
	uint32_t target;
	uint32_t skipped;
	bool persist; /* learning finished: save outside the lock */
	bool learned_valid;
	struct commissioning acc;
	struct baseline learned;
};

/* A window's fault naming (the status repeats the last one). */
struct fault_naming {
	enum vmon_fault fault;
	enum vmon_fault_source source;
	uint16_t confidence_permille;
	uint32_t speed_mhz;
};

static const struct fault_naming no_fault = {
	.fault = VMON_FAULT_NONE,
	.source = VMON_FAULT_SOURCE_NONE,
};

/* The flags first: no padding holes (RAM is tight on the Cortex-M3). */
static struct {
	bool ready;
	bool typing_ready;
	bool zones_overridden;
	struct vmon_decision_config cfg;
	uint32_t feature_hash;
	struct vmon_decision_zones zones;
	struct hyst_ctx hyst;
	struct novelty_mean novelty; /* the vote's last clean novelties */
	struct bl_ctx bl;
	int load_err;
	int save_err;
	int storage_err;
	uint32_t rejected;
	struct fault_naming named; /* the last window's, for the status */
} dec;

/* dec_lock guards dec. It is never held while calling into settings, whose handler
 * (settings_set below) takes it: that would invert the lock order against a thread in
 * settings_load(). save_lock serializes writers and guards tx_buf; order: save -> dec.
 */
static K_MUTEX_DEFINE(dec_lock);
#if defined(CONFIG_VMON_DECISION_SETTINGS)
static K_MUTEX_DEFINE(save_lock);
static uint8_t tx_buf[BASELINE_REC_MAX];
static uint8_t rx_buf[BASELINE_REC_MAX];
#endif

/* ---- hysteresis state machine ---- */

static const struct smf_state hyst_states[];

static void hyst_enter(struct hyst_ctx *h, enum vmon_decision_state s)
{
	h->state = s;
	h->changed = true;
}

static void hyst_normal_entry(void *o)
{
	hyst_enter(o, VMON_DECISION_NORMAL);
}

static void hyst_warning_entry(void *o)
{
	hyst_enter(o, VMON_DECISION_WARNING);
}

static void hyst_alarm_entry(void *o)
{
	hyst_enter(o, VMON_DECISION_ALARM);
}

static void hyst_normal_run(void *o)
{
	struct hyst_ctx *h = o;

	if (h->at_alarm >= h->n) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_ALARM]);
	} else if (h->at_warn >= h->n) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_WARNING]);
	}
}

static void hyst_warning_run(void *o)
{
	struct hyst_ctx *h = o;

	if (h->at_alarm >= h->n) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_ALARM]);
	} else if (h->filled - h->at_warn >= h->n) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_NORMAL]);
	}
}

static void hyst_alarm_run(void *o)
{
	struct hyst_ctx *h = o;

	if (h->filled - h->at_alarm >= h->n) {
		/* Not straight to normal: the votes below alarm may still be warnings. */
		smf_set_state(SMF_CTX(h), &hyst_states[h->filled - h->at_warn >= h->n
								 ? HYST_NORMAL
								 : HYST_WARNING]);
	}
}

static const struct smf_state hyst_states[] = {
	[HYST_NORMAL] = SMF_CREATE_STATE(hyst_normal_entry, hyst_normal_run, NULL, NULL, NULL),
	[HYST_WARNING] = SMF_CREATE_STATE(hyst_warning_entry, hyst_warning_run, NULL, NULL, NULL),
	[HYST_ALARM] = SMF_CREATE_STATE(hyst_alarm_entry, hyst_alarm_run, NULL, NULL, NULL),
};

/* Votes and state dropped; N of M kept. */
static void hyst_reset(struct hyst_ctx *h)
{
	uint8_t n = h->n;
	uint8_t m = h->m;

	memset(h, 0, sizeof(*h));
	h->n = n;
	h->m = m;
	smf_set_initial(SMF_CTX(h), &hyst_states[HYST_NORMAL]);
	h->changed = false;
}

static void hyst_push(struct hyst_ctx *h, enum vmon_decision_state vote)
{
	h->warn_hist = (h->warn_hist << 1) | (vote >= VMON_DECISION_WARNING);
	h->alarm_hist = (h->alarm_hist << 1) | (vote == VMON_DECISION_ALARM);
	h->votes = MIN(h->votes + 1U, VMON_DECISION_HYST_M_MAX);
	h->filled = MIN(h->votes, h->m);

	h->at_warn = 0;
	h->at_alarm = 0;
	for (uint8_t i = 0; i < h->filled; i++) {
		h->at_warn += (h->warn_hist >> i) & 1U;
		h->at_alarm += (h->alarm_hist >> i) & 1U;
	}
	h->changed = false;
	(void)smf_run_state(SMF_CTX(h));
}

static bool typing_on(void)
{
	return IS_ENABLED(CONFIG_VMON_DECISION_TYPING) && dec.typing_ready;
}

/* ---- commissioning state machine ---- */

static const struct smf_state bl_states[];

static void bl_none_entry(void *o)
{
	struct bl_ctx *b = o;

	b->learned_valid = false;
}

static void bl_none_run(void *o)
{
	struct bl_ctx *b = o;

	if (b->ev == BL_EV_START) {
		smf_set_state(SMF_CTX(b), &bl_states[BL_LEARNING]);
	} else if (b->ev == BL_EV_LOADED) {
		smf_set_state(SMF_CTX(b), &bl_states[BL_LEARNED]);
	}
}

static void bl_learning_entry(void *o)
{
	struct bl_ctx *b = o;

	commissioning_reset(&b->acc, dec.cfg.n_features, b->target);
	b->skipped = 0;
	LOG_INF("learning the baseline from %u windows", b->target);
}

static void bl_learning_run(void *o)
{
	struct bl_ctx *b = o;

	switch (b->ev) {
	case BL_EV_WINDOW:
		if (!commissioning_add(&b->acc, b->features, b->top_normal, &b->learned)) {
			break;
		}
		b->learned.feature_hash = dec.feature_hash;
		b->learned_valid = true;
		b->persist = true;
		smf_set_state(SMF_CTX(b), &bl_states[BL_LEARNED]);
		break;
	case BL_EV_START:
		bl_learning_entry(o);
		break;
	case BL_EV_CLEAR:
		smf_set_state(SMF_CTX(b), &bl_states[BL_NONE]);
		break;
	case BL_EV_DROP:
		b->learned_valid = false;
		break;
	default:
		break;
	}
}

static void bl_learned_entry(void *o)
{
	struct bl_ctx *b = o;

	/* A new baseline: novelties and the typing's energy rises are measured against it from
	 * now on. */
	novelty_mean_reset(&dec.novelty);
	if (typing_on()) {
		typing_reset();
	}
	LOG_INF("commissioned: %u windows, novelty threshold %u/256, classifier %s",
		b->learned.n_windows, b->learned.threshold_q8,
		b->learned.classifier_validated ? "validated" : "not validated");
}

static void bl_learned_run(void *o)
{
	struct bl_ctx *b = o;

	if (b->ev == BL_EV_START) {
		smf_set_state(SMF_CTX(b), &bl_states[BL_LEARNING]);
	} else if (b->ev == BL_EV_CLEAR || b->ev == BL_EV_DROP) {
		smf_set_state(SMF_CTX(b), &bl_states[BL_NONE]);
	}
}

static const struct smf_state bl_states[] = {
	[BL_NONE] = SMF_CREATE_STATE(bl_none_entry, bl_none_run, NULL, NULL, NULL),
	[BL_LEARNING] = SMF_CREATE_STATE(bl_learning_entry, bl_learning_run, NULL, NULL, NULL),
	[BL_LEARNED] = SMF_CREATE_STATE(bl_learned_entry, bl_learned_run, NULL, NULL, NULL),
};

static void bl_dispatch(enum bl_event ev, const int32_t *features, bool top_normal)
{
	dec.bl.ev = ev;
	dec.bl.features = features;
	dec.bl.top_normal = top_normal;
	(void)smf_run_state(SMF_CTX(&dec.bl));
	dec.bl.features = NULL;
}

static bool bl_learning(void)
{
	return dec.bl.smf.current == &bl_states[BL_LEARNING];
}

static const struct baseline *active_baseline(void)
{
	return dec.bl.learned_valid ? &dec.bl.learned : NULL;
}

/* ---- persistence ---- */

#if defined(CONFIG_VMON_DECISION_SETTINGS)

static void reject(const char *what, int err)
{
	dec.rejected++;
	LOG_WRN("settings record %s/%s rejected (%d), ignored", SETTINGS_SUBTREE, what, err);
}

static int load_baseline(size_t len, settings_read_cb read_cb, void *cb_arg)
{
	int err;

	if (len > sizeof(rx_buf)) {
		err = -EMSGSIZE;
	} else {
		ssize_t rd = read_cb(cb_arg, rx_buf, len);

		if (rd < 0) {
			err = -EIO;
		} else if ((size_t)rd != len) {
			err = -EMSGSIZE;
		} else {
			err = baseline_decode(rx_buf, len, dec.cfg.n_features, dec.feature_hash,
					      &dec.bl.learned);
		}
	}
	dec.load_err = err;
	if (err != 0) {
		/* A learned copy still in RAM stays valid; init/reload drop it first. */
		reject(KEY_BASELINE, err);
		return 0;
	}
	dec.bl.learned_valid = true;
	bl_dispatch(BL_EV_LOADED, NULL, false);
	return 0;
}

static int load_zones(size_t len, settings_read_cb read_cb, void *cb_arg)
{
	uint8_t raw[ZONES_REC_SIZE];
	struct vmon_decision_zones z;
	ssize_t rd;

	if (len != sizeof(raw)) {
		reject(KEY_ZONES, -EMSGSIZE);
		return 0;
	}
	rd = read_cb(cb_arg, raw, sizeof(raw));
	if (rd != (ssize_t)sizeof(raw)) {
		reject(KEY_ZONES, -EIO);
		return 0;
	}
	z.ab_um_s = sys_get_le32(&raw[0]);
	z.bc_um_s = sys_get_le32(&raw[4]);
	z.cd_um_s = sys_get_le32(&raw[8]);
	if (!(z.ab_um_s > 0 && z.ab_um_s < z.bc_um_s && z.bc_um_s < z.cd_um_s)) {
		reject(KEY_ZONES, -EINVAL);
		return 0;
	}
	dec.zones = z;
	dec.zones_overridden = true;
	return 0;
}

static int load_hyst(size_t len, settings_read_cb read_cb, void *cb_arg)
{
	uint8_t raw[2];

	/* One refusal for every way it can be wrong: the record is 2 bytes. */
	if (len != sizeof(raw) || read_cb(cb_arg, raw, sizeof(raw)) != (ssize_t)sizeof(raw) ||
	    !vmon_decision_hysteresis_valid(raw[0], raw[1])) {
		reject(KEY_HYST, -EBADMSG);
		return 0;
	}
	dec.hyst.n = raw[0];
	dec.hyst.m = raw[1];
	return 0;
}

static int settings_set(const char *key, size_t len, settings_read_cb read_cb, void *cb_arg)
{
	const char *next;
	int rc = -ENOENT;

	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		/* vmon_decision_init() loads the subtree itself once it knows the config. */
		rc = 0;
	} else if (settings_name_steq(key, KEY_BASELINE, &next) && next == NULL) {
		rc = load_baseline(len, read_cb, cb_arg);
	} else if (settings_name_steq(key, KEY_ZONES, &next) && next == NULL) {
		rc = load_zones(len, read_cb, cb_arg);
	} else if (settings_name_steq(key, KEY_HYST, &next) && next == NULL) {
		rc = load_hyst(len, read_cb, cb_arg);
	}
	k_mutex_unlock(&dec_lock);
	return rc;
}

SETTINGS_STATIC_HANDLER_DEFINE(vmon_decision, SETTINGS_SUBTREE, NULL, settings_set, NULL, NULL);

static void baseline_save(void)
{
	size_t len = 0;
	int rc;

	k_mutex_lock(&save_lock, K_FOREVER);
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (dec.bl.learned_valid) {
		len = baseline_encode(&dec.bl.learned, tx_buf, sizeof(tx_buf));
	}
	k_mutex_unlock(&dec_lock);

	/* Cleared in between: nothing to save. No flash write below a safe battery voltage. */
	rc = len > 0 ? vmon_battery_flash_gate() : 0;
	if (len > 0 && rc == 0) {
		rc = settings_save_one(SETTINGS_SUBTREE "/" KEY_BASELINE, tx_buf, len);
	}

	k_mutex_lock(&dec_lock, K_FOREVER);
	dec.save_err = rc;
	/* Refused for the battery: kept in RAM and saved at a window once it allows writes. */
	bool wait = IS_ENABLED(CONFIG_VMON_BATTERY) && rc == VMON_BATTERY_REFUSED;

	dec.bl.persist = dec.bl.persist || (wait && dec.bl.learned_valid);
	k_mutex_unlock(&dec_lock);
	k_mutex_unlock(&save_lock);
	if (wait) {
		LOG_WRN("baseline kept in RAM until the battery allows a flash write");
	} else if (rc != 0) {
		LOG_ERR("baseline not persisted (%d); it is lost at reboot", rc);
	}
}

/* A small record (zones, hysteresis), under save_lock; the error is logged and returned. */
static int save_rec(const char *key, const uint8_t *raw, size_t len)
{
	int rc;

	k_mutex_lock(&save_lock, K_FOREVER);
	/* No flash write below a safe battery voltage: in use now, not persisted. */
	rc = vmon_battery_flash_gate();
	rc = rc != 0 ? rc : settings_save_one(key, raw, len);
	k_mutex_unlock(&save_lock);
	if (rc != 0) {
		LOG_ERR("%s not persisted (%d)", key, rc);
	}
	return rc;
}

static int settings_delete_key(const char *key)
{
	int rc;

	k_mutex_lock(&save_lock, K_FOREVER);
	/* A delete writes flash too: refused below a safe battery voltage (the RAM state is
	 * cleared; the stored record comes back at reboot). */
	rc = vmon_battery_flash_gate();
	rc = rc != 0 ? rc : settings_delete(key);
	k_mutex_unlock(&save_lock);
	if (rc != 0) {
		LOG_ERR("cannot delete %s (%d)", key, rc);
	}
	return rc;
}

static int load_subtree(const char *subtree)
{
	int rc = settings_load_subtree(subtree);

	if (rc != 0) {
		LOG_ERR("settings load of %s failed (%d)", subtree, rc);
	}
	return rc;
}

#else /* !CONFIG_VMON_DECISION_SETTINGS: the learned baseline lives in RAM only */

static void baseline_save(void)
{
}

#endif /* CONFIG_VMON_DECISION_SETTINGS */

/* ---- API ---- */

static bool zones_valid(const struct vmon_decision_zones *z)
{
	return z != NULL && z->ab_um_s > 0 && z->ab_um_s < z->bc_um_s && z->bc_um_s < z->cd_um_s;
}

static bool config_valid(const struct vmon_decision_config *cfg)
{
	if (cfg == NULL || cfg->n_features == 0 || cfg->n_features > VMON_DECISION_FEATURES_MAX ||
	    !(cfg->score_scale > 0.0f) || !isfinite(cfg->score_scale)) {
		return false;
	}
	if (cfg->labels != NULL) {
		if (cfg->n_labels != VMON_LABEL_COUNT) {
			return false;
		}
		for (size_t i = 0; i < VMON_LABEL_COUNT; i++) {
			if (cfg->labels[i] == NULL || strcmp(cfg->labels[i], label_names[i]) != 0) {
				return false;
			}
		}
	}
	return true;
}

void vmon_decision_zones_default(struct vmon_decision_zones *z)
{
	z->ab_um_s = CONFIG_VMON_DECISION_ZONE_AB_UM_S;
	z->bc_um_s = CONFIG_VMON_DECISION_ZONE_BC_UM_S;
	z->cd_um_s = CONFIG_VMON_DECISION_ZONE_CD_UM_S;
}

int vmon_decision_init(const struct vmon_decision_config *cfg)
{
	if (!config_valid(cfg)) {
		LOG_ERR("invalid decision config");
		return -EINVAL;
	}

	k_mutex_lock(&dec_lock, K_FOREVER);
	dec.ready = false;
	dec.cfg = *cfg;
	dec.cfg.labels = NULL; /* checked above; not kept */
	dec.feature_hash = cfg->feature_hash != NULL
				   ? crc32_ieee((const uint8_t *)cfg->feature_hash,
						strlen(cfg->feature_hash))
				   : 0U;
	vmon_decision_zones_default(&dec.zones);
	dec.zones_overridden = false;
	dec.hyst.n = HYST_N;
	dec.hyst.m = HYST_M;
	hyst_reset(&dec.hyst);
	novelty_mean_reset(&dec.novelty);
	dec.named = no_fault;
	dec.typing_ready = false;
	if (IS_ENABLED(CONFIG_VMON_DECISION_TYPING)) {
		/* Without it the node still decides; it names no type from the envelope. */
		dec.typing_ready = typing_init() == 0;
	}
	memset(&dec.bl, 0, sizeof(dec.bl));
	smf_set_initial(SMF_CTX(&dec.bl), &bl_states[BL_NONE]);
	dec.load_err = IS_ENABLED(CONFIG_VMON_DECISION_SETTINGS) ? -ENOENT : -ENOSYS;
	dec.save_err = 0;
	dec.storage_err = 0;
	dec.ready = true;
	k_mutex_unlock(&dec_lock);

#if defined(CONFIG_VMON_DECISION_SETTINGS)
	int rc = settings_subsys_init();

	if (rc == 0) {
		(void)load_subtree(SETTINGS_SUBTREE);
	} else {
		LOG_ERR("no settings storage (%d): the baseline is not persisted", rc);
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	dec.storage_err = rc;
	if (rc != 0) {
		dec.load_err = -EIO;
	}
	k_mutex_unlock(&dec_lock);
#endif
	k_mutex_lock(&dec_lock, K_FOREVER);
	LOG_INF("%u features, zones %u/%u/%u um/s, %d of %d windows, %s (%d)",
		(unsigned int)cfg->n_features, dec.zones.ab_um_s, dec.zones.bc_um_s,
		dec.zones.cd_um_s, dec.hyst.n, dec.hyst.m,
		dec.bl.learned_valid ? "commissioned" : "uncommissioned: only the zones vote",
		dec.load_err);
	k_mutex_unlock(&dec_lock);
	return 0;
}

enum vmon_zone vmon_decision_zone(const struct vmon_decision_zones *z, uint32_t velocity_um_s)
{
	if (velocity_um_s >= z->cd_um_s) {
		return VMON_ZONE_D;
	}
	if (velocity_um_s >= z->bc_um_s) {
		return VMON_ZONE_C;
	}
	if (velocity_um_s >= z->ab_um_s) {
		return VMON_ZONE_B;
	}
	return VMON_ZONE_A;
}

static uint32_t mm_s_to_um_s(float v)
{
	float um = v * 1000.0f + 0.5f;

	return um >= 4294967040.0f ? UINT32_MAX : (uint32_t)um;
}

static enum vmon_decision_state zone_level(enum vmon_zone z)
{
	return z == VMON_ZONE_D ? VMON_DECISION_ALARM
	       : z == VMON_ZONE_C ? VMON_DECISION_WARNING
				  : VMON_DECISION_NORMAL;
}

/* The machine profile the typing reads (vmon.dsp.policy.Machine). */
static void machine_profile(struct typing_machine *m)
{
#if defined(CONFIG_VMON_DECISION_TYPING)
	struct vmon_machine prof;

	vmon_machine_get(&prof);
	*m = (struct typing_machine){
		.has_bearing = prof.has_bearing,
		.n_balls = prof.bearing.n_balls,
		.ball_um = prof.bearing.ball_um,
		.pitch_um = prof.bearing.pitch_um,
		.angle_cdeg = prof.bearing.angle_cdeg,
		.nominal_mhz = prof.nominal_mhz,
	};
#else
	ARG_UNUSED(m);
#endif
}

/* The fault type of a raised state: physics first, a validated classifier with its
 * support, else unknown (Policy.update). */
static void name_fault(struct vmon_decision_output *out, const struct baseline *base)
{
	struct typing_view tv = {.type = 0xff};

	out->fault = VMON_FAULT_NONE;
	out->fault_source = VMON_FAULT_SOURCE_NONE;
	out->fault_confidence_permille = 0;
	out->band_k1 = -1;
	if (typing_on()) {
		typing_view(&tv);
		out->speed_mhz = tv.speed_mhz;
		out->band_k1 = tv.band_k1;
	}
	if (out->state == VMON_DECISION_NORMAL) {
		return;
	}
	out->fault = VMON_FAULT_UNKNOWN;
	if (!typing_on()) {
		return;
	}
	if (tv.have_verdict && tv.type < VMON_TYPING_N_TYPES) {
		/* Fault classes follow the label order, which is the typing's plus "normal". */
		out->fault = (enum vmon_fault)(VMON_FAULT_INNER_RACE + tv.type);
		out->fault_source = VMON_FAULT_SOURCE_PHYSICS;
		out->fault_confidence_permille = tv.confidence_permille;
	} else if (base != NULL && base->classifier_validated &&
		   out->label != VMON_LABEL_NORMAL &&
		   out->confidence_permille >= VMON_DECISION_CLASSIFIER_CONFIDENCE_PERMILLE &&
		   typing_allows((uint8_t)(out->label - VMON_LABEL_INNER_RACE))) {
		out->fault = (enum vmon_fault)out->label;
		out->fault_source = VMON_FAULT_SOURCE_CLASSIFIER;
		out->fault_confidence_permille = out->confidence_permille;
	}
}

/* Top class (lowest index on ties, so normal wins) and its probability in permille. */
static void classify(const int8_t *q, enum vmon_label *label, uint16_t *permille)
{
	uint8_t best = 0;
	float p;

	for (uint8_t i = 1; i < VMON_LABEL_COUNT; i++) {
		if (q[i] > q[best]) {
			best = i;
		}
	}
	p = (float)((int32_t)q[best] - dec.cfg.score_zero_point) * dec.cfg.score_scale * 1000.0f;
	*label = (enum vmon_label)best;
	*permille = p <= 0.0f ? 0U : p >= 1000.0f ? 1000U : (uint16_t)(p + 0.5f);
}

int vmon_decision_update(const struct vmon_decision_input *in, struct vmon_decision_output *out)
{
	const struct baseline *base;
	uint32_t input;
	bool clean;
	bool persist;

	if (in == NULL || out == NULL || !(in->velocity_mm_s >= 0.0f) ||
	    !isfinite(in->velocity_mm_s)) {
		return -EINVAL;
	}

	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	if (in->features != NULL && in->n_features != dec.cfg.n_features) {
		k_mutex_unlock(&dec_lock);
		return -EINVAL;
	}

	memset(out, 0, sizeof(*out));
	out->velocity_um_s = mm_s_to_um_s(in->velocity_mm_s);
	out->zone = vmon_decision_zone(&dec.zones, out->velocity_um_s);
	out->fallback = in->flags & VMON_DECISION_FB_ALL;
	out->label = VMON_LABEL_NORMAL;
	out->novelty_q8 = -1;
	out->novelty_avg_q8 = -1;

	if (in->features == NULL ||
	    !features_in_range(in->features, dec.cfg.n_features)) {
		out->fallback |= VMON_DECISION_FB_INPUT_RANGE;
	}
	if (in->scores == NULL) {
		out->fallback |= VMON_DECISION_FB_MODEL_UNAVAILABLE;
	} else if (in->n_scores != VMON_LABEL_COUNT) {
		out->fallback |= VMON_DECISION_FB_MODEL_INVALID;
	} else {
		/* Reported, and counted by a commissioning; it votes on nothing. */
		classify(in->scores, &out->label, &out->confidence_permille);
	}
	input = out->fallback & VMON_DECISION_FB_INPUT_ANY;
	clean = input == 0;

	/* Commissioning first: the window is learned before it is scored. */
	if (bl_learning()) {
		/* Only clean windows describe the machine; a stuck sensor is not its baseline. */
		if (clean) {
			bl_dispatch(BL_EV_WINDOW, in->features, out->label == VMON_LABEL_NORMAL);
		} else {
			dec.bl.skipped++;
		}
	}

	out->vote = zone_level(out->zone);
	out->causes = out->vote != VMON_DECISION_NORMAL ? VMON_DECISION_CAUSE_ZONE : 0;
	base = active_baseline();
	out->commissioned = base != NULL;
	if (base != NULL) {
		out->threshold_q8 = base->threshold_q8;
	}
	bool raised = false;

	if (base != NULL && clean) {
		uint32_t nov = baseline_novelty_q8(base, in->features);
		uint32_t mean = novelty_mean_push(&dec.novelty, nov);
		enum vmon_decision_state level =
			mean > base->threshold_q8 * VMON_DECISION_ALARM_FACTOR ? VMON_DECISION_ALARM
			: mean > base->threshold_q8			      ? VMON_DECISION_WARNING
									      : VMON_DECISION_NORMAL;

		raised = mean > base->threshold_q8;
		out->novelty_q8 = (int32_t)nov;
		out->novelty_avg_q8 = (int32_t)mean;
		out->vote = MAX(out->vote, level);
		out->causes |= level != VMON_DECISION_NORMAL ? VMON_DECISION_CAUSE_NOVELTY : 0;
	}

	hyst_push(&dec.hyst, out->vote);
	out->state = dec.hyst.state;
	out->changed = dec.hyst.changed;
	if (typing_on()) {
		if (!clean || in->after_gap || in->spectrum == NULL) {
			typing_gap();
		}
		if (base != NULL && clean && in->spectrum != NULL) {
			struct typing_machine m;

			machine_profile(&m);
			typing_update(in->spectrum, raised, out->state == VMON_DECISION_NORMAL,
				      base, in->features, &m);
		}
	}
	name_fault(out, base);
	dec.named = (struct fault_naming){
		.fault = out->fault,
		.source = out->fault_source,
		.confidence_permille = out->fault_confidence_permille,
		.speed_mhz = out->speed_mhz,
	};
	if (out->changed) {
		LOG_INF("state %s (fault %s, zone %s, mean novelty %d/%u, fallback 0x%x)",
			vmon_decision_state_str(out->state), vmon_fault_str(out->fault),
			vmon_zone_str(out->zone), out->novelty_avg_q8, out->threshold_q8,
			out->fallback);
	}

	/* A baseline the battery refused waits, unsaved, until writes are allowed again. */
	persist = dec.bl.persist && (!IS_ENABLED(CONFIG_VMON_BATTERY) ||
				     dec.save_err != VMON_BATTERY_REFUSED ||
				     vmon_battery_flash_write_ok());
	dec.bl.persist = dec.bl.persist && !persist;
	k_mutex_unlock(&dec_lock);

	if (persist) {
		baseline_save();
	}
	return 0;
}

int vmon_decision_reset(void)
{
	k_mutex_lock(&dec_lock, K_FOREVER);
	hyst_reset(&dec.hyst);
	novelty_mean_reset(&dec.novelty);
	dec.named = no_fault;
	if (typing_on()) {
		typing_reset_run();
	}
	k_mutex_unlock(&dec_lock);
	return 0;
}

int vmon_decision_get_status(struct vmon_decision_status *st)
{
	if (st == NULL) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	*st = (struct vmon_decision_status){
		.state = dec.hyst.state,
		.fault = dec.named.fault,
		.fault_source = dec.named.source,
		.fault_confidence_permille = dec.named.confidence_permille,
		.speed_mhz = dec.named.speed_mhz,
		.typing = typing_on(),
		.commissioned = dec.bl.learned_valid,
		.learning = bl_learning(),
		.learn_done = bl_learning() ? dec.bl.acc.count : 0,
		.learn_target = bl_learning() ? dec.bl.target : 0,
		.learn_skipped = dec.bl.skipped,
		.learned_windows = dec.bl.learned_valid ? dec.bl.learned.n_windows : 0,
		.threshold_q8 = dec.bl.learned_valid ? dec.bl.learned.threshold_q8 : 0,
		.classifier_validated = dec.bl.learned_valid && dec.bl.learned.classifier_validated,
		.load_err = dec.load_err,
		.save_err = dec.save_err,
		.storage_err = dec.storage_err,
		.records_rejected = dec.rejected,
		.zones = dec.zones,
		.zones_overridden = dec.zones_overridden,
		.hyst_n = dec.hyst.n,
		.hyst_m = dec.hyst.m,
	};
	k_mutex_unlock(&dec_lock);
	return 0;
}

int vmon_decision_zones_set(const struct vmon_decision_zones *z)
{
	if (!zones_valid(z)) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	dec.zones = *z;
	dec.zones_overridden = true;
	k_mutex_unlock(&dec_lock);

#if defined(CONFIG_VMON_DECISION_SETTINGS)
	uint8_t raw[ZONES_REC_SIZE];

	sys_put_le32(z->ab_um_s, &raw[0]);
	sys_put_le32(z->bc_um_s, &raw[4]);
	sys_put_le32(z->cd_um_s, &raw[8]);
	return save_rec(SETTINGS_SUBTREE "/" KEY_ZONES, raw, sizeof(raw));
#else
	return 0;
#endif
}

bool vmon_decision_hysteresis_valid(uint32_t n, uint32_t m)
{
	/* n >= 1 follows: 2n > m >= n. */
	return n <= m && m <= VMON_DECISION_HYST_M_MAX && 2U * n > m;
}

int vmon_decision_hysteresis_set(uint8_t n, uint8_t m)
{
	if (!vmon_decision_hysteresis_valid(n, m)) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	dec.hyst.n = n;
	dec.hyst.m = m;
	k_mutex_unlock(&dec_lock);

#if defined(CONFIG_VMON_DECISION_SETTINGS)
	const uint8_t raw[2] = {n, m};

	return save_rec(SETTINGS_SUBTREE "/" KEY_HYST, raw, sizeof(raw));
#else
	return 0;
#endif
}

int vmon_decision_zones_reset(void)
{
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	vmon_decision_zones_default(&dec.zones);
	dec.zones_overridden = false;
	k_mutex_unlock(&dec_lock);

#if defined(CONFIG_VMON_DECISION_SETTINGS)
	return settings_delete_key(SETTINGS_SUBTREE "/" KEY_ZONES);
#else
	return 0;
#endif
}

/* The baseline for a vector of n features; dec_lock held. */
static int baseline_locked(size_t n, const struct baseline **base)
{
	if (!dec.ready) {
		return -EAGAIN;
	}
	if (n != dec.cfg.n_features) {
		return -EINVAL;
	}
	*base = active_baseline();
	return *base != NULL ? 0 : -ENODATA;
}

int vmon_decision_novelty(const int32_t *features, size_t n, int32_t *novelty_q8)
{
	const struct baseline *base;
	int rc;

	if (features == NULL || novelty_q8 == NULL || !features_in_range(features, n)) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	rc = baseline_locked(n, &base);
	if (rc == 0) {
		*novelty_q8 = (int32_t)baseline_novelty_q8(base, features);
	}
	k_mutex_unlock(&dec_lock);
	return rc;
}

int vmon_decision_baseline_learn(uint32_t n_windows)
{
	if (n_windows == 0) {
		n_windows = CONFIG_VMON_DECISION_BASELINE_WINDOWS;
	}
	if (n_windows < VMON_DECISION_COMMISSION_MIN ||
	    n_windows > CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	dec.bl.target = n_windows;
	bl_dispatch(BL_EV_START, NULL, false);
	k_mutex_unlock(&dec_lock);
	return 0;
}

int vmon_decision_baseline_clear(void)
{
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	bl_dispatch(BL_EV_CLEAR, NULL, false);
	k_mutex_unlock(&dec_lock);
	LOG_INF("baseline cleared: uncommissioned, only the zones vote");

#if defined(CONFIG_VMON_DECISION_SETTINGS)
	return settings_delete_key(SETTINGS_SUBTREE "/" KEY_BASELINE);
#else
	return 0;
#endif
}

int vmon_decision_baseline_reload(void)
{
	int rc;

	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	bl_dispatch(BL_EV_DROP, NULL, false);
	dec.load_err = IS_ENABLED(CONFIG_VMON_DECISION_SETTINGS) ? -ENOENT : -ENOSYS;
	k_mutex_unlock(&dec_lock);

#if defined(CONFIG_VMON_DECISION_SETTINGS)
	rc = load_subtree(SETTINGS_SUBTREE "/" KEY_BASELINE);
	if (rc != 0) {
		k_mutex_lock(&dec_lock, K_FOREVER);
		dec.load_err = -EIO;
		k_mutex_unlock(&dec_lock);
	}
#endif
	k_mutex_lock(&dec_lock, K_FOREVER);
	rc = dec.load_err;
	k_mutex_unlock(&dec_lock);
	return rc;
}

int vmon_decision_baseline_get(int32_t *mean_q8, uint32_t *var, size_t n)
{
	const struct baseline *base;
	int rc;

	if (mean_q8 == NULL || var == NULL) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	rc = baseline_locked(n, &base);
	if (rc == 0) {
		const int64_t w = base->n_windows;

		for (size_t i = 0; i < n; i++) {
			/* Floor division, as Python's //. */
			int64_t m = base->s[i] / w;

			mean_q8[i] = (int32_t)(m * w > base->s[i] ? m - 1 : m);
			var[i] = (uint32_t)(base->d[i] / (w * w));
		}
	}
	k_mutex_unlock(&dec_lock);
	return rc;
}

const char *vmon_decision_state_str(enum vmon_decision_state s)
{
	static const char *const names[] = {"normal", "warning", "alarm"};

	return (size_t)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *vmon_fault_str(enum vmon_fault f)
{
	static const char *const names[] = {"none", "inner_race", "ball", "outer_race",
					    "unknown"};

	return (size_t)f < ARRAY_SIZE(names) ? names[f] : "?";
}

const char *vmon_zone_str(enum vmon_zone z)
{
	static const char *const names[] = {"A", "B", "C", "D"};

	return (size_t)z < ARRAY_SIZE(names) ? names[z] : "?";
}

const char *vmon_fault_source_str(enum vmon_fault_source s)
{
	static const char *const names[] = {"", "physics", "classifier"};

	return (size_t)s < ARRAY_SIZE(names) ? names[s] : "?";
}

const char *vmon_label_str(enum vmon_label l)
{
	return (size_t)l < ARRAY_SIZE(label_names) ? label_names[l] : "?";
}
