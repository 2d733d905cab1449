/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Envelope typing kernel against vmon.dsp.envelope: the golden vectors
 * (scripts/gen_envelope_vectors.py) pin every stage, and the firmware must give the same
 * integers, bit for bit, on both QEMU boards.
 */

#include <string.h>

#include <zephyr/ztest.h>

#include <arm_math.h>

#include <vmon/envelope.h>
#include <vmon/features.h>

#include "envelope_vectors.h"

BUILD_ASSERT(EV_N_SAMPLES >= (EV_N_WINDOWS + 1) * VMON_FEAT_HOP, "golden windows fit");

static int16_t env_mant[VMON_ENV_LEN];
static uint8_t env_shift[VMON_ENV_LEN / (VMON_ENV_DECIM / 2)];
static int16_t speed_mant[VMON_ENV_SPEED_RING];
static uint8_t speed_shift[VMON_ENV_SPEED_RING / (VMON_ENV_SPEED_DECIM / 2)];
static int32_t tail[VMON_ENV_DECIM];
static int32_t speed_tail[VMON_ENV_SPEED_DECIM / 2]; /* real parts only */
static int32_t mags[VMON_ENV_DECIM / 2];
static int32_t spec[VMON_ENV_LEN / 2];
static int32_t levels[VMON_ENV_LEN / 2];
static int32_t features[VMON_FEATURES_MAX];
static struct vmon_env_demod demod;
static struct vmon_env_demod sdemod;

BUILD_ASSERT(EV_SPEED_RING == VMON_ENV_SPEED_RING, "vectors of another speed ring");

static const struct vmon_env_bearing golden_bearing = {
	.n_balls = EV_N_BALLS,
	.ball_um = EV_BALL_UM,
	.pitch_um = EV_PITCH_UM,
	.angle_cdeg = EV_ANGLE_CDEG,
};

static void *setup(void)
{
	zassert_equal(vmon_features_init(), 0);
	zassert_str_equal(vmon_features_hash(), EV_FEATURE_HASH, "vectors of another config");
	return NULL;
}

ZTEST(vmon_envelope, test_geometry)
{
	uint32_t defects[VMON_ENV_N_TYPES];

	zassert_equal(vmon_env_cos_q15(0), 32768);
	zassert_equal(vmon_env_cos_q15(6000), 16384);
	zassert_true(vmon_env_cos_q15(9000) < 0);
	zassert_equal(vmon_env_defects_mhz(&golden_bearing, EV_SHAFT_MHZ, defects), 0);
	zassert_mem_equal(defects, ev_defects_mhz, sizeof(defects));

	/* Impossible or unholdable geometry is refused, the output untouched. */
	const struct vmon_env_bearing bad[] = {
		{0, 7940, 39040, 0},     {9, 40000, 38500, 0}, {9, 7940, 7940, 0},
		{9, 7940, 39040, 9000},  {256, 7940, 39040, 0}, {9, 0, 39040, 0},
	};

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++) {
		zassert_equal(vmon_env_bearing_check(&bad[i]), -EINVAL, "bearing %zu", i);
		zassert_equal(vmon_env_defects_mhz(&bad[i], EV_SHAFT_MHZ, defects), -EINVAL);
	}
	zassert_equal(vmon_env_defects_mhz(&golden_bearing, 1000001U, defects), -EINVAL);
}

