/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Console report: the processing channels as one line per record,
 *
 *   @vmon win {"w":12,"blk":13,"scores":[-128,-128,127,-128],"label":"ball",...}
 *   @vmon event {"type":"state","w":14,"state":"warning","fault":"ball",...}
 *   @vmon status {"w":63,"state":"alarm",...,"cost_ns":{"acquire":...}}
 *
 * JSON objects a host parses line by line (vmon.firmware.device). Integers only: no float
 * formatting in printk (velocity in µm/s, novelty, the window line's mean novelty that the
 * vote compares, and their threshold in Q8: 256 is a mean squared z-score of 1; -1 and 0 when
 * uncommissioned).
 */

#include <stdarg.h>

#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/printk.h>
#include <zephyr/zbus/zbus.h>

#include "console_report.h"
#include "decision.h"
#include "processing.h"

LOG_MODULE_REGISTER(vmon_console_report, CONFIG_VMON_CONSOLE_REPORT_LOG_LEVEL);

/* One record is built here and printed with one printk, so the shell's prompt or a log
 * line cannot land inside it. Listeners run in the publishing thread, one at a time. */
K_MUTEX_DEFINE(vmon_console_lock);
static char line[768];
static size_t used;

static void add(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	int n = vsnprintk(&line[used], sizeof(line) - used, fmt, ap);

	va_end(ap);
	if (n > 0) {
		used = MIN(used + (size_t)n, sizeof(line) - 1);
	}
}

static void flush(void)
{
	if (used == sizeof(line) - 1) {
		LOG_WRN("record truncated");
	}
	(void)k_mutex_lock(&vmon_console_lock, K_FOREVER);
	printk("%s", line);
	(void)k_mutex_unlock(&vmon_console_lock);
	used = 0;
	line[0] = '\0';
}

static void print_window(const struct vmon_window_msg *m)
{
	const struct vmon_decision_output *d = &m->decision;

	if (m->model_ran) {
		add("@vmon win {\"w\":%u,\"blk\":%u,\"scores\":[%d,%d,%d,%d],\"label\":\"%s\","
		       "\"conf\":%u,",
		       m->window, m->last_block_seq, m->scores[0], m->scores[1], m->scores[2],
		       m->scores[3], vmon_label_str(d->label), d->confidence_permille);
	} else {
		add("@vmon win {\"w\":%u,\"blk\":%u,\"scores\":null,\"label\":null,\"conf\":0,",
		       m->window, m->last_block_seq);
	}
	add("\"vote\":\"%s\",\"state\":\"%s\",\"fault\":\"%s\",\"src\":\"%s\","
	       "\"fconf\":%u,\"spd_mhz\":%u,\"band\":%d,\"zone\":\"%s\","
	       "\"vel_um_s\":%u,\"nov_q8\":%d,\"nov_avg_q8\":%d,\"thr_q8\":%u,\"comm\":%u,"
	       "\"causes\":%u,\"fb\":%u}\n",
	       vmon_decision_state_str(d->vote), vmon_decision_state_str(d->state),
	       vmon_fault_str(d->fault), vmon_fault_source_str(d->fault_source),
	       d->fault_confidence_permille, d->speed_mhz, d->band_k1, vmon_zone_str(d->zone),
	       d->velocity_um_s, d->novelty_q8, d->novelty_avg_q8, d->threshold_q8,
	       d->commissioned ? 1U : 0U,
	       d->causes, d->fallback);
	flush();
}

static void print_event(const struct vmon_event_msg *e)
{
	add("@vmon event {\"type\":\"%s\",\"w\":%u,\"state\":\"%s\",\"fault\":\"%s\","
	       "\"detail\":%d}\n",
	       vmon_event_type_str(e->type), e->window, vmon_decision_state_str(e->state),
	       vmon_fault_str(e->fault), e->detail);
	flush();
}

static void print_status(const struct vmon_status_msg *s)
{
	const struct vmon_processing_counters *c = &s->counters;

	add("@vmon status {\"w\":%u,\"state\":\"%s\",\"fault\":\"%s\",\"src\":\"%s\","
	       "\"fconf\":%u,\"spd_mhz\":%u,\"zone\":\"%s\","
	       "\"vel_um_s\":%u,\"nov_q8\":%d,\"thr_q8\":%u,\"comm\":%u,\"label\":\"%s\","
	       "\"conf\":%u,\"model_err\":%d,",
	       s->window, vmon_decision_state_str(s->last.state), vmon_fault_str(s->last.fault),
	       vmon_fault_source_str(s->last.fault_source), s->last.fault_confidence_permille,
	       s->last.speed_mhz, vmon_zone_str(s->last.zone), s->last.velocity_um_s, s->last.novelty_q8,
	       s->last.threshold_q8, s->last.commissioned ? 1U : 0U, vmon_label_str(s->last.label),
	       s->last.confidence_permille, s->model_err);
	add("\"blocks\":%u,\"windows\":%u,\"restarts\":%u,\"saturated\":%u,\"stuck\":%u,"
	       "\"fallback\":%u,\"model_errors\":%u,\"dropped\":%u,\"overruns\":%u,"
	       "\"bad_frames\":%u,\"seq_missing\":%u,",
	       c->blocks, c->windows, c->restarts, c->saturated, c->stuck, c->fallback,
	       c->model_errors, c->dropped, s->overruns, s->bad_frames, s->seq_missing);
	add("\"cost_ns\":{\"acquire\":%u,\"features\":%u,\"inference\":%u,\"decision\":%u}}\n",
	       s->cost[VMON_STAGE_ACQUIRE].mean_ns, s->cost[VMON_STAGE_FEATURES].mean_ns,
	       s->cost[VMON_STAGE_INFERENCE].mean_ns, s->cost[VMON_STAGE_DECISION].mean_ns);
	flush();
}

static void report_cb(const struct zbus_channel *chan)
{
	if (chan == &VMON_WINDOW_CHAN) {
		if (IS_ENABLED(CONFIG_VMON_CONSOLE_REPORT_WINDOWS)) {
			print_window(zbus_chan_const_msg(chan));
		}
	} else if (chan == &VMON_EVENT_CHAN) {
		print_event(zbus_chan_const_msg(chan));
	} else if (chan == &VMON_STATUS_CHAN) {
		print_status(zbus_chan_const_msg(chan));
	}
}

ZBUS_LISTENER_DEFINE(vmon_console_report, report_cb);
ZBUS_CHAN_ADD_OBS(VMON_WINDOW_CHAN, vmon_console_report, 0);
ZBUS_CHAN_ADD_OBS(VMON_EVENT_CHAN, vmon_console_report, 0);
ZBUS_CHAN_ADD_OBS(VMON_STATUS_CHAN, vmon_console_report, 0);
