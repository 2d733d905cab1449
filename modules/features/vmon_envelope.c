/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmon envelope typing kernel, bit-exact with vmon.dsp.envelope (Python): integer arithmetic
 * and the CMSIS-DSP q31 kernels the Python side runs through cmsisdsp. Python's // and >>
 * on the non-negative values used here equal C's unsigned division and shifts; the signed
 * right shifts floor, as GCC's do (see vmon_features.c).
 */

#include <errno.h>
#include <string.h>

#include <zephyr/logging/log.h>
#include <zephyr/sys/util.h>
#include <zephyr/toolchain.h>

#include <arm_const_structs.h>
#include <arm_math.h>

#include <vmon/envelope.h>
#include <vmon/features.h>

LOG_MODULE_REGISTER(vmon_envelope, CONFIG_VMON_FEATURES_LOG_LEVEL);

BUILD_ASSERT(VMON_ENV_LEN == VMON_FEAT_WINDOW, "the spectra reuse the features' real FFT");
BUILD_ASSERT(VMON_ENV_BAND <= VMON_ENV_DECIM / 2 && VMON_ENV_SPEED_BAND <= VMON_ENV_SPEED_DECIM / 2,
	     "a band fills at most half its inverse FFT");
BUILD_ASSERT(VMON_ENV_DECIM <= VMON_FEAT_WINDOW / 4, "decimation below the window");
BUILD_ASSERT(VMON_ENV_SPEED_RING <= VMON_ENV_SPEED_LEN &&
		     VMON_ENV_SPEED_RING % (VMON_ENV_SPEED_DECIM / 2) == 0,
	     "the speed ring holds whole blocks and is zero-padded to its spectrum");

#define N_WIN VMON_FEAT_WINDOW
#define TOP   (VMON_ENV_LEN / 2 * 9 / 10) /* lines beyond 90 % of the spectrum are not read */

/* cos(d) in Q15 for d = 0 .. 90 degrees: round(cos(radians(d)) * 32768) (COS_Q15). */
static const int32_t cos_q15_table[91] = {
	32768, 32763, 32748, 32723, 32688, 32643, 32588, 32524, 32449, 32365, 32270, 32166,
	32052, 31928, 31795, 31651, 31499, 31336, 31164, 30983, 30792, 30592, 30382, 30163,
	29935, 29698, 29452, 29197, 28932, 28660, 28378, 28088, 27789, 27482, 27166, 26842,
	26510, 26170, 25822, 25466, 25102, 24730, 24351, 23965, 23571, 23170, 22763, 22348,
	21926, 21498, 21063, 20622, 20174, 19720, 19261, 18795, 18324, 17847, 17364, 16877,
	16384, 15886, 15384, 14876, 14365, 13848, 13328, 12803, 12275, 11743, 11207, 10668,
	10126, 9580,  9032,  8481,  7927,  7371,  6813,  6252,  5690,  5126,  4560,  3993,
	3425,  2856,  2286,  1715,  1144,  572,   0,
};

int32_t vmon_env_cos_q15(uint32_t centideg)
{
	if (centideg >= 9000U) {
		return -EINVAL;
	}
	const uint32_t d = centideg / 100U;
	const uint32_t r = centideg % 100U;
	const int32_t a = cos_q15_table[d];
	const int32_t b = cos_q15_table[d + 1U]; /* a >= b */

	return a - (int32_t)(((uint32_t)(a - b) * r + 50U) / 100U);
}

int vmon_env_bearing_check(const struct vmon_env_bearing *b)
{
	if (b == NULL || b->n_balls == 0U || b->n_balls > 255U || b->ball_um == 0U ||
	    b->pitch_um <= b->ball_um || b->pitch_um > 2000000U || b->angle_cdeg >= 9000U) {
		return -EINVAL;
	}
	return 0;
}

static uint64_t ratio_q16(const struct vmon_env_bearing *b)
{
	const uint64_t c = (uint64_t)vmon_env_cos_q15(b->angle_cdeg);

	return ((uint64_t)b->ball_um * c * 2U + b->pitch_um / 2U) / b->pitch_um;
}

