/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * `vmon status | stats | baseline learn|clear|show | model info`: the measurement cycle
 * (processing), the decision module and the model, for operators and commissioning.
 */

#include <errno.h>
#include <stdlib.h>

#include <zephyr/kernel.h>
#include <zephyr/shell/shell.h>

#include <vmon/features.h>
#include <vmon/model.h>

#include "decision.h"
#include "fota.h"
#include "model_store.h"
#include "processing.h"
#include "sampling.h"

/* Integers only: the product's printf has neither float nor long long
 * (CONFIG_CBPRINTF_REDUCED_INTEGRAL). */
static void print_commissioning(const struct shell *sh, const struct vmon_decision_status *ds)
{
	if (ds->commissioned) {
		shell_print(sh, "commissioning: commissioned (%u windows) novelty_threshold_q8: %u "
			    "classifier: %s%s",
			    ds->learned_windows, ds->threshold_q8,
			    ds->classifier_validated ? "validated" : "not validated",
			    ds->learning ? " (learning)" : "");
	} else {
		shell_print(sh, "commissioning: uncommissioned (only the zones vote)%s",
			    ds->learning ? " (learning)" : "");
	}
}

static int cmd_status(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	struct vmon_status_msg st;
	struct vmon_decision_status ds;
	int err = vmon_processing_status_get(&st);

	if (err == -EAGAIN) {
		shell_print(sh, "no window processed yet");
		return 0;
	}
	if (err != 0 || vmon_decision_get_status(&ds) != 0) {
		shell_error(sh, "status unavailable (%d)", err);
		return -EIO;
	}
	shell_print(sh, "state: %s fault: %s", vmon_decision_state_str(ds.state),
		    vmon_fault_str(ds.fault));
	if (ds.typing) {
		/* Where the type comes from, and the shaft rate the typing reads lines at. */
		shell_print(sh, "typing: source %s confidence_permille %u speed_mhz %u",
			    ds.fault_source == VMON_FAULT_SOURCE_NONE
				    ? "none"
				    : vmon_fault_source_str(ds.fault_source),
			    ds.fault_confidence_permille, ds.speed_mhz);
	} else {
		shell_print(sh, "typing: not built in (no fault type is named)");
	}
	shell_print(sh, "window: %u zone: %s velocity_um_s: %u", st.window,
		    vmon_zone_str(st.last.zone), st.last.velocity_um_s);
	shell_print(sh, "label: %s confidence_permille: %u",
		    st.last.fallback & VMON_DECISION_FB_MODEL_UNAVAILABLE ? "none"
									   : vmon_label_str(st.last.label),
		    st.last.confidence_permille);
	shell_print(sh, "novelty_q8: %d novelty_avg_q8: %d threshold_q8: %u", st.last.novelty_q8,
		    st.last.novelty_avg_q8, st.last.threshold_q8);
	shell_print(sh, "fallback: 0x%02x model_err: %d", st.last.fallback, st.model_err);
	print_commissioning(sh, &ds);
	return 0;
}

static int cmd_stats(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	struct vmon_status_msg st;
	struct vmon_sampling_stats ss;
	int err = vmon_processing_status_get(&st);

	vmon_sampling_stats_get(&ss);
	shell_print(sh, "sampling: blocks %u overruns %u bad_crc %u bad_length %u seq_gaps %u "
		    "seq_missing %u sync_skipped %u",
		    ss.blocks, ss.overruns, ss.bad_crc, ss.bad_length, ss.seq_gaps,
		    ss.seq_missing, ss.sync_skipped);
	shell_print(sh, "sensor: faults %u state 0x%02x causes 0x%02x fifo_overflows %u "
		    "samples_lost %u bus_errors %u spurious_irqs %u restarts %u",
		    ss.faults, ss.fault_state, ss.fault_causes, ss.fifo_overflows,
		    ss.samples_lost, ss.bus_errors, ss.spurious_irqs, ss.restarts);
	if (err != 0) {
		shell_print(sh, "processing: no window yet");
		return 0;
	}
	const struct vmon_processing_counters *c = &st.counters;

	shell_print(sh, "processing: blocks %u windows %u restarts %u saturated %u stuck %u "
		    "fallback %u model_errors %u dropped %u",
		    c->blocks, c->windows, c->restarts, c->saturated, c->stuck, c->fallback,
		    c->model_errors, c->dropped);
	for (int s = 0; s < VMON_STAGE_COUNT; s++) {
		shell_print(sh, "cost %s: mean %u ns (%u cycles) max %u ns", vmon_stage_str(s),
			    st.cost[s].mean_ns, (uint32_t)st.cost[s].mean_cycles,
			    st.cost[s].max_ns);
	}
	return 0;
}

static int cmd_baseline_learn(const struct shell *sh, size_t argc, char **argv)
{
	unsigned long n = 0;

	if (argc > 1) {
		char *end;

		n = strtoul(argv[1], &end, 10);
		if (*argv[1] == '\0' || *end != '\0') {
			shell_error(sh, "windows must be a number, got '%s'", argv[1]);
			return -EINVAL;
		}
	}
	int err = vmon_decision_baseline_learn((uint32_t)n);

	if (err != 0) {
		shell_error(sh, "cannot learn a baseline from %lu windows (%d)", n, err);
		return err;
	}
	struct vmon_decision_status ds;

	(void)vmon_decision_get_status(&ds);
	shell_print(sh, "learning a baseline from the next %u windows", ds.learn_target);
	return 0;
}

