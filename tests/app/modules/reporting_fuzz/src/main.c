/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * libFuzzer target: configuration downlinks and BLE configuration writes
 * (vmon_reporting_config(), the generated decoder plus validation and apply), on native_sim
 * with ASan and UBSan. Besides crashes and sanitizer reports, each input is checked for:
 * - a refused record (decoder or validation) changes nothing (zones, hysteresis, machine,
 *   status period, commissioning) and returns the decoder's own error when the decoder refuses it;
 * - an accepted one is applied as decoded, and is the only encoding of its content (the
 *   generated encoder writes the same bytes back: no two byte strings mean one config).
 * A failed check calls abort(): libFuzzer records the input as a crash.
 *
 * The input reaches the kernel through the shared interrupt hand-off (common/fuzz_os.c).
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <zephyr/kernel.h>

#include "decision.h"
#include "fuzz_check.h"
#include "fuzz_os.h"
#include "machine.h"
#include "reporting.h"
#include "reporting_internal.h"
#include "vmon_payload.h"

static const char *const labels[] = {"normal", "inner_race", "ball", "outer_race"};

struct snapshot {
	struct vmon_decision_zones zones;
	uint8_t hyst_n;
	uint8_t hyst_m;
	bool has_bearing;
	struct vmon_env_bearing bearing;
	uint32_t nominal_mhz;
	uint32_t period_s;
	bool learning;
};

static void snap(struct snapshot *s)
{
	struct vmon_decision_status st;
	struct vmon_machine m;

	memset(s, 0, sizeof(*s));
	CHECK(vmon_decision_get_status(&st) == 0, "decision status");
	vmon_machine_get(&m);
	s->zones = st.zones;
	s->hyst_n = st.hyst_n;
	s->hyst_m = st.hyst_m;
	s->learning = st.learning;
	s->has_bearing = m.has_bearing;
	if (m.has_bearing) {
		s->bearing = m.bearing;
	}
	s->nominal_mhz = m.nominal_mhz;
	s->period_s = vmon_reporting_status_period_s();
}

static void one_input(const uint8_t *buf, size_t len)
{
	struct snapshot before, after;
	struct vmon_pl_config c;
	uint8_t again[VMON_PL_MAX_BYTES];
	int dec = vmon_pl_config_decode(buf, len, &c);
	int rc;

	snap(&before);
	rc = vmon_reporting_config(buf, len);
	snap(&after);

	if (dec != 0) {
		CHECK(rc == dec, "decoder refused (%d) but config returned %d", dec, rc);
		CHECK(memcmp(&before, &after, sizeof(before)) == 0, "refused (%d), changed", rc);
		return;
	}
	/* Validation: zones out of order, N of M with 2N <= M or N > M, an impossible bearing or
	 * commissioning length, a speed the estimate cannot search around. */
	if (rc == -EINVAL || rc == -ERANGE || rc == -ENOTSUP) {
		CHECK(memcmp(&before, &after, sizeof(before)) == 0, "refused (%d), changed", rc);
		return;
	}
	CHECK(rc == 0, "unexpected result %d", rc);
	CHECK(vmon_pl_config_encode(&c, again, sizeof(again)) == (int)len &&
		      memcmp(again, buf, len) == 0,
	      "accepted a non-canonical encoding (%zu bytes)", len);
	if (c.has_zones) {
		CHECK(after.zones.ab_um_s == c.zones.ab_um_s &&
			      after.zones.bc_um_s == c.zones.bc_um_s &&
			      after.zones.cd_um_s == c.zones.cd_um_s,
		      "zones not applied");
	}
	if (c.has_hysteresis) {
		CHECK(after.hyst_n == c.hysteresis.n && after.hyst_m == c.hysteresis.m,
		      "hysteresis not applied");
	}
	if (c.has_report) {
		CHECK(after.period_s == c.report.status_period_s, "period not applied");
	}
	if (c.has_bearing) {
		CHECK(after.has_bearing && after.bearing.n_balls == c.bearing.n_balls &&
			      after.bearing.ball_um == c.bearing.ball_um,
		      "bearing not applied");
	}
	if (c.has_speed) {
		CHECK(after.nominal_mhz == c.speed.nominal_mhz, "speed not applied");
	}
	if (c.has_commission) {
		CHECK(after.learning, "re-commissioning not started");
		/* Back to a decided state, so the next inputs see the same starting point. */
		CHECK(vmon_decision_baseline_clear() == 0, "baseline clear");
	}
}

int main(void)
{
	static const struct vmon_decision_config cfg = {
		.n_features = 8,
		.score_zero_point = -128,
		.score_scale = 1.0f / 256.0f,
		.labels = labels,
		.n_labels = ARRAY_SIZE(labels),
	};

	CHECK(vmon_decision_init(&cfg) == 0, "decision init");
	CHECK(vmon_machine_init() == 0, "machine init");
	CHECK(vmon_reporting_config_init() == 0, "config init");

	vmon_fuzz_os_run("config decoder", one_input);
	return 0;
}