int vmon_env_defects_mhz(const struct vmon_env_bearing *b, uint32_t shaft_mhz,
			 uint32_t out[VMON_ENV_N_TYPES])
{
	if (vmon_env_bearing_check(b) != 0 || out == NULL || shaft_mhz > 1000000U) {
		return -EINVAL;
	}
	const uint64_t r = ratio_q16(b);
	const uint64_t n_f = (uint64_t)b->n_balls * shaft_mhz;
	const uint64_t one_minus_r2 = (65536ULL * 65536ULL - r * r) >> 16;

	out[VMON_ENV_INNER_RACE] = (uint32_t)(n_f * (65536U + r) / 131072U);
	out[VMON_ENV_BALL] =
		(uint32_t)((uint64_t)shaft_mhz * b->pitch_um * one_minus_r2 / ((uint64_t)b->ball_um << 16));
	out[VMON_ENV_OUTER_RACE] = (uint32_t)(n_f * (65536U - r) / 131072U);
	return 0;
}

uint32_t vmon_env_bin_q8(uint32_t f_mhz)
{
	return (uint32_t)((uint64_t)f_mhz * VMON_ENV_LEN * N_WIN * 256U /
			  ((uint64_t)VMON_FEAT_FS_HZ * 1000U * VMON_ENV_DECIM));
}

uint32_t vmon_env_speed_bin_q8(uint32_t f_mhz)
{
	return (uint32_t)((uint64_t)f_mhz * VMON_ENV_SPEED_LEN * N_WIN * 256U /
			  ((uint64_t)VMON_FEAT_FS_HZ * 1000U * VMON_ENV_SPEED_DECIM));
}

uint32_t vmon_env_speed_mhz(uint32_t bin_q8)
{
	return (uint32_t)((uint64_t)bin_q8 * VMON_FEAT_FS_HZ * 1000U * VMON_ENV_SPEED_DECIM /
			  ((uint64_t)VMON_ENV_SPEED_LEN * N_WIN * 256U));
}

/* span(): the bins a line at f is searched in. */
static void span(uint32_t f_mhz, int32_t *lo, int32_t *hi)
{
	const int64_t pos = vmon_env_bin_q8(f_mhz);
	const int64_t tol = pos * VMON_ENV_TOL_PERMILLE / 1000 + 256;

	/* (pos - tol + 255) >> 8 floors like Python's >> for negative values. */
	*lo = (int32_t)((pos - tol + 255) >> 8);
	*hi = (int32_t)((pos + tol) >> 8);
}

/* Search ranges of every harmonic of one type's defect frequency below TOP. */
#define HARMONICS_MAX 64
struct harmonic_spans {
	uint32_t n;
	int16_t lo[HARMONICS_MAX];
	int16_t hi[HARMONICS_MAX];
};

static void harmonic_spans(uint32_t f_mhz, struct harmonic_spans *s)
{
	s->n = 0;
	for (uint32_t h = 1; f_mhz != 0U && s->n < HARMONICS_MAX; h++) {
		int32_t lo;
		int32_t hi;

		span(h * f_mhz, &lo, &hi);
		if (lo >= TOP) {
			break;
		}
		s->lo[s->n] = (int16_t)lo;
		s->hi[s->n] = (int16_t)hi;
		s->n++;
	}
}

static bool clashes(const struct vmon_env_line *a, const struct harmonic_spans spans[],
		    const uint32_t defects[VMON_ENV_N_TYPES])
{
	for (uint8_t t = 0; t < VMON_ENV_N_TYPES; t++) {
		if (t == a->type) {
			continue;
		}
		for (uint32_t i = 0; i < spans[t].n; i++) {
			if (spans[t].lo[i] <= a->hi && a->lo <= spans[t].hi[i]) {
				return true;
			}
		}
		/* A frequency low enough to have more harmonics below TOP than were kept. */
		for (uint32_t h = HARMONICS_MAX + 1U; spans[t].n == HARMONICS_MAX; h++) {
			int32_t lo;
			int32_t hi;

			span(h * defects[t], &lo, &hi);
			if (lo >= TOP) {
				break;
			}
			if (lo <= a->hi && a->lo <= hi) {
				return true;
			}
		}
	}
	return false;
}

