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
#include "decision.h"

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
BUILD_ASSERT(HYST_M <= UINT8_MAX, "vote counters are uint8_t");
BUILD_ASSERT(CONFIG_VMON_DECISION_ZONE_AB_UM_S > 0 &&
		     CONFIG_VMON_DECISION_ZONE_AB_UM_S < CONFIG_VMON_DECISION_ZONE_BC_UM_S &&
		     CONFIG_VMON_DECISION_ZONE_BC_UM_S < CONFIG_VMON_DECISION_ZONE_CD_UM_S,
	     "zone boundaries must increase");
BUILD_ASSERT(CONFIG_VMON_DECISION_FAULT_CONFIDENCE_PERMILLE <= 1000, "a probability");
BUILD_ASSERT(CONFIG_VMON_DECISION_BASELINE_WINDOWS >= 2 &&
		     CONFIG_VMON_DECISION_BASELINE_WINDOWS <=
			     CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX,
	     "a variance needs two windows");

#define SETTINGS_SUBTREE "vmon/dec"
#define KEY_BASELINE     "bl"
#define KEY_ZONES        "zones"
#define ZONES_REC_SIZE   (3 * sizeof(uint32_t))

static const char *const label_names[VMON_LABEL_COUNT] = {
	[VMON_LABEL_NORMAL] = "normal",
	[VMON_LABEL_INNER_RACE] = "inner_race",
	[VMON_LABEL_BALL] = "ball",
	[VMON_LABEL_OUTER_RACE] = "outer_race",
};

/* ---- state ---- */

enum hyst_state { HYST_NORMAL, HYST_WARNING, HYST_ALARM };

struct hyst_ctx {
	struct smf_ctx smf; /* first: SMF_CTX() casts */
	uint8_t vote[HYST_M];
	uint8_t fault[HYST_M]; /* classified fault of the window, VMON_FAULT_NONE if none */
	uint8_t head;
	uint8_t filled;
	uint8_t at_warn;  /* votes >= warning among the filled ones */
	uint8_t at_alarm; /* votes == alarm */
	enum vmon_decision_state state;
	bool changed;
};

enum bl_event {
	BL_EV_START,  /* learn the next target windows */
	BL_EV_WINDOW, /* one clean window (features) */
	BL_EV_CLEAR,  /* forget the learned baseline, abort learning */
	BL_EV_DROP,   /* in-RAM copy dropped before a reload; learning goes on */
	BL_EV_LOADED, /* a valid record was loaded into learned */
};

enum bl_state { BL_SHIPPED, BL_LEARNING, BL_LEARNED };

struct bl_ctx {
	struct smf_ctx smf;
	enum bl_event ev;
	const int32_t *features;
	uint32_t target;
	uint32_t skipped;
	bool persist; /* learning finished: save outside the lock */
	bool learned_valid;
	struct welford acc;
	struct baseline learned;
};

static struct {
	bool ready;
	struct vmon_decision_config cfg;
	uint32_t feature_hash;
	struct vmon_decision_zones zones;
	bool zones_overridden;
	struct hyst_ctx hyst;
	struct bl_ctx bl;
	int load_err;
	int save_err;
	int storage_err;
	uint32_t rejected;
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

	if (h->at_alarm >= HYST_N) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_ALARM]);
	} else if (h->at_warn >= HYST_N) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_WARNING]);
	}
}

static void hyst_warning_run(void *o)
{
	struct hyst_ctx *h = o;

	if (h->at_alarm >= HYST_N) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_ALARM]);
	} else if (h->filled - h->at_warn >= HYST_N) {
		smf_set_state(SMF_CTX(h), &hyst_states[HYST_NORMAL]);
	}
}

static void hyst_alarm_run(void *o)
{
	struct hyst_ctx *h = o;

	if (h->filled - h->at_alarm >= HYST_N) {
		/* Not straight to normal: the votes below alarm may still be warnings. */
		smf_set_state(SMF_CTX(h), &hyst_states[h->filled - h->at_warn >= HYST_N
								 ? HYST_NORMAL
								 : HYST_WARNING]);
	}
}

static const struct smf_state hyst_states[] = {
	[HYST_NORMAL] = SMF_CREATE_STATE(hyst_normal_entry, hyst_normal_run, NULL, NULL, NULL),
	[HYST_WARNING] = SMF_CREATE_STATE(hyst_warning_entry, hyst_warning_run, NULL, NULL, NULL),
	[HYST_ALARM] = SMF_CREATE_STATE(hyst_alarm_entry, hyst_alarm_run, NULL, NULL, NULL),
};

