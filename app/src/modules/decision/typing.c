/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Physics fault typing on the device, window by window as vmon.dsp.policy.Policy._type.
 * The state is the typing's RAM: two overlap-add tails and two int16 rings (~3.7 KB);
 * the inverse FFTs and spectra run in the feature pipeline's work buffers.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/sys/util.h>

#include <arm_math.h>

#include <vmon/envelope.h>
#include <vmon/features.h>
#include <vmon_feature_config.h>

#include "typing.h"

LOG_MODULE_REGISTER(vmon_typing, CONFIG_VMON_DECISION_LOG_LEVEL);

#define N_BANDS    VMON_FEAT_N_BANDS
#define ENV_BLOCK  (VMON_ENV_DECIM / 2)
#define SPD_BLOCK  (VMON_ENV_SPEED_DECIM / 2)

BUILD_ASSERT(N_BANDS <= VMON_DECISION_FEATURES_MAX, "the band energies are features");
BUILD_ASSERT(VMON_TYPING_N_TYPES == VMON_ENV_N_TYPES && VMON_ENV_UNKNOWN == VMON_ENV_N_TYPES,
	     "typing.h mirrors the kernel's types");
BUILD_ASSERT(VMON_TYPING_VERDICTS_AGREE <= VMON_TYPING_VERDICTS_KEPT, "a vote can be won");
/* The envelope magnitudes are written after the baseband samples in the same buffer. */
BUILD_ASSERT(2 * VMON_ENV_DECIM + ENV_BLOCK <= VMON_FEAT_WINDOW, "work buffer holds both");

struct period_verdict {
	uint8_t type;
	uint16_t confidence_permille;
	int32_t scores_q8[VMON_ENV_N_TYPES];
};

static struct {
	struct vmon_env_demod env;
	struct vmon_env_demod spd;
	struct vmon_env_ring env_ring;
	struct vmon_env_ring spd_ring;
	int32_t zsum[N_BANDS];
	uint32_t period;
	struct period_verdict kept[VMON_TYPING_VERDICTS_KEPT];
	uint8_t n_kept;
	struct period_verdict voted;
	bool have_verdict;
	uint32_t speed_mhz;
	int16_t band_k1;
} ty;

static int32_t env_tail[VMON_ENV_DECIM];
static int32_t spd_tail[SPD_BLOCK]; /* only the real parts are read */
static int16_t env_mant[VMON_ENV_LEN];
static uint8_t env_shift[VMON_ENV_LEN / ENV_BLOCK];
static int16_t spd_mant[VMON_ENV_SPEED_RING];
static uint8_t spd_shift[VMON_ENV_SPEED_RING / SPD_BLOCK];

int typing_init(void)
{
	int err = vmon_env_demod_init(&ty.env, VMON_ENV_DECIM, VMON_ENV_BAND, env_tail,
				      ARRAY_SIZE(env_tail));

	err = err ?: vmon_env_demod_init(&ty.spd, VMON_ENV_SPEED_DECIM, VMON_ENV_SPEED_BAND,
					 spd_tail, ARRAY_SIZE(spd_tail));
	err = err ?: vmon_env_ring_init(&ty.env_ring, env_mant, env_shift, VMON_ENV_LEN,
					ENV_BLOCK);
	err = err ?: vmon_env_ring_init(&ty.spd_ring, spd_mant, spd_shift, VMON_ENV_SPEED_RING,
					SPD_BLOCK);
	if (err != 0) {
		LOG_ERR("typing set-up failed (%d)", err);
		return err;
	}
	typing_reset_run();
	return 0;
}

void typing_reset(void)
{
	ty.band_k1 = -1;
	vmon_env_demod_reset(&ty.env);
	vmon_env_ring_reset(&ty.env_ring);
	memset(ty.zsum, 0, sizeof(ty.zsum));
	ty.period = 0;
	ty.n_kept = 0;
	ty.have_verdict = false;
}

void typing_gap(void)
{
	/* The overlap-add and the rings would stitch two stretches of signal into one. */
	vmon_env_demod_reset(&ty.env);
	vmon_env_ring_reset(&ty.env_ring);
	vmon_env_demod_reset(&ty.spd);
	vmon_env_ring_reset(&ty.spd_ring);
}

void typing_reset_run(void)
{
	typing_reset();
	vmon_env_demod_reset(&ty.spd);
	vmon_env_ring_reset(&ty.spd_ring);
	ty.speed_mhz = 0;
}

static bool machine_bearing(const struct typing_machine *m, struct vmon_env_bearing *b)
{
	*b = (struct vmon_env_bearing){m->n_balls, m->ball_um, m->pitch_um, m->angle_cdeg};
	return m->has_bearing;
}