struct line_spec {
	uint8_t h;
	int8_t side;
	int64_t f;
};

/*
 * Temporaries of the line search live in the upper half of the feature pipeline's FFT
 * output (the mirror bins, which nothing reads): no RAM of their own.
 */
static void *line_scratch(void)
{
	int32_t *in;
	int32_t *out;

	return vmon_features_rfft_scratch(&in, &out) == 0 ? &out[VMON_FEAT_WINDOW] : NULL;
}

size_t vmon_env_defect_lines(const uint32_t defects_mhz[VMON_ENV_N_TYPES], uint32_t shaft_mhz,
			     struct vmon_env_line out[VMON_ENV_LINES_MAX])
{
	struct harmonic_spans *spans = line_scratch();
	size_t n = 0;

	if (spans == NULL) {
		return 0;
	}

	for (uint8_t t = 0; t < VMON_ENV_N_TYPES; t++) {
		harmonic_spans(defects_mhz[t], &spans[t]);
	}
	for (uint8_t t = 0; t < VMON_ENV_N_TYPES; t++) {
		const int64_t f = defects_mhz[t];
		struct line_spec specs[VMON_ENV_HARMONICS + 2];
		size_t n_specs = 0;

		for (uint8_t h = 1; h <= VMON_ENV_HARMONICS; h++) {
			specs[n_specs++] = (struct line_spec){h, 0, h * f};
		}
		if (t == VMON_ENV_INNER_RACE) {
			specs[n_specs++] = (struct line_spec){1, -1, f - shaft_mhz};
			specs[n_specs++] = (struct line_spec){1, 1, f + shaft_mhz};
		}
		for (size_t i = 0; i < n_specs; i++) {
			int32_t lo;
			int32_t hi;

			if (specs[i].f <= 0) {
				continue;
			}
			span((uint32_t)specs[i].f, &lo, &hi);
			if (lo < 2 || hi >= TOP) {
				continue;
			}
			struct vmon_env_line line = {
				.type = t,
				.harmonic = specs[i].h,
				.side = specs[i].side,
				.lo = (uint16_t)lo,
				.hi = (uint16_t)hi,
			};
			if (!clashes(&line, spans, defects_mhz)) {
				out[n++] = line;
			}
		}
	}
	return n;
}

/*
 * Background samples around a line: 2 * BG_SPAN * its width. Lines lie below TOP, so a
 * search range is at most 2 * (TOP * TOL / 1000 + 2) + 1 bins wide (span()).
 */
#define LINE_WIDTH_MAX (2 * (TOP * VMON_ENV_TOL_PERMILLE / 1000 + 2) + 1)
#define AROUND_MAX     (2 * VMON_ENV_BG_SPAN * LINE_WIDTH_MAX)

BUILD_ASSERT(sizeof(struct harmonic_spans) * VMON_ENV_N_TYPES <= VMON_FEAT_WINDOW * 4 &&
		     AROUND_MAX * 4 <= VMON_FEAT_WINDOW * 4,
	     "the line search's temporaries fit the FFT output's mirror half");

/* Reorder v so that v[kth] holds the value a sort would put there. */
static void select_kth(int32_t *v, size_t n, size_t kth)
{
	size_t lo = 0;
	size_t hi = n - 1;

	while (lo < hi) {
		const int32_t pivot = v[lo + (hi - lo) / 2];
		size_t i = lo;
		size_t j = hi;

		while (i <= j) {
			while (v[i] < pivot) {
				i++;
			}
			while (v[j] > pivot) {
				j--;
			}
			if (i <= j) {
				const int32_t tmp = v[i];

				v[i] = v[j];
				v[j] = tmp;
				i++;
				if (j == 0) {
					break;
				}
				j--;
			}
		}
		if (kth <= j) {
			hi = j;
		} else if (kth >= i) {
			lo = i;
		} else {
			return;
		}
	}
}

