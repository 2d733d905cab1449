/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Console transport (CONFIG_VMON_REPORTING_CONSOLE): each record as one line,
 *
 *   @vmon up {"seq":12,"fport":1,"confirmed":1,"hex":"1107005d..."}
 *
 * the bytes a radio would send, for QEMU and the host tests (vmon.firmware.device decodes
 * them with vmon.codec). A printed line counts as delivered.
 */

#include <zephyr/kernel.h>
#include <zephyr/sys/printk.h>

#include "console_report.h"
#include "reporting.h"
#include "vmon_payload.h"

extern const struct vmon_transport vmon_transport_console;

static int console_send(const struct vmon_report_record *rec)
{
	char hex[2 * VMON_PL_MAX_BYTES + 1];
	size_t n = bin2hex(rec->data, rec->len, hex, sizeof(hex));

	if (n != 2U * rec->len) {
		return -EMSGSIZE;
	}
	(void)k_mutex_lock(&vmon_console_lock, K_FOREVER);
	printk("@vmon up {\"seq\":%u,\"fport\":%u,\"confirmed\":%u,\"hex\":\"%s\"}\n", rec->seq,
	       rec->fport, rec->confirmed ? 1U : 0U, hex);
	(void)k_mutex_unlock(&vmon_console_lock);
	vmon_reporting_sent(&vmon_transport_console, rec->seq, 0);
	return 0;
}

VMON_TRANSPORT_DEFINE(console, NULL, console_send);