/* Policy._speed: the nominal rate, or the speed spectrum's estimate around it. */
static uint32_t estimate_speed(const struct typing_machine *m)
{
	int32_t *in;
	int32_t *out;
	uint32_t lo = VMON_ENV_SPEED_MIN_MHZ;
	uint32_t hi = VMON_ENV_SPEED_MAX_MHZ;

	if (!vmon_env_ring_full(&ty.spd_ring) || vmon_features_rfft_scratch(&in, &out) != 0 ||
	    vmon_env_spectrum(&ty.spd_ring, in) != 0) {
		return m->nominal_mhz;
	}
	if (m->nominal_mhz != 0U) {
		const uint32_t dev = m->nominal_mhz * VMON_ENV_SPEED_SEARCH_PERMILLE / 1000U;

		lo = m->nominal_mhz - dev;
		hi = m->nominal_mhz + dev;
	}
	/* The spectrum is in `in`; `out` (free again after the FFT) takes the levels. */
	const int32_t b = vmon_env_estimate_speed_bin_q8(in, VMON_ENV_SPEED_LEN / 2,
							 (int32_t)vmon_env_speed_bin_q8(lo),
							 (int32_t)vmon_env_speed_bin_q8(hi), out);

	return (b < 0) ? m->nominal_mhz : vmon_env_speed_mhz((uint32_t)b);
}

/*
 * Policy._band_ranking: start bins of candidate bands, best first, around each feature band
 * whose energy rose, above every line the typing reads and above fs/8.
 */
static size_t band_ranking(const struct typing_machine *m, int16_t out[VMON_TYPING_BANDS_TRIED])
{
	uint64_t f_top = 0;
	uint32_t defects[VMON_ENV_N_TYPES];
	struct vmon_env_bearing bearing;
	bool used[N_BANDS] = {false};
	size_t n = 0;

	if (machine_bearing(m, &bearing) && ty.speed_mhz != 0U &&
	    vmon_env_defects_mhz(&bearing, ty.speed_mhz, defects) == 0) {
		const uint32_t top = MAX(defects[0], MAX(defects[1], defects[2]));

		f_top = (uint64_t)VMON_ENV_HARMONICS * top + ty.speed_mhz;
	}
	const int32_t k_min =
		MAX((int32_t)(f_top * VMON_FEAT_WINDOW / ((uint64_t)VMON_FEAT_FS_HZ * 1000U)) + 1,
		    VMON_FEAT_WINDOW / 16);
	const int32_t k_max = vmon_feat_band_edges[N_BANDS];

	while (n < VMON_TYPING_BANDS_TRIED) {
		int best = -1;

		/* Highest rise first; ties to the lower band (a stable sort on -zsum). */
		for (int b = 0; b < N_BANDS; b++) {
			if (!used[b] && ty.zsum[b] > 0 && (best < 0 || ty.zsum[b] > ty.zsum[best])) {
				best = b;
			}
		}
		if (best < 0) {
			break;
		}
		used[best] = true;
		const int32_t centre =
			((int32_t)vmon_feat_band_edges[best] + vmon_feat_band_edges[best + 1]) / 2;

		if (centre - VMON_ENV_BAND / 2 < k_min || centre + VMON_ENV_BAND / 2 > k_max) {
			continue;
		}
		const int16_t k1 = (int16_t)MAX((centre - VMON_ENV_BAND / 2) & ~1, 2);
		bool distinct = true;

		for (size_t i = 0; i < n; i++) {
			distinct = distinct && (k1 > out[i] ? k1 - out[i] : out[i] - k1) >=
						       VMON_ENV_BAND / 2;
		}
		if (distinct) {
			out[n++] = k1;
		}
	}
	return n;
}

/* Policy._next_band: this period's band from the rise since the last choice. */
static int16_t next_band(const struct typing_machine *m)
{
	int16_t ranking[VMON_TYPING_BANDS_TRIED];
	const size_t n = band_ranking(m, ranking);

	memset(ty.zsum, 0, sizeof(ty.zsum));
	return (n == 0U) ? -1 : ranking[ty.period % n];
}

/* vote_verdicts: the type named by VERDICTS_AGREE of the kept verdicts, else unknown. */
static void vote(void)
{
	const struct period_verdict *last = &ty.kept[ty.n_kept - 1];

	for (uint8_t t = 0; t < VMON_ENV_N_TYPES; t++) {
		uint32_t agree = 0;
		uint32_t conf = 0;
		const struct period_verdict *latest = NULL;

		for (uint8_t i = 0; i < ty.n_kept; i++) {
			if (ty.kept[i].type == t) {
				agree++;
				conf += ty.kept[i].confidence_permille;
				latest = &ty.kept[i];
			}
		}
		if (agree >= VMON_TYPING_VERDICTS_AGREE) {
			ty.voted.type = t;
			ty.voted.confidence_permille = (uint16_t)(conf / agree);
			memcpy(ty.voted.scores_q8, latest->scores_q8, sizeof(ty.voted.scores_q8));
			return;
		}
	}
	ty.voted.type = VMON_ENV_UNKNOWN;
	ty.voted.confidence_permille = 0;
	memcpy(ty.voted.scores_q8, last->scores_q8, sizeof(ty.voted.scores_q8));
}