int32_t vmon_env_line_ratio_q8(const int32_t *spec, size_t n, const struct vmon_env_line *line)
{
	const int32_t width = line->hi - line->lo + 1;

	int32_t *around = line_scratch();

	if (width <= 0 || width > LINE_WIDTH_MAX || line->hi >= (int32_t)n || around == NULL) {
		return 0; /* not a line vmon_env_defect_lines() makes, or no features yet */
	}
	const int32_t span_bins = VMON_ENV_BG_SPAN * width;
	const int32_t a = MAX(1, line->lo - span_bins);
	const int32_t b = MIN((int32_t)n, line->hi + 1 + span_bins);
	size_t k = 0;

	for (int32_t i = a; i < line->lo; i++) {
		around[k++] = spec[i];
	}
	for (int32_t i = line->hi + 1; i < b; i++) {
		around[k++] = spec[i];
	}
	int32_t peak = spec[line->lo];

	for (int32_t i = line->lo; i <= line->hi; i++) {
		peak = MAX(peak, spec[i]);
	}
	/* The lower middle element, as np.sort()[(len - 1) // 2]: the value is the same
	 * whichever way it is found, so a quickselect (Hoare) stands in for the sort.
	 */
	if (k > 0) {
		select_kth(around, k, (k - 1) / 2);
	}
	const int32_t bg = (k > 0) ? around[(k - 1) / 2] : 0;

	return vmon_log2_q8((uint64_t)MAX(peak, 1)) - vmon_log2_q8((uint64_t)MAX(bg, 1));
}

void vmon_env_verdict(const int32_t *spec, size_t n, const struct vmon_env_line *lines,
		      size_t n_lines, struct vmon_env_verdict *out)
{
	memset(out, 0, sizeof(*out));
	for (size_t i = 0; i < n_lines; i++) {
		const int32_t r = vmon_env_line_ratio_q8(spec, n, &lines[i]);

		out->scores_q8[lines[i].type] +=
			CLAMP(r - VMON_ENV_LINE_FLOOR_Q8, 0, VMON_ENV_LINE_CAP_Q8);
	}
	/* Ranked by score, ties in type order. */
	uint8_t best = 0;

	for (uint8_t t = 1; t < VMON_ENV_N_TYPES; t++) {
		if (out->scores_q8[t] > out->scores_q8[best]) {
			best = t;
		}
	}
	int32_t second = -1;

	for (uint8_t t = 0; t < VMON_ENV_N_TYPES; t++) {
		if (t != best) {
			second = MAX(second, out->scores_q8[t]);
		}
	}
	const int32_t s1 = out->scores_q8[best];

	if (s1 >= VMON_ENV_MIN_SCORE_Q8 && (int64_t)s1 * 256 >= (int64_t)second * VMON_ENV_MARGIN_Q8) {
		out->type = best;
		out->confidence_permille =
			(second == 0) ? 1000U : (uint16_t)MIN(1000, 1000 * (s1 - second) / (3 * second));
	} else {
		out->type = VMON_ENV_UNKNOWN;
		out->confidence_permille = 0U;
	}
}

static const arm_cfft_instance_q31 *cfft_of(uint16_t decim)
{
	switch (decim) {
	case 32:
		return &arm_cfft_sR_q31_len32;
	case 64:
		return &arm_cfft_sR_q31_len64;
	case 128:
		return &arm_cfft_sR_q31_len128;
	default:
		return NULL;
	}
}

int vmon_env_demod_init(struct vmon_env_demod *d, uint16_t decim, uint16_t band, int32_t *tail,
			size_t tail_len)
{
	if (d == NULL || tail == NULL || cfft_of(decim) == NULL || band == 0U ||
	    band > decim / 2U || (tail_len != decim && tail_len != decim / 2U)) {
		return -EINVAL;
	}
	d->decim = decim;
	d->band = band;
	d->tail = tail;
	d->real_only = tail_len != decim;
	vmon_env_demod_reset(d);
	return 0;
}

void vmon_env_demod_reset(struct vmon_env_demod *d)
{
	memset(d->tail, 0, (d->real_only ? d->decim / 2U : d->decim) * sizeof(d->tail[0]));
	d->primed = false;
}

