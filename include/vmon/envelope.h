/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * vmon envelope typing kernel: bearing defect lines in the envelope spectrum of a resonance
 * band, bit-exact with vmon.dsp.envelope (Python). See that module for the method; every
 * function here is named after its Python counterpart.
 *
 * The streaming pieces take each window's arm_rfft_q31 spectrum from the feature pipeline
 * (vmon_features_spectrum()); the envelope and speed spectra have the feature window's length
 * and reuse the feature pipeline's real FFT and its work buffers
 * (vmon_features_rfft_scratch()), so they must run in the feature thread after the window's
 * features and demodulation.
 *
 * Requires CONFIG_VMON_ENVELOPE=y. Returns 0 or a negative errno.
 */

#ifndef VMON_ENVELOPE_H_
#define VMON_ENVELOPE_H_

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <vmon/features.h>

#ifdef __cplusplus
extern "C" {
#endif

/* TypingConfig defaults (a pytest compares them with vmon.dsp.envelope). */
#define VMON_ENV_DECIM          128 /* inverse CFFT length of the demodulation band */
#define VMON_ENV_BAND           64  /* bins demodulated */
#define VMON_ENV_LEN            VMON_FEAT_WINDOW
#define VMON_ENV_SPEED_DECIM    32
#define VMON_ENV_SPEED_BAND     16
#define VMON_ENV_SPEED_LEN      VMON_FEAT_WINDOW
/* Speed samples kept: zero-padded to VMON_ENV_SPEED_LEN (half the RAM of a full ring). */
#define VMON_ENV_SPEED_RING     512
/* Rings keep int16 mantissas: one shift per block of samples (block floating point). */
#define VMON_ENV_RING_BITS      15
/* A ring block's mantissas sum within int32 (vmon_env_spectrum). */
#define VMON_ENV_RING_BLOCK_MAX 32768U
#define VMON_ENV_HARMONICS      3
#define VMON_ENV_PRE_SHIFT      4
#define VMON_ENV_LINE_FLOOR_Q8  405
#define VMON_ENV_LINE_CAP_Q8    1024
#define VMON_ENV_MIN_SCORE_Q8   384
#define VMON_ENV_MARGIN_Q8      512
#define VMON_ENV_TOL_PERMILLE   25
#define VMON_ENV_BG_SPAN        4
#define VMON_ENV_SPEED_HARMONICS 5
/** Neighbourhood of a speed-spectrum bin: SIDE bins each side, starting GUARD bins away. */
#define VMON_ENV_SPEED_GUARD 4
#define VMON_ENV_SPEED_SIDE  8
/** A harmonic's prominence (Q8) counts up to this, and the fundamental must reach it. */
#define VMON_ENV_SPEED_PROMINENCE_Q8 1024
/** Levels are shifted down to this many bits before the prominence division. */
#define VMON_ENV_SPEED_LEVEL_BITS 22
/* Speed search: +-permille around a nominal shaft rate, else this range of rates (mHz). */
#define VMON_ENV_SPEED_SEARCH_PERMILLE 60
#define VMON_ENV_SPEED_MIN_MHZ  5000
#define VMON_ENV_SPEED_MAX_MHZ  100000
/* Most lines defect_lines returns: 3 types x harmonics + 2 inner-race sidebands. */
#define VMON_ENV_LINES_MAX      (3 * VMON_ENV_HARMONICS + 2)

/** Fault types in label order (vmon.dsp.envelope.TYPES), and no verdict. */
enum vmon_env_type {
	VMON_ENV_INNER_RACE,
	VMON_ENV_BALL,
	VMON_ENV_OUTER_RACE,
	VMON_ENV_N_TYPES,
	VMON_ENV_UNKNOWN = VMON_ENV_N_TYPES,
};

/** Bearing geometry as the node stores it (DeviceBearing). */
struct vmon_env_bearing {
	uint32_t n_balls;
	uint32_t ball_um;
	uint32_t pitch_um;
	uint32_t angle_cdeg; /**< contact angle, 1/100 degree */
};

struct vmon_env_line {
	uint8_t type;
	uint8_t harmonic;
	int8_t side;
	uint16_t lo; /**< first bin searched */
	uint16_t hi; /**< last bin searched */
};

struct vmon_env_verdict {
	uint8_t type;                 /**< enum vmon_env_type */
	uint16_t confidence_permille;
	int32_t scores_q8[VMON_ENV_N_TYPES];
};

/**
 * Demodulator of one band: the overlap-add state of the baseband signal. The caller owns
 * the tail: decim int32 (complex), or decim / 2 for a demodulator whose user reads only the
 * real parts (the shaft-speed band). Its inverse FFT runs in the feature pipeline's input
 * buffer, free once the window's features are computed.
 */
struct vmon_env_demod {
	uint16_t decim;
	uint16_t band;
	bool primed;
	bool real_only;
	int32_t *tail;
};

/**
 * The last n samples in blocks of @c block, oldest first when read: int16 mantissas and one
 * right shift per block, as vmon.dsp.envelope.Ring.
 */
struct vmon_env_ring {
	uint16_t n;
	uint16_t block;
	uint16_t head; /* next block written */
	uint16_t count;
	int16_t *mant;  /* n */
	uint8_t *shift; /* n / block */
};

/** cos of an angle in 1/100 degree (< 9000), Q15; -EINVAL (as a negative value) beyond. */
int32_t vmon_env_cos_q15(uint32_t centideg);

/** 0, or -EINVAL for a geometry the node cannot hold or that is physically impossible. */
int vmon_env_bearing_check(const struct vmon_env_bearing *b);

/** Impact rates in mHz per type (inner race, 2 x BSF, outer race) at a shaft rate in mHz. */
int vmon_env_defects_mhz(const struct vmon_env_bearing *b, uint32_t shaft_mhz,
			 uint32_t out[VMON_ENV_N_TYPES]);

/*
 * The line search and the ratios keep their temporaries in the upper (mirror) half of the
 * feature pipeline's FFT output: feature thread only, after vmon_features_init(), and
 * @p spec must not live there (0 lines / a ratio of 0 otherwise).
 */

/** The unambiguous lines to read; returns how many were written to @p out. */
size_t vmon_env_defect_lines(const uint32_t defects_mhz[VMON_ENV_N_TYPES], uint32_t shaft_mhz,
			     struct vmon_env_line out[VMON_ENV_LINES_MAX]);

/** log2(peak / local median), Q8, of one line in a spectrum of @p n bins. */
int32_t vmon_env_line_ratio_q8(const int32_t *spec, size_t n, const struct vmon_env_line *line);

void vmon_env_verdict(const int32_t *spec, size_t n, const struct vmon_env_line *lines,
		      size_t n_lines, struct vmon_env_verdict *out);

/** -EINVAL for a length the kernel has no CFFT for, a band wider than half of it, or a
 * tail of another size than decim (complex) or decim / 2 (real parts only). */
int vmon_env_demod_init(struct vmon_env_demod *d, uint16_t decim, uint16_t band, int32_t *tail,
			size_t tail_len);
void vmon_env_demod_reset(struct vmon_env_demod *d);

/**
 * Push one window's spectrum (VMON_FEAT_WINDOW q31: bins 0 .. N/2 - 1, re/im) with the band
 * starting at bin @p k1 (even). On 0, *@p done points to decim int32 (decim/2 complex
 * baseband samples, completed by this window; only the real parts, the even indices, for a
 * real-only demodulator), valid until the next push, vmon_env_spectrum() or
 * vmon_features_compute(); -EAGAIN for the first window after a reset (it only primes the
 * overlap); -EINVAL for a bad band or before vmon_features_init().
 */
int vmon_env_demod_push(struct vmon_env_demod *d, const int32_t *spectrum, uint32_t k1,
			const int32_t **done);

/** -EINVAL unless @p n is whole blocks of @p block. */
int vmon_env_ring_init(struct vmon_env_ring *r, int16_t *mant, uint8_t *shift, uint16_t n,
		       uint16_t block);
void vmon_env_ring_reset(struct vmon_env_ring *r);
/** Append one block: every @p stride-th value of @p v. */
void vmon_env_ring_push(struct vmon_env_ring *r, const int32_t *v, size_t stride);
bool vmon_env_ring_full(const struct vmon_env_ring *r);
/** The @p i-th oldest sample (mantissa << shift). */
int32_t vmon_env_ring_value(const struct vmon_env_ring *r, size_t i);

/**
 * Magnitude spectrum (VMON_ENV_LEN / 2 bins) of a full ring: mean removal, normalization to
 * 30 bits, Q15 Hann over the ring's length, zero-padding to VMON_ENV_LEN, arm_rfft_q31,
 * arm_cmplx_mag_q31. Uses the feature pipeline's FFT and work buffers. -EINVAL unless the
 * ring is full and its length a power of two dividing VMON_ENV_LEN.
 */
int vmon_env_spectrum(const struct vmon_env_ring *r, int32_t *mag);

/** vmon_env_spectrum()'s FFT input alone (VMON_ENV_LEN q31 into @p in): the benchmark times
 *  the kernels on it. */
int vmon_env_spectrum_input(const struct vmon_env_ring *r, int32_t *in);

/** Shaft rate in speed-spectrum bins, Q8, in [lo, hi] (envelope.estimate_speed_bin_q8):
 * among candidates whose fundamental stands out from its neighbourhood, the one whose
 * harmonics stand out most (capped prominences, ties to their levels); -1 if none
 * qualifies. @p work holds @p n neighbourhood levels (the caller's scratch). */
int32_t vmon_env_estimate_speed_bin_q8(const int32_t *spec, size_t n, int32_t lo_q8,
				       int32_t hi_q8, int32_t *work);

/** Frequency <-> bin conversions of the envelope and speed spectra (Q8 bins, mHz). */
uint32_t vmon_env_bin_q8(uint32_t f_mhz);
uint32_t vmon_env_speed_bin_q8(uint32_t f_mhz);
uint32_t vmon_env_speed_mhz(uint32_t bin_q8);

#ifdef __cplusplus
}
#endif

#endif /* VMON_ENVELOPE_H_ */