static void hyst_reset(struct hyst_ctx *h)
{
	memset(h, 0, sizeof(*h));
	smf_set_initial(SMF_CTX(h), &hyst_states[HYST_NORMAL]);
	h->changed = false;
}

static void hyst_push(struct hyst_ctx *h, enum vmon_decision_state vote, enum vmon_fault fault)
{
	h->vote[h->head] = (uint8_t)vote;
	h->fault[h->head] = (uint8_t)fault;
	h->head = (h->head + 1U) % HYST_M;
	h->filled = MIN(h->filled + 1U, HYST_M);

	h->at_warn = 0;
	h->at_alarm = 0;
	for (uint8_t i = 0; i < h->filled; i++) {
		h->at_warn += h->vote[i] >= VMON_DECISION_WARNING;
		h->at_alarm += h->vote[i] == VMON_DECISION_ALARM;
	}
	h->changed = false;
	(void)smf_run_state(SMF_CTX(h));
}

/* Most frequent classified fault among the raised windows; ties go to the most recent. */
static enum vmon_fault hyst_fault(const struct hyst_ctx *h)
{
	uint8_t count[VMON_LABEL_COUNT] = {0};
	uint8_t age[VMON_LABEL_COUNT];
	enum vmon_fault best = VMON_FAULT_UNKNOWN;

	if (h->state == VMON_DECISION_NORMAL) {
		return VMON_FAULT_NONE;
	}
	memset(age, UINT8_MAX, sizeof(age));
	for (uint8_t a = 0; a < h->filled; a++) {
		uint8_t i = (h->head + HYST_M - 1U - a) % HYST_M; /* a = 0: newest */
		uint8_t f = h->fault[i];

		if (h->vote[i] >= VMON_DECISION_WARNING && f != VMON_FAULT_NONE) {
			count[f]++;
			age[f] = MIN(age[f], a);
		}
	}
	for (uint8_t f = VMON_FAULT_INNER_RACE; f < VMON_LABEL_COUNT; f++) {
		if (count[f] == 0) {
			continue;
		}
		if (best == VMON_FAULT_UNKNOWN || count[f] > count[best] ||
		    (count[f] == count[best] && age[f] < age[best])) {
			best = (enum vmon_fault)f;
		}
	}
	return best;
}

/* ---- commissioning state machine ---- */

static const struct smf_state bl_states[];

static void bl_shipped_entry(void *o)
{
	struct bl_ctx *b = o;

	b->learned_valid = false;
}

static void bl_shipped_run(void *o)
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

	welford_reset(&b->acc, dec.cfg.n_features);
	b->skipped = 0;
	LOG_INF("learning the baseline from %u windows", b->target);
}