/* a + b saturated to int32 (_sat32 of the int64 sum). */
static inline int32_t sat_add(int32_t a, int32_t b)
{
	int32_t s;

	if (__builtin_add_overflow(a, b, &s)) {
		return (a < 0) ? INT32_MIN : INT32_MAX;
	}
	return s;
}

int vmon_env_demod_push(struct vmon_env_demod *d, const int32_t *spectrum, uint32_t k1,
			const int32_t **done)
{
	int32_t *buf;
	int32_t *unused;

	if (d == NULL || spectrum == NULL || done == NULL || (k1 % 2U) != 0U ||
	    2U * (k1 + d->band) > N_WIN || vmon_features_rfft_scratch(&buf, &unused) != 0) {
		return -EINVAL;
	}
	const uint32_t n = 2U * d->decim;
	const uint32_t m = 2U * d->band;
	/* CMSIS-DSP's basic kernels for the glue: arm_shift_q31 saturates v << PRE_SHIFT to
	 * int32 and arm_add_q31 saturates the sum, as _sat32() in Python; both unrolled.
	 */
	arm_shift_q31(&spectrum[2U * k1], VMON_ENV_PRE_SHIFT, buf, m);
	/* arm_fill_q31: the libc's memset here stores a byte at a time. */
	arm_fill_q31(0, &buf[m], n - m);
	arm_cfft_q31(cfft_of(d->decim), buf, 1U, 1U);
	/* Complete the first half with the previous window's tail; keep the second half. */
	if (d->real_only) {
		for (uint32_t i = 0; i < d->decim / 2U; i++) {
			buf[2U * i] = sat_add(buf[2U * i], d->tail[i]);
			d->tail[i] = buf[d->decim + 2U * i];
		}
	} else {
		arm_add_q31(buf, d->tail, buf, d->decim);
		arm_copy_q31(&buf[d->decim], d->tail, d->decim);
	}
	const bool was_primed = d->primed;

	d->primed = true;
	*done = buf;
	return was_primed ? 0 : -EAGAIN;
}

int vmon_env_ring_init(struct vmon_env_ring *r, int16_t *mant, uint8_t *shift, uint16_t n,
		       uint16_t block)
{
	if (r == NULL || mant == NULL || shift == NULL || block == 0U || n == 0U ||
	    block > VMON_ENV_RING_BLOCK_MAX || (n % block) != 0U) {
		return -EINVAL;
	}
	r->mant = mant;
	r->shift = shift;
	r->n = n;
	r->block = block;
	vmon_env_ring_reset(r);
	return 0;
}

void vmon_env_ring_reset(struct vmon_env_ring *r)
{
	r->head = 0U;
	r->count = 0U;
}

static inline uint32_t bit_length32(uint32_t v)
{
	return (v == 0U) ? 0U : 32U - (uint32_t)__builtin_clz(v);
}

void vmon_env_ring_push(struct vmon_env_ring *r, const int32_t *v, size_t stride)
{
	uint32_t peak = 0U;

	for (size_t i = 0; i < r->block; i++) {
		const int32_t x = v[i * stride];

		peak = MAX(peak, (x < 0) ? 0U - (uint32_t)x : (uint32_t)x);
	}
	/* Python: sh = max(0, bit_length(max |v|) - 15); mantissa = v >> sh (floor). */
	const uint32_t bl = bit_length32(peak);
	const uint32_t sh = (bl > VMON_ENV_RING_BITS) ? bl - VMON_ENV_RING_BITS : 0U;
	int16_t *m = &r->mant[(size_t)r->head * r->block];

	for (size_t i = 0; i < r->block; i++) {
		m[i] = (int16_t)(v[i * stride] >> sh);
	}
	r->shift[r->head] = (uint8_t)sh;
	if (++r->head == r->n / r->block) {
		r->head = 0U;
	}
	r->count = (uint16_t)MIN((uint32_t)r->n, (uint32_t)r->count + r->block);
}

bool vmon_env_ring_full(const struct vmon_env_ring *r)
{
	return r->count == r->n;
}

