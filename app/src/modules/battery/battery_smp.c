/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The low-battery policy for Zephyr's SMP image group (CONFIG_VMON_BATTERY_SMP_GATE): its
 * writes (an upload chunk, an erase, a test or confirm mark) write the image slots from
 * Zephyr's code, where no vmon call site can check the level. Refused while CRITICAL.
 */

#include <zephyr/init.h>
#include <zephyr/logging/log.h>
#include <zephyr/mgmt/mcumgr/mgmt/callbacks.h>
#include <zephyr/mgmt/mcumgr/mgmt/mgmt_defines.h>

#include "battery.h"

LOG_MODULE_REGISTER(vmon_battery_smp, CONFIG_VMON_BATTERY_LOG_LEVEL);

static enum mgmt_cb_return smp_gate(uint32_t event, enum mgmt_cb_return prev_status, int32_t *rc,
				    uint16_t *group, bool *abort_more, void *data,
				    size_t data_size)
{
	const struct mgmt_evt_op_cmd_arg *cmd = data;

	ARG_UNUSED(event);
	ARG_UNUSED(group);
	ARG_UNUSED(abort_more);
	if (prev_status != MGMT_CB_OK || data_size != sizeof(*cmd) ||
	    cmd->group != MGMT_GROUP_ID_IMAGE || cmd->op != MGMT_OP_WRITE ||
	    vmon_battery_flash_gate() == 0) {
		return MGMT_CB_OK;
	}
	LOG_WRN("SMP image command %u refused: battery %s", cmd->id,
		vmon_battery_level_str(vmon_battery_level()));
	*rc = MGMT_ERR_EBUSY;
	return MGMT_CB_ERROR_RC;
}

static struct mgmt_callback smp_gate_cb = {
	.callback = smp_gate,
	.event_id = MGMT_EVT_OP_CMD_RECV,
};

static int battery_smp_init(void)
{
	mgmt_callback_register(&smp_gate_cb);
	return 0;
}

SYS_INIT(battery_smp_init, APPLICATION, CONFIG_APPLICATION_INIT_PRIORITY);