/* A full envelope ring: its verdict, the vote, and the next period's band. */
static void end_period(const struct typing_machine *m)
{
	struct vmon_env_line lines[VMON_ENV_LINES_MAX];
	struct vmon_env_verdict v = {.type = VMON_ENV_UNKNOWN};
	uint32_t defects[VMON_ENV_N_TYPES];
	struct vmon_env_bearing bearing;
	int32_t *spec;
	int32_t *out;

	ty.speed_mhz = estimate_speed(m);
	if (vmon_features_rfft_scratch(&spec, &out) == 0 &&
	    vmon_env_spectrum(&ty.env_ring, spec) == 0 && machine_bearing(m, &bearing) &&
	    ty.speed_mhz != 0U && vmon_env_defects_mhz(&bearing, ty.speed_mhz, defects) == 0) {
		const size_t n = vmon_env_defect_lines(defects, ty.speed_mhz, lines);

		vmon_env_verdict(spec, VMON_ENV_LEN / 2, lines, n, &v);
	}
	if (ty.n_kept == VMON_TYPING_VERDICTS_KEPT) {
		memmove(&ty.kept[0], &ty.kept[1], sizeof(ty.kept[0]) * (ty.n_kept - 1U));
		ty.n_kept--;
	}
	struct period_verdict *p = &ty.kept[ty.n_kept++];

	p->type = v.type;
	p->confidence_permille = v.confidence_permille;
	memcpy(p->scores_q8, v.scores_q8, sizeof(p->scores_q8));
	vote();
	ty.have_verdict = true;
	LOG_DBG("period %u band %d speed %u mHz: %d (%u permille), voted %d", ty.period,
		ty.band_k1, ty.speed_mhz, v.type, v.confidence_permille, ty.voted.type);

	ty.period++;
	vmon_env_ring_reset(&ty.env_ring);
	const int16_t k1 = next_band(m);

	if (k1 >= 0 && k1 != ty.band_k1) {
		ty.band_k1 = k1;
		vmon_env_demod_reset(&ty.env);
	}
}

void typing_update(const int32_t *spectrum, bool raised, bool state_normal,
		   const struct baseline *base, const int32_t *features,
		   const struct typing_machine *m)
{
	const int32_t *done;
	int32_t *work;
	int32_t *out;

	/* The shaft-speed band runs all the time, so a speed is ready when a fault starts. */
	if (vmon_env_demod_push(&ty.spd, spectrum, 0, &done) == 0) {
		vmon_env_ring_push(&ty.spd_ring, done, 2);
	}
	if (!raised && state_normal) {
		typing_reset();
		return;
	}
	if (raised) {
		for (int b = 0; b < N_BANDS; b++) {
			const int64_t e = (int64_t)base->n_windows * features[b] - base->s[b];

			if (e >= 0) {
				ty.zsum[b] += (int32_t)baseline_z2_q8(base->n_windows, base->s[b],
								      base->d[b], features[b]);
			}
		}
	}
	if (ty.band_k1 < 0) {
		/* The speed spectrum overwrites this window's spectrum: demodulation starts
		 * with the next window (the reference does the same).
		 */
		ty.speed_mhz = estimate_speed(m);
		ty.band_k1 = next_band(m);
		return;
	}
	if (vmon_env_demod_push(&ty.env, spectrum, (uint32_t)ty.band_k1, &done) != 0 ||
	    vmon_features_rfft_scratch(&work, &out) != 0) {
		return;
	}
	/* done is the start of the work buffer: the magnitudes go right after it. */
	int32_t *mag = &work[2 * VMON_ENV_DECIM];

	arm_cmplx_mag_q31(done, mag, ENV_BLOCK);
	vmon_env_ring_push(&ty.env_ring, mag, 1);
	if (vmon_env_ring_full(&ty.env_ring)) {
		end_period(m);
	}
}

void typing_view(struct typing_view *out)
{
	out->have_verdict = ty.have_verdict;
	out->type = ty.have_verdict ? ty.voted.type : VMON_ENV_UNKNOWN;
	out->confidence_permille = ty.have_verdict ? ty.voted.confidence_permille : 0U;
	memcpy(out->scores_q8, ty.voted.scores_q8, sizeof(out->scores_q8));
	if (!ty.have_verdict) {
		memset(out->scores_q8, 0, sizeof(out->scores_q8));
	}
	out->speed_mhz = ty.speed_mhz;
	out->band_k1 = ty.band_k1;
}

bool typing_allows(uint8_t type)
{
	if (type >= VMON_ENV_N_TYPES) {
		return false;
	}
	if (!ty.have_verdict) {
		return true; /* nothing speaks against it yet */
	}
	if (ty.voted.scores_q8[type] <= 0) {
		return false;
	}
	for (uint8_t t = 0; t < VMON_ENV_N_TYPES; t++) {
		if (t != type && ty.voted.scores_q8[t] >= ty.voted.scores_q8[type]) {
			return false;
		}
	}
	return true;
}