int32_t vmon_env_ring_value(const struct vmon_env_ring *r, size_t i)
{
	/* Once full, the oldest block is the one written next. */
	const size_t first = (r->count == r->n) ? (size_t)r->head * r->block : 0U;
	size_t k = first + i;

	if (k >= r->n) {
		k -= r->n;
	}
	/* |mantissa| < 2^15 and shift <= 17 with mantissa << shift within int32. */
	return (int32_t)((uint32_t)(int32_t)r->mant[k] << r->shift[k / r->block]);
}

static inline uint32_t bit_length64(uint64_t v)
{
	return (v == 0U) ? 0U : 64U - (uint32_t)__builtin_clzll(v);
}

int vmon_env_spectrum_input(const struct vmon_env_ring *r, int32_t *in)
{
	if (r == NULL || in == NULL || !vmon_env_ring_full(r) || r->n > VMON_ENV_LEN ||
	    (VMON_ENV_LEN % r->n) != 0U || (r->n & (r->n - 1U)) != 0U) {
		return -EINVAL;
	}
	const uint32_t n = r->n;
	/* The n-point Hann window is every (VMON_ENV_LEN / n)-th value of the features'. */
	const uint32_t step = VMON_ENV_LEN / n;
	int64_t sum = 0;
	int32_t lo = INT32_MAX;
	int32_t hi = INT32_MIN;

	const uint32_t n_blocks = n / r->block;

	/* Sums and extremes on the int16 mantissas, scaled once per block (<< is monotonic). */
	for (uint32_t b = 0; b < n_blocks; b++) {
		const int16_t *m = &r->mant[b * r->block];
		const uint32_t sh = r->shift[b];
		int32_t msum = 0; /* block <= 2^15 mantissas below 2^15: within int32 */
		int32_t mlo = INT16_MAX;
		int32_t mhi = INT16_MIN;

		for (uint32_t i = 0; i < r->block; i++) {
			msum += m[i];
			mlo = MIN(mlo, (int32_t)m[i]);
			mhi = MAX(mhi, (int32_t)m[i]);
		}
		sum += (int64_t)msum * ((int64_t)1 << sh);
		lo = MIN(lo, (int32_t)((uint32_t)mlo << sh));
		hi = MAX(hi, (int32_t)((uint32_t)mhi << sh));
	}
	const uint32_t log2n = 31U - (uint32_t)__builtin_clz(n);
	const int64_t mean = (sum + n / 2U) >> log2n;
	/* max |x - mean| from the extremes. */
	const uint64_t peak = (uint64_t)MAX((int64_t)hi - mean, mean - (int64_t)lo);
	const uint32_t bl = bit_length64(peak);
	const uint32_t up = (peak != 0U && bl < 30U) ? 30U - bl : 0U;
	const uint32_t down = (bl > 30U) ? bl - 30U : 0U;
	const int16_t *w = vmon_feat_window_q15;
	/* Used when down == 0 only: then |mean| < 2^31 and the scale is at most 2^30. */
	const int32_t m32 = (int32_t)mean;
	const int32_t scale = (int32_t)1 << up;
	uint32_t k = 0;

	/* Oldest block first (the one written next): mantissa << shift, less the mean, scaled
	 * to 30 bits, times the window.
	 */
	for (uint32_t j = 0; j < n_blocks; j++) {
		const uint32_t b = (r->head + j < n_blocks) ? r->head + j : r->head + j - n_blocks;
		const int16_t *m = &r->mant[b * r->block];
		const uint32_t sh = r->shift[b];

		if (down == 0U) {
			/* |x - mean| <= peak < 2^30 and its << up stays below 2^30: int32
			 * throughout, one 32x32->64 multiply a sample.
			 */
			for (uint32_t i = 0; i < r->block; i++, k++) {
				const int32_t x = (int32_t)((uint32_t)(int32_t)m[i] << sh);
				const int32_t q = (x - m32) * scale;

				in[k] = (q31_t)(((int64_t)q * w[k * step]) >> 15);
			}
		} else {
			for (uint32_t i = 0; i < r->block; i++, k++) {
				const int32_t x = (int32_t)((uint32_t)(int32_t)m[i] << sh);
				const int64_t q = ((int64_t)x - mean) >> down;

				in[k] = (q31_t)((q * w[k * step]) >> 15);
			}
		}
	}
	arm_fill_q31(0, &in[n], VMON_ENV_LEN - n);
	return 0;
}