static int cmd_baseline_clear(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	int err = vmon_decision_baseline_clear();

	if (err != 0) {
		shell_error(sh, "baseline not cleared (%d)", err);
		return err;
	}
	shell_print(sh, "baseline cleared: uncommissioned, only the zones vote");
	return 0;
}

static int cmd_baseline_show(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	struct vmon_decision_status ds;
	static int32_t mean[VMON_DECISION_FEATURES_MAX];
	static uint32_t var[VMON_DECISION_FEATURES_MAX];
	int err = vmon_decision_get_status(&ds);

	if (err != 0) {
		shell_error(sh, "decision not ready (%d)", err);
		return err;
	}
	print_commissioning(sh, &ds);
	shell_print(sh, "load_err: %d save_err: %d records_rejected: %u", ds.load_err,
		    ds.save_err, ds.records_rejected);
	if (ds.learning) {
		shell_print(sh, "learning: %u of %u windows (%u skipped)", ds.learn_done,
			    ds.learn_target, ds.learn_skipped);
	}
	size_t n = vmon_features_count();

	err = vmon_decision_baseline_get(mean, var, n);
	if (err != 0) {
		return 0;
	}
	for (size_t i = 0; i < n; i++) {
		shell_print(sh, "f%02u mean_q8 %d var %u", (unsigned int)i, mean[i], var[i]);
	}
	return 0;
}

/* Which model runs and what the model partition holds (model store). */
static void print_model_store(const struct shell *sh, uint32_t version)
{
	struct vmon_model_store_status ms;

	if (vmon_model_store_status_get(&ms) != 0) {
		return;
	}
	shell_print(sh, "source %s version %u",
		    ms.source == VMON_MODEL_SOURCE_PARTITION ? "partition" : "built-in",
		    (unsigned int)version);
	shell_print(sh, "partition %d x %u B: %s (%d) slot %d", VMON_MODEL_STORE_SLOTS,
		    (unsigned int)ms.capacity,
		    ms.partition_err == 0         ? "runs"
		    : ms.partition_err == -ENOENT ? "empty"
						  : "refused",
		    ms.partition_err, ms.slot);
	shell_print(sh, "updates %u refused %u", (unsigned int)ms.updates,
		    (unsigned int)ms.refused);
}

static int cmd_model_info(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	struct vmon_model_info info;
	struct vmon_status_msg st;
	int err = vmon_model_get_info(&info);

	if (err != 0) {
		int why = vmon_processing_status_get(&st) == 0 ? st.model_err : err;

		shell_print(sh, "model: not loaded (%d): deciding on velocity zones only", why);
		return 0;
	}
	shell_print(sh, "model %s", info.name);
	if (IS_ENABLED(CONFIG_VMON_MODEL_STORE)) {
		print_model_store(sh, info.version);
	}
	shell_print(sh, "sha256 %s", info.sha256);
	shell_print(sh, "features %s", info.feature_hash);
	shell_print(sh, "bytes %u arena %u used %u peak %u", (unsigned int)info.model_bytes,
		    (unsigned int)info.arena_bytes, (unsigned int)info.arena_used,
		    (unsigned int)info.arena_min);
	shell_print(sh, "inputs %u outputs %u", (unsigned int)info.n_inputs,
		    (unsigned int)info.n_outputs);
	for (size_t i = 0; i < info.n_outputs; i++) {
		shell_print(sh, "label %u %s", (unsigned int)i, info.labels[i]);
	}
	return 0;
}

SHELL_STATIC_SUBCMD_SET_CREATE(vmon_baseline_cmds,
	SHELL_CMD_ARG(learn, NULL, "Learn the baseline from the next [windows] windows",
		      cmd_baseline_learn, 1, 1),
	SHELL_CMD(clear, NULL, "Forget the learned baseline", cmd_baseline_clear),
	SHELL_CMD(show, NULL, "Baseline source and per-feature mean/variance",
		  cmd_baseline_show),
	SHELL_SUBCMD_SET_END);

SHELL_STATIC_SUBCMD_SET_CREATE(vmon_model_cmds,
	SHELL_CMD(info, NULL, "Loaded model: name, source, hashes, sizes, labels",
		  cmd_model_info),
	SHELL_SUBCMD_SET_END);

#if defined(CONFIG_VMON_FOTA)
/* The running image's state and the uploads refused for another board (fota module). */
static int cmd_image(const struct shell *sh, size_t argc, char **argv)
{
	ARG_UNUSED(argc);
	ARG_UNUSED(argv);
	shell_print(sh, "image %s, takes %s images from %s",
		    vmon_fota_status_str(vmon_fota_status()), CONFIG_VMON_FOTA_IMAGE_CLASS,
		    CONFIG_VMON_FOTA_IMAGE_VENDOR);
	shell_print(sh, "uploads refused %u", (unsigned int)vmon_fota_images_refused());
	return 0;
}

SHELL_SUBCMD_ADD((vmon), image, NULL, "Firmware image: state, board, refused uploads",
		 cmd_image, 1, 0);
#endif

SHELL_SUBCMD_ADD((vmon), status, NULL, "Node state, zone, scores, fallback", cmd_status, 1, 0);
SHELL_SUBCMD_ADD((vmon), stats, NULL, "Counters and per-stage cost", cmd_stats, 1, 0);
SHELL_SUBCMD_ADD((vmon), baseline, &vmon_baseline_cmds, "Commissioning baseline", NULL, 2, 0);
SHELL_SUBCMD_ADD((vmon), model, &vmon_model_cmds, "Model commands", NULL, 2, 0);