static void bl_learning_run(void *o)
{
	struct bl_ctx *b = o;

	switch (b->ev) {
	case BL_EV_WINDOW:
		welford_add(&b->acc, b->features);
		if (b->acc.count < b->target) {
			break;
		}
		welford_result(&b->acc, b->learned.mean, b->learned.var);
		b->learned.n_features = dec.cfg.n_features;
		b->learned.n_windows = b->acc.count;
		b->learned.feature_hash = dec.feature_hash;
		b->learned_valid = true;
		b->persist = true;
		smf_set_state(SMF_CTX(b), &bl_states[BL_LEARNED]);
		break;
	case BL_EV_START:
		bl_learning_entry(o);
		break;
	case BL_EV_CLEAR:
		smf_set_state(SMF_CTX(b), &bl_states[BL_SHIPPED]);
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

	LOG_INF("using the learned baseline (%u windows)", b->learned.n_windows);
}

static void bl_learned_run(void *o)
{
	struct bl_ctx *b = o;

	if (b->ev == BL_EV_START) {
		smf_set_state(SMF_CTX(b), &bl_states[BL_LEARNING]);
	} else if (b->ev == BL_EV_CLEAR || b->ev == BL_EV_DROP) {
		smf_set_state(SMF_CTX(b), &bl_states[BL_SHIPPED]);
	}
}

static const struct smf_state bl_states[] = {
	[BL_SHIPPED] = SMF_CREATE_STATE(bl_shipped_entry, bl_shipped_run, NULL, NULL, NULL),
	[BL_LEARNING] = SMF_CREATE_STATE(bl_learning_entry, bl_learning_run, NULL, NULL, NULL),
	[BL_LEARNED] = SMF_CREATE_STATE(bl_learned_entry, bl_learned_run, NULL, NULL, NULL),
};

static void bl_dispatch(enum bl_event ev, const int32_t *features)
{
	dec.bl.ev = ev;
	dec.bl.features = features;
	(void)smf_run_state(SMF_CTX(&dec.bl));
	dec.bl.features = NULL;
}

static bool bl_learning(void)
{
	return dec.bl.smf.current == &bl_states[BL_LEARNING];
}

static bool active_baseline(const float **mean, const float **var, bool *learned)
{
	if (dec.bl.learned_valid) {
		*mean = dec.bl.learned.mean;
		*var = dec.bl.learned.var;
		*learned = true;
		return true;
	}
	*mean = dec.cfg.shipped_mean;
	*var = dec.cfg.shipped_var;
	*learned = false;
	return *mean != NULL;
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
	bl_dispatch(BL_EV_LOADED, NULL);
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

	/* Cleared in between: nothing to save. */
	rc = len > 0 ? settings_save_one(SETTINGS_SUBTREE "/" KEY_BASELINE, tx_buf, len) : 0;

	k_mutex_lock(&dec_lock, K_FOREVER);
	dec.save_err = rc;
	k_mutex_unlock(&dec_lock);
	k_mutex_unlock(&save_lock);
	if (rc != 0) {
		LOG_ERR("baseline not persisted (%d); it is lost at reboot", rc);
	}
}

static int settings_delete_key(const char *key)
{
	int rc;

	k_mutex_lock(&save_lock, K_FOREVER);
	rc = settings_delete(key);
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
	    (cfg->shipped_mean == NULL) != (cfg->shipped_var == NULL) ||
	    !(cfg->novelty_threshold > 0.0f) || !isfinite(cfg->novelty_threshold) ||
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
	hyst_reset(&dec.hyst);
	memset(&dec.bl, 0, sizeof(dec.bl));
	smf_set_initial(SMF_CTX(&dec.bl), &bl_states[BL_SHIPPED]);
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
	LOG_INF("%u features, zones %u/%u/%u um/s, %d of %d windows, baseline %s (%d)",
		(unsigned int)cfg->n_features, dec.zones.ab_um_s, dec.zones.bc_um_s,
		dec.zones.cd_um_s, HYST_N, HYST_M,
		dec.bl.learned_valid ? "learned" : (cfg->shipped_mean ? "shipped" : "none"),
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
	const float *mean;
	const float *var;
	bool learned;
	bool persist;
	bool class_fault = false;

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
	out->novelty = NAN;

	if (in->scores == NULL) {
		out->fallback |= VMON_DECISION_FB_MODEL_UNAVAILABLE;
	} else if (in->n_scores != VMON_LABEL_COUNT) {
		out->fallback |= VMON_DECISION_FB_MODEL_INVALID;
	} else {
		/* Reported in fallback too, for the log; it only votes on the model path. */
		classify(in->scores, &out->label, &out->confidence_permille);
	}
	if (in->features != NULL && active_baseline(&mean, &var, &learned)) {
		out->novelty = novelty_score(mean, var, in->features, dec.cfg.n_features);
		out->novelty_from_learned = learned;
	}

	out->vote = zone_level(out->zone);
	out->causes = out->vote != VMON_DECISION_NORMAL ? VMON_DECISION_CAUSE_ZONE : 0;
	if (out->fallback == 0) {
		bool novel = out->novelty > dec.cfg.novelty_threshold; /* false for NAN */
		enum vmon_decision_state model;

		class_fault = out->label != VMON_LABEL_NORMAL &&
			      out->confidence_permille >= CONFIG_VMON_DECISION_FAULT_CONFIDENCE_PERMILLE;
		model = class_fault && novel   ? VMON_DECISION_ALARM
			: class_fault || novel ? VMON_DECISION_WARNING
					       : VMON_DECISION_NORMAL;
		out->vote = MAX(out->vote, model);
		out->causes |= (class_fault ? VMON_DECISION_CAUSE_CLASS : 0) |
			       (novel ? VMON_DECISION_CAUSE_NOVELTY : 0);
	}

	hyst_push(&dec.hyst, out->vote,
		  class_fault ? (enum vmon_fault)out->label : VMON_FAULT_NONE);
	out->state = dec.hyst.state;
	out->changed = dec.hyst.changed;
	out->fault = hyst_fault(&dec.hyst);
	if (out->changed) {
		LOG_INF("state %s (fault %s, zone %s, fallback 0x%x)",
			vmon_decision_state_str(out->state), vmon_fault_str(out->fault),
			vmon_zone_str(out->zone), out->fallback);
	}

	if (bl_learning()) {
		/* Only clean windows describe the machine; a stuck sensor is not its baseline. */
		if (in->features != NULL && (in->flags & VMON_DECISION_FB_INPUT_ANY) == 0) {
			bl_dispatch(BL_EV_WINDOW, in->features);
		} else {
			dec.bl.skipped++;
		}
	}
	persist = dec.bl.persist;
	dec.bl.persist = false;
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
		.fault = hyst_fault(&dec.hyst),
		.baseline = dec.bl.learned_valid    ? VMON_BASELINE_LEARNED
			    : dec.cfg.shipped_mean ? VMON_BASELINE_SHIPPED
						   : VMON_BASELINE_NONE,
		.learning = bl_learning(),
		.learn_done = bl_learning() ? dec.bl.acc.count : 0,
		.learn_target = bl_learning() ? dec.bl.target : 0,
		.learn_skipped = dec.bl.skipped,
		.learned_windows = dec.bl.learned_valid ? dec.bl.learned.n_windows : 0,
		.load_err = dec.load_err,
		.save_err = dec.save_err,
		.storage_err = dec.storage_err,
		.records_rejected = dec.rejected,
		.zones = dec.zones,
		.zones_overridden = dec.zones_overridden,
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
	int rc;

	sys_put_le32(z->ab_um_s, &raw[0]);
	sys_put_le32(z->bc_um_s, &raw[4]);
	sys_put_le32(z->cd_um_s, &raw[8]);
	k_mutex_lock(&save_lock, K_FOREVER);
	rc = settings_save_one(SETTINGS_SUBTREE "/" KEY_ZONES, raw, sizeof(raw));
	k_mutex_unlock(&save_lock);
	if (rc != 0) {
		LOG_ERR("zones not persisted (%d)", rc);
	}
	return rc;
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

/* The baseline in use for a vector of n features; dec_lock held. */
static int baseline_locked(size_t n, const float **mean, const float **var, bool *learned)
{
	if (!dec.ready) {
		return -EAGAIN;
	}
	if (n != dec.cfg.n_features) {
		return -EINVAL;
	}
	return active_baseline(mean, var, learned) ? 0 : -ENODATA;
}

int vmon_decision_novelty(const int32_t *features, size_t n, float *score)
{
	const float *mean;
	const float *var;
	bool learned;
	int rc;

	if (features == NULL || score == NULL) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	rc = baseline_locked(n, &mean, &var, &learned);
	if (rc == 0) {
		*score = novelty_score(mean, var, features, n);
	}
	k_mutex_unlock(&dec_lock);
	return rc;
}

int vmon_decision_baseline_learn(uint32_t n_windows)
{
	if (n_windows == 0) {
		n_windows = CONFIG_VMON_DECISION_BASELINE_WINDOWS;
	}
	if (n_windows < 2 || n_windows > CONFIG_VMON_DECISION_BASELINE_WINDOWS_MAX) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	if (!dec.ready) {
		k_mutex_unlock(&dec_lock);
		return -EAGAIN;
	}
	dec.bl.target = n_windows;
	bl_dispatch(BL_EV_START, NULL);
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
	bl_dispatch(BL_EV_CLEAR, NULL);
	k_mutex_unlock(&dec_lock);
	LOG_INF("learned baseline cleared");

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
	bl_dispatch(BL_EV_DROP, NULL);
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

int vmon_decision_baseline_get(float *mean, float *var, size_t n,
			       enum vmon_baseline_source *source)
{
	const float *m;
	const float *v;
	bool learned;
	int rc;

	if (mean == NULL || var == NULL) {
		return -EINVAL;
	}
	k_mutex_lock(&dec_lock, K_FOREVER);
	rc = baseline_locked(n, &m, &v, &learned);
	if (rc == 0) {
		memcpy(mean, m, n * sizeof(float));
		memcpy(var, v, n * sizeof(float));
		if (source != NULL) {
			*source = learned ? VMON_BASELINE_LEARNED : VMON_BASELINE_SHIPPED;
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

const char *vmon_label_str(enum vmon_label l)
{
	return (size_t)l < ARRAY_SIZE(label_names) ? label_names[l] : "?";
}