int vmon_env_spectrum(const struct vmon_env_ring *r, int32_t *mag)
{
	q31_t *in;
	q31_t *out;

	if (mag == NULL || vmon_features_rfft_scratch(&in, &out) != 0) {
		return -EINVAL;
	}
	const int err = vmon_env_spectrum_input(r, in);

	return (err != 0) ? err : vmon_features_rfft(in, out, mag);
}

/* envelope.speed_background: the mean of SIDE bins each side, GUARD bins away (a side out of
 * the spectrum replaced by the other), shifted down by @p sh, at least 1. Sliding sums.
 */
static void speed_levels(const int32_t *spec, size_t n, uint32_t sh, int32_t *level)
{
	const int32_t near = VMON_ENV_SPEED_GUARD;
	const int32_t far = VMON_ENV_SPEED_GUARD + VMON_ENV_SPEED_SIDE;
	const int32_t len = (int32_t)n;
	uint64_t left = 0U; /* spec[b - far + 1 .. b - near], clipped to the spectrum */
	uint64_t right = 0U; /* spec[b + near .. b + far - 1], clipped */

	for (int32_t i = near; i < far && i < len; i++) {
		right += (uint32_t)spec[i];
	}
	for (int32_t b = 0; b < len; b++) {
		const uint64_t l = (b - far + 1 >= 0) ? left : right;
		const uint64_t r = (b + far - 1 < len) ? right : l;
		const uint64_t mean = (l + r) / (2U * VMON_ENV_SPEED_SIDE);

		level[b] = (int32_t)MAX(mean >> sh, 1U);
		/* Slide both sides one bin up. */
		if (b - near + 1 >= 0 && b - near + 1 < len) {
			left += (uint32_t)spec[b - near + 1];
		}
		if (b - far + 1 >= 0) {
			left -= (uint32_t)spec[b - far + 1];
		}
		if (b + far < len) {
			right += (uint32_t)spec[b + far];
		}
		if (b + near < len) {
			right -= (uint32_t)spec[b + near];
		}
	}
}

int32_t vmon_env_estimate_speed_bin_q8(const int32_t *spec, size_t n, int32_t lo_q8,
				       int32_t hi_q8, int32_t *work)
{
	int32_t peak = 0;

	if (spec == NULL || work == NULL) {
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		peak = MAX(peak, spec[i]);
	}
	const uint32_t bl = bit_length32((uint32_t)peak);
	const uint32_t sh = (bl > VMON_ENV_SPEED_LEVEL_BITS) ? bl - VMON_ENV_SPEED_LEVEL_BITS : 0U;
	int32_t best = -1;
	uint32_t best_score = 0U;
	uint32_t best_total = 0U;

	speed_levels(spec, n, sh, work);
	for (int32_t f = MAX(lo_q8, 256) >> 5; f <= (hi_q8 >> 5); f++) { /* Q3 grid */
		uint32_t score = 0U;
		uint32_t total = 0U;

		for (int32_t k = 1; k <= VMON_ENV_SPEED_HARMONICS; k++) {
			const int32_t pos = k * f;
			const int32_t b = pos >> 3;
			const uint32_t frac = (uint32_t)pos & 7U;

			if ((size_t)b + 1U >= n) {
				break;
			}
			/* Levels below 2^LEVEL_BITS: v << 8 and the division stay in 32 bits. */
			const uint32_t v = (((uint32_t)spec[b] >> sh) * (8U - frac) +
					    ((uint32_t)spec[b + 1] >> sh) * frac) >> 3;
			const uint32_t r =
				MIN((uint32_t)VMON_ENV_SPEED_PROMINENCE_Q8, (v << 8) / (uint32_t)work[b]);

			if (k == 1 && r < VMON_ENV_SPEED_PROMINENCE_Q8) {
				break; /* no fundamental: not a shaft rate */
			}
			score += r;
			total += v;
		}
		if (score > best_score || (score == best_score && score > 0U && total > best_total)) {
			best = f;
			best_score = score;
			best_total = total;
		}
	}
	return (best < 0) ? -1 : best << 5;
}
