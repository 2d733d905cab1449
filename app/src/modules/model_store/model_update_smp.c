/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Model updates over SMP (mcumgr): vmon's own management group, on whichever SMP transports
 * the build has (the shell's UART on QEMU, Bluetooth on the radio boards).
 *
 *   state  (read,  id 0): {src, ver, slot, err, cap, updates, refused, off}
 *   upload (write, id 1): {off, data[, len when off is 0]} -> {off[, ver when done]}
 *
 * An upload goes into the slot the running model is not in; after its last chunk the node
 * verifies it as at boot, and the processing thread switches to it between two windows. A
 * refusal answers with an SMP version 2 group error whose rc is the payload schema's error
 * code (app/schema/payload.yaml, enum error): errno values differ between C libraries. The
 * client is vmon.firmware.update (`invoke model-update`).
 */

#include <errno.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/mgmt/mcumgr/mgmt/handlers.h>
#include <zephyr/mgmt/mcumgr/mgmt/mgmt.h>
#include <zephyr/mgmt/mcumgr/smp/smp.h>
#include <zephyr/sys/util.h>
#include <mgmt/mcumgr/util/zcbor_bulk.h>
#include <zcbor_decode.h>
#include <zcbor_encode.h>

#include "model_store.h"
#include "processing.h"
#include "reporting.h"

LOG_MODULE_REGISTER(vmon_model_smp, CONFIG_VMON_MODEL_STORE_LOG_LEVEL);

#define GROUP      CONFIG_VMON_MODEL_UPDATE_SMP_GROUP
#define CMD_STATE  0
#define CMD_UPLOAD 1

/* Per-user SMP groups start at 64 (MGMT_GROUP_ID_PERUSER). */
BUILD_ASSERT(GROUP >= MGMT_GROUP_ID_PERUSER, "vmon's SMP group is a per-user group");

static const char *source_name(enum vmon_model_source s)
{
	return s == VMON_MODEL_SOURCE_PARTITION ? "partition"
	       : s == VMON_MODEL_SOURCE_BUILTIN ? "built-in"
						 : "none";
}

static int reply_err(zcbor_state_t *zse, int err)
{
	return smp_add_cmd_err(zse, GROUP, vmon_reporting_error_code(err)) ? MGMT_ERR_EOK
									     : MGMT_ERR_EMSGSIZE;
}

static int state_read(struct smp_streamer *ctxt)
{
	zcbor_state_t *zse = ctxt->writer->zs;
	struct vmon_model_store_status st;
	int err = vmon_model_store_status_get(&st);

	if (err != 0) {
		return reply_err(zse, err);
	}
	bool ok = zcbor_tstr_put_lit(zse, "src") && zcbor_tstr_put_term(zse, source_name(st.source),
									 16) &&
		  zcbor_tstr_put_lit(zse, "ver") && zcbor_uint32_put(zse, st.version) &&
		  zcbor_tstr_put_lit(zse, "slot") && zcbor_int32_put(zse, st.slot) &&
		  zcbor_tstr_put_lit(zse, "err") &&
		  zcbor_uint32_put(zse, vmon_reporting_error_code(st.partition_err)) &&
		  zcbor_tstr_put_lit(zse, "cap") && zcbor_uint32_put(zse, st.capacity) &&
		  zcbor_tstr_put_lit(zse, "updates") && zcbor_uint32_put(zse, st.updates) &&
		  zcbor_tstr_put_lit(zse, "refused") && zcbor_uint32_put(zse, st.refused) &&
		  zcbor_tstr_put_lit(zse, "off") && zcbor_uint32_put(zse, vmon_model_update_offset());

	return ok ? MGMT_ERR_EOK : MGMT_ERR_EMSGSIZE;
}

static int upload_write(struct smp_streamer *ctxt)
{
	zcbor_state_t *zse = ctxt->writer->zs;
	zcbor_state_t *zsd = ctxt->reader->zs;
	struct zcbor_string data = {0};
	size_t off = SIZE_MAX, len = SIZE_MAX, decoded = 0;
	struct zcbor_map_decode_key_val req[] = {
		ZCBOR_MAP_DECODE_KEY_DECODER("off", zcbor_size_decode, &off),
		ZCBOR_MAP_DECODE_KEY_DECODER("data", zcbor_bstr_decode, &data),
		ZCBOR_MAP_DECODE_KEY_DECODER("len", zcbor_size_decode, &len),
	};
	uint32_t version = 0;
	int err;

	if (zcbor_map_decode_bulk(zsd, req, ARRAY_SIZE(req), &decoded) != 0 || off == SIZE_MAX) {
		return MGMT_ERR_EINVAL;
	}
	if (off == 0) {
		err = len == SIZE_MAX ? -EINVAL : vmon_model_update_begin(len);
		if (err != 0) {
			return reply_err(zse, err);
		}
	}
	err = vmon_model_update_write(off, data.value, data.len);
	if (err != 0) {
		return reply_err(zse, err);
	}
	off += data.len;
	bool done = vmon_model_update_complete();

	if (done) {
		struct vmon_model_store_status st;

		err = vmon_model_update_finish(&version);
		if (err == 0) {
			/* The processing thread stops the model and starts the newest valid slot's. */
			err = vmon_processing_model_reload(K_SECONDS(CONFIG_VMON_MODEL_UPDATE_TIMEOUT_S));
		}
		if (err == 0 && (vmon_model_store_status_get(&st) != 0 ||
				 st.source != VMON_MODEL_SOURCE_PARTITION || st.version != version)) {
			/* Verified, but TFLM would not start it: the model before it runs again. */
			err = -ENOEXEC;
		}
		if (err != 0) {
			return reply_err(zse, err);
		}
	}
	bool ok = zcbor_tstr_put_lit(zse, "off") && zcbor_size_put(zse, off) &&
		  (!done || (zcbor_tstr_put_lit(zse, "ver") && zcbor_uint32_put(zse, version)));

	return ok ? MGMT_ERR_EOK : MGMT_ERR_EMSGSIZE;
}

static const struct mgmt_handler handlers[] = {
	[CMD_STATE] = {.mh_read = state_read},
	[CMD_UPLOAD] = {.mh_write = upload_write},
};

static struct mgmt_group group = {
	.mg_handlers = handlers,
	.mg_handlers_count = ARRAY_SIZE(handlers),
	.mg_group_id = GROUP,
};

static void register_group(void)
{
	mgmt_register_group(&group);
}

MCUMGR_HANDLER_DEFINE(vmon_model, register_group);