ZTEST(vmon_envelope, test_stream_spectra_and_speed)
{
	struct vmon_env_ring ring;
	struct vmon_env_ring sring;
	const int32_t *done;
	bool first = true;

	zassert_equal(vmon_env_demod_init(&demod, VMON_ENV_DECIM, VMON_ENV_BAND, tail,
					  ARRAY_SIZE(tail)),
		      0);
	zassert_equal(vmon_env_demod_init(&sdemod, VMON_ENV_SPEED_DECIM, VMON_ENV_SPEED_BAND,
					  speed_tail, ARRAY_SIZE(speed_tail)),
		      0);
	/* A tail of neither size, or a ring of partial blocks: refused. */
	zassert_equal(vmon_env_demod_init(&sdemod, VMON_ENV_SPEED_DECIM, VMON_ENV_SPEED_BAND,
					  speed_tail, 3),
		      -EINVAL);
	zassert_equal(vmon_env_ring_init(&ring, env_mant, env_shift, VMON_ENV_LEN - 1,
					 VMON_ENV_DECIM / 2),
		      -EINVAL);
	/* A block whose mantissas could overflow the spectrum's int32 block sums: refused. */
	zassert_equal(vmon_env_ring_init(&ring, env_mant, env_shift,
					 VMON_ENV_RING_BLOCK_MAX + 1U, VMON_ENV_RING_BLOCK_MAX + 1U),
		      -EINVAL);
	zassert_equal(vmon_env_ring_init(&ring, env_mant, env_shift, VMON_ENV_LEN,
					 VMON_ENV_DECIM / 2),
		      0);
	zassert_equal(vmon_env_ring_init(&sring, speed_mant, speed_shift, VMON_ENV_SPEED_RING,
					 VMON_ENV_SPEED_DECIM / 2),
		      0);

	for (int w = 0; w < EV_N_WINDOWS; w++) {
		zassert_equal(vmon_features_compute(&ev_samples[w * VMON_FEAT_HOP], VMON_FEAT_WINDOW,
						    features, ARRAY_SIZE(features)),
			      0);
		const int32_t *s = vmon_features_spectrum();

		zassert_not_null(s);
		if (!vmon_env_ring_full(&ring)) {
			int err = vmon_env_demod_push(&demod, s, EV_BAND_K1, &done);

			zassert_equal(err, (w == 0) ? -EAGAIN : 0, "window %d", w);
			if (err == 0) {
				if (first) {
					zassert_mem_equal(done, ev_first_done, sizeof(ev_first_done));
					first = false;
				}
				arm_cmplx_mag_q31(done, mags, VMON_ENV_DECIM / 2);
				vmon_env_ring_push(&ring, mags, 1);
			}
		}
		int err = vmon_env_demod_push(&sdemod, s, 0, &done);

		if (err == 0 && !vmon_env_ring_full(&sring)) {
			vmon_env_ring_push(&sring, done, 2);
		}
	}
	zassert_true(vmon_env_ring_full(&ring) && vmon_env_ring_full(&sring));
	for (uint32_t i = 0; i < VMON_ENV_LEN; i++) {
		zassert_equal(vmon_env_ring_value(&ring, i), ev_envelope[i], "env %u", i);
	}
	for (uint32_t i = 0; i < VMON_ENV_SPEED_RING; i++) {
		zassert_equal(vmon_env_ring_value(&sring, i), ev_speed_ring[i], "speed %u", i);
	}

	zassert_equal(vmon_env_spectrum(&ring, spec), 0);
	zassert_mem_equal(spec, ev_envelope_spectrum, sizeof(spec));
	zassert_equal(vmon_env_spectrum(&sring, spec), 0);
	zassert_mem_equal(spec, ev_speed_spectrum, sizeof(spec));

	const int32_t b = vmon_env_estimate_speed_bin_q8(spec, ARRAY_SIZE(spec), EV_SPEED_LO_Q8,
							 EV_SPEED_HI_Q8, levels);

	zassert_equal(b, EV_SPEED_Q8);
	zassert_mem_equal(levels, ev_speed_levels, sizeof(ev_speed_levels));
	zassert_equal(vmon_env_speed_mhz((uint32_t)b), EV_SHAFT_MHZ);
	/* Over the whole range, without a nominal speed. */
	zassert_equal(vmon_env_estimate_speed_bin_q8(spec, ARRAY_SIZE(spec), EV_SPEED_WIDE_LO_Q8,
						     EV_SPEED_WIDE_HI_Q8, levels),
		      EV_SPEED_WIDE_Q8);
	zassert_equal(vmon_env_estimate_speed_bin_q8(spec, ARRAY_SIZE(spec), 600 << 8, 610 << 8,
						     levels),
		      -1);
	zassert_equal(vmon_env_estimate_speed_bin_q8(spec, ARRAY_SIZE(spec), EV_SPEED_LO_Q8,
						     EV_SPEED_HI_Q8, NULL),
		      -1);
	/* A ring that is not full, or a band that is odd or outside: refused. */
	vmon_env_ring_reset(&ring);
	zassert_equal(vmon_env_spectrum(&ring, spec), -EINVAL);
	zassert_equal(vmon_env_demod_push(&demod, ev_envelope, 151, &done), -EINVAL);
	zassert_equal(vmon_env_demod_push(&demod, ev_envelope, VMON_FEAT_WINDOW / 2, &done),
		      -EINVAL);
}

/* The lines vmon_env_defect_lines() gives for @p defects equal the golden rows. */
static size_t check_lines(const uint32_t *defects, uint32_t shaft_mhz, const int32_t (*want)[5],
			  size_t n_want, struct vmon_env_line *lines)
{
	const size_t n = vmon_env_defect_lines(defects, shaft_mhz, lines);

	zassert_equal(n, n_want);
	for (size_t i = 0; i < n; i++) {
		const int32_t got[5] = {lines[i].type, lines[i].harmonic, lines[i].side,
					lines[i].lo, lines[i].hi};

		zassert_mem_equal(got, want[i], sizeof(got), "line %zu", i);
	}
	return n;
}

ZTEST(vmon_envelope, test_lines_and_verdict)
{
	struct vmon_env_line lines[VMON_ENV_LINES_MAX];
	struct vmon_env_verdict v;

	/* A ball rate of 2 Hz: more harmonics below the top than the kernel keeps. */
	check_lines(ev_low_defects_mhz, EV_LOW_SHAFT_MHZ, ev_low_lines, EV_N_LOW_LINES, lines);

	const size_t n = check_lines(ev_defects_mhz, EV_SHAFT_MHZ, ev_lines, EV_N_LINES, lines);

	for (size_t i = 0; i < n; i++) {
		zassert_equal(vmon_env_line_ratio_q8(ev_envelope_spectrum,
						     ARRAY_SIZE(ev_envelope_spectrum), &lines[i]),
			      ev_line_ratios_q8[i], "line %zu", i);
		zassert_equal(vmon_env_line_ratio_q8(ev_tie_spectrum, ARRAY_SIZE(ev_tie_spectrum),
						     &lines[i]),
			      ev_tie_ratios_q8[i], "line %zu (ties)", i);
	}
	vmon_env_verdict(ev_envelope_spectrum, ARRAY_SIZE(ev_envelope_spectrum), lines, n, &v);
	zassert_equal(v.type, EV_VERDICT_TYPE);
	zassert_equal(v.confidence_permille, EV_VERDICT_CONFIDENCE);
	zassert_mem_equal(v.scores_q8, ev_scores_q8, sizeof(ev_scores_q8));
}

ZTEST_SUITE(vmon_envelope, NULL, setup, NULL, NULL, NULL);
