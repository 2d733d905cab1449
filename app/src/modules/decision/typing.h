/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Decision module internals: physics fault typing on the device, the typing half of
 * vmon.dsp.policy.Policy (_type, _band_ranking, _speed, vote_verdicts). Each window after
 * commissioning feeds the shaft-speed band; while novelty is raised the node demodulates one
 * candidate resonance band per period (a full envelope ring), reads the bearing's defect
 * lines and names a type when VMON_TYPING_VERDICTS_AGREE of the last
 * VMON_TYPING_VERDICTS_KEPT period verdicts agree. Called with the decision lock held, in
 * the feature thread (it uses the feature pipeline's work buffers, and the window spectrum
 * must still be the one vmon_features_spectrum() gave). Requires CONFIG_VMON_DECISION_TYPING.
 */

#ifndef VMON_DECISION_TYPING_H_
#define VMON_DECISION_TYPING_H_

#include <stdbool.h>
#include <stdint.h>

#include "baseline.h"

/* vmon.dsp.policy's typing constants (a pytest compares them). */
#define VMON_TYPING_BANDS_TRIED    3
#define VMON_TYPING_VERDICTS_KEPT  3
#define VMON_TYPING_VERDICTS_AGREE 2
/* Fault types in label order without "normal" (VMON_ENV_N_TYPES; typing.c checks). This
 * header stays free of the feature config so the decision builds without the typing. */
#define VMON_TYPING_N_TYPES        3

/** What the node knows of the machine (vmon.dsp.policy.Machine). */
struct typing_machine {
	bool has_bearing;
	/* struct vmon_env_bearing's fields */
	uint32_t n_balls;
	uint32_t ball_um;
	uint32_t pitch_um;
	uint32_t angle_cdeg;
	uint32_t nominal_mhz; /**< 0: estimate the shaft rate */
};

/** The typing's view after a window. */
struct typing_view {
	bool have_verdict;            /**< at least one period verdict since the last reset */
	uint8_t type;                 /**< enum vmon_env_type; VMON_TYPING_N_TYPES: unknown */
	uint16_t confidence_permille; /**< of the voted verdict */
	int32_t scores_q8[VMON_TYPING_N_TYPES];
	uint32_t speed_mhz;           /**< 0 until estimated or given */
	int16_t band_k1;              /**< -1 without a demodulation band */
};

/** Set up the demodulators and rings; 0 or -EINVAL. */
int typing_init(void);

/** A new episode: band, rings of the envelope, energy sums and verdicts start afresh. */
void typing_reset(void);

/** A new run of the machine: also the speed band and its estimate start afresh. */
void typing_reset_run(void);

/** Samples were lost or unusable before the next window (vmon.dsp.policy's _typing_gap): the
 *  demodulators and rings restart; the band, its evidence, the verdicts and the speed stay.
 */
void typing_gap(void);

/**
 * One clean window of a commissioned node: its q31 spectrum, whether its novelty is above
 * the threshold, whether the state (after hysteresis) is normal, and its features against
 * @p base for the band energies that rose.
 */
void typing_update(const int32_t *spectrum, bool raised, bool state_normal,
		   const struct baseline *base, const int32_t *features,
		   const struct typing_machine *m);

void typing_view(struct typing_view *out);

/** No period verdict yet, or the last scores favour @p type (strictly highest, above zero):
 *  Policy._physics_allows. */
bool typing_allows(uint8_t type);

#endif /* VMON_DECISION_TYPING_H_ */
