/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Reporting (reporting.h): the processing channels as payload records, stored, then sent.
 *
 * A zbus listener (processing thread) only maps an event to its record's fields and hands it
 * over; the reporting loop (vmon_reporting_run(), in the main thread once the node is up)
 * encodes, stores and sends, and takes a status and telemetry record from the processing
 * status every status period, so a slow flash write or radio never delays a window.
 * Delivery is a small state machine:
 *
 *   IDLE ──record waiting, a transport takes it──▶ SENDING ──delivered──▶ IDLE (pop)
 *     ▲                                              │ failed / no answer in time
 *     └────────────── back-off elapsed ◀── BACKOFF ◀─┘  (and when no transport can take it)
 */

#include <errno.h>
#include <string.h>

#include <zephyr/devicetree.h>
#include <zephyr/fatal.h>
#include <zephyr/init.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/smf.h>
#include <zephyr/storage/flash_map.h>
#include <zephyr/sys/util.h>
#include <zephyr/zbus/zbus.h>

#include "battery.h"
#include "health.h"
#include "processing.h"
#include "queue.h"
#include "reporting.h"
#include "reporting_internal.h"

LOG_MODULE_REGISTER(vmon_reporting, CONFIG_VMON_REPORTING_LOG_LEVEL);

#define QUEUE_NODE DT_CHOSEN(vmon_report_queue)
BUILD_ASSERT(DT_NODE_EXISTS(QUEUE_NODE),
	     "reporting needs a flash partition for its queue: chosen vmon,report-queue");

#define BACKOFF_MIN_MS 1000U
#define BACKOFF_MAX_MS (CONFIG_VMON_REPORTING_BACKOFF_MAX_S * 1000U)
/* While the battery forbids flash writes: when to look again (its level changes only when
 * it is measured). */
#if defined(CONFIG_VMON_BATTERY)
#define BATTERY_RECHECK_MS (CONFIG_VMON_BATTERY_PERIOD_S * 1000LL)
#else
#define BATTERY_RECHECK_MS 0LL
#endif

BUILD_ASSERT((int)VMON_EVENT_STATE == (int)VMON_PL_EVENT_KIND_STATE &&
		     (int)VMON_EVENT_BASELINE == (int)VMON_PL_EVENT_KIND_BASELINE &&
		     (int)VMON_EVENT_MODEL_UPDATE == (int)VMON_PL_EVENT_KIND_MODEL_UPDATE,
	     "event kinds follow processing.h");
BUILD_ASSERT((int)VMON_RESET_UNKNOWN == (int)VMON_PL_RESET_CAUSE_UNKNOWN &&
		     (int)VMON_RESET_OTHER == (int)VMON_PL_RESET_CAUSE_OTHER &&
		     (int)VMON_RESET_WATCHDOG == (int)VMON_PL_RESET_CAUSE_WATCHDOG &&
		     (int)VMON_THREAD_OTHER == (int)VMON_PL_THREAD_OTHER &&
		     (int)VMON_THREAD_LORAWAN == (int)VMON_PL_THREAD_LORAWAN &&
		     (int)K_ERR_KERNEL_PANIC + 1 == (int)VMON_PL_FATAL_PANIC,
	     "the reset enums follow health.h and the kernel's K_ERR_* reasons");
BUILD_ASSERT((int)VMON_FAULT_UNKNOWN == (int)VMON_PL_FAULT_UNKNOWN &&
		     (int)VMON_FAULT_SOURCE_CLASSIFIER == (int)VMON_PL_FAULT_SOURCE_CLASSIFIER &&
		     (int)VMON_DECISION_ALARM == (int)VMON_PL_STATE_ALARM &&
		     (int)VMON_ZONE_D == (int)VMON_PL_ZONE_D,
	     "the payload enums follow decision.h");
BUILD_ASSERT(VMON_PL_STATUS_BATTERY_MV_NONE == 0, "battery.h's unknown voltage (0) is null");

/* The last reset (health module), handed over once after boot (main thread, as the loop):
 * reset_state 0 none yet, 1 to store, 2 stored. Status records carry its cause and count. */
static struct vmon_reset_msg reset;
static atomic_t reset_state;

/* Events handed over by the listener; the reporting loop takes them. */
K_MSGQ_DEFINE(event_q, sizeof(struct vmon_pl_event), CONFIG_VMON_REPORTING_EVENT_QUEUE, 4);
static K_SEM_DEFINE(wake, 0, 1);

enum rep_state { REP_IDLE, REP_SENDING, REP_BACKOFF };

static struct {
	struct smf_ctx ctx; /* first: SMF_CTX() */
	int64_t next_status_ms;
	int64_t deadline_ms; /* SENDING: the outcome's; BACKOFF: the retry's */
	struct vmon_rq_rec rec; /* the record in flight */
	const struct vmon_transport *owner;
	int outcome; /* of the record in flight; 1: none yet */
	uint32_t backoff_ms;
	uint32_t delivered, send_errors, encode_errors, events_lost, too_large;
	int init_err;
	uint32_t transports_down; /* bit i: the i-th transport did not start */
	bool started;
} r = {.outcome = 1, .init_err = -EAGAIN};

static const struct smf_state rep_states[];

static uint8_t pct(uint16_t permille)
{
	return (uint8_t)MIN((permille + 5U) / 10U, 100U);
}

static uint32_t uptime_s(void)
{
	return (uint32_t)MIN((uint64_t)k_uptime_get() / 1000U, UINT32_MAX);
}

/* The schema's portable error codes of the errno values the node reports (docs/reporting.md):
 * errno numbers differ between C libraries (picolibc on the node, glibc on native_sim), so
 * they never go on the air. A table, not a switch: errno values are sparse. */
static const uint8_t err_codes[][2] = {
	{EINVAL, VMON_PL_ERROR_INVALID},      {ERANGE, VMON_PL_ERROR_RANGE},
	{ENOTSUP, VMON_PL_ERROR_UNSUPPORTED}, {ENOMSG, VMON_PL_ERROR_UNSUPPORTED},
	{EMSGSIZE, VMON_PL_ERROR_LENGTH},     {EBADMSG, VMON_PL_ERROR_MALFORMED},
	{ENOMEM, VMON_PL_ERROR_NO_MEMORY},    {ENOBUFS, VMON_PL_ERROR_NO_MEMORY},
	{ENOSPC, VMON_PL_ERROR_NO_MEMORY},    {EIO, VMON_PL_ERROR_IO},
	{EBUSY, VMON_PL_ERROR_BUSY},          {EAGAIN, VMON_PL_ERROR_BUSY},
	{EALREADY, VMON_PL_ERROR_BUSY},       {ETIMEDOUT, VMON_PL_ERROR_TIMEOUT},
	{ENOENT, VMON_PL_ERROR_NOT_FOUND},    {ENODEV, VMON_PL_ERROR_NOT_FOUND},
	{EPERM, VMON_PL_ERROR_DENIED},        {EACCES, VMON_PL_ERROR_DENIED},
	{ENOEXEC, VMON_PL_ERROR_INCOMPATIBLE},
};
BUILD_ASSERT(ENOTSUP <= UINT8_MAX && ENOMSG <= UINT8_MAX && EMSGSIZE <= UINT8_MAX &&
		     EBADMSG <= UINT8_MAX && ENOBUFS <= UINT8_MAX && EALREADY <= UINT8_MAX &&
		     ETIMEDOUT <= UINT8_MAX && ENOEXEC <= UINT8_MAX,
	     "err_codes holds errno values in a byte");

uint8_t vmon_reporting_error_code(int err)
{
	if (err >= 0) {
		return VMON_PL_ERROR_NONE;
	}
	for (size_t i = 0; i < ARRAY_SIZE(err_codes); i++) {
		if (err_codes[i][0] == -err) {
			return err_codes[i][1];
		}
	}
	return VMON_PL_ERROR_OTHER;
}

/* --- listener: processing thread, copies only ---------------------------------------- */

static void report_cb(const struct zbus_channel *chan)
{
	const struct vmon_event_msg *e = zbus_chan_const_msg(chan);
	struct vmon_pl_event ev = {
		.kind = (uint8_t)e->type,
		.state = (uint8_t)e->state,
		.fault = (uint8_t)e->fault,
		.source = (uint8_t)e->fault_source,
		.confidence_pct = pct(e->fault_confidence_permille),
		.uptime_s = uptime_s(),
		/* A model that does not start: its error code, negated (fallback bits are >= 0). */
		.detail = e->type == VMON_EVENT_MODEL_FAULT && e->detail < 0
				  ? -(int32_t)vmon_reporting_error_code(e->detail)
				  : e->detail,
	};

	if (r.init_err != 0 || k_msgq_put(&event_q, &ev, K_NO_WAIT) != 0) {
		/* No queue, or the reporting loop is stalled: lost, and counted as dropped. */
		r.events_lost++;
		return;
	}
	k_sem_give(&wake);
}

void vmon_reporting_reset_put(const struct vmon_reset_msg *m)
{
	if (atomic_get(&reset_state) == 0) {
		reset = *m;
		atomic_set(&reset_state, 1);
		k_sem_give(&wake);
	}
}

ZBUS_LISTENER_DEFINE(vmon_reporting, report_cb);
ZBUS_CHAN_ADD_OBS(VMON_EVENT_CHAN, vmon_reporting, 1);

/* --- reporting loop: encode, store --------------------------------------------------- */

/* Encode with the queue's next sequence number (written into @p msg) and store. */
static void store(uint8_t type, bool confirmed, void *msg)
{
	struct vmon_rq_rec rec = {.seq = vmon_rq_next_seq()};
	uint16_t seq = (uint16_t)rec.seq;
	int n;

	if (type == VMON_PL_EVENT_TYPE) {
		((struct vmon_pl_event *)msg)->seq = seq;
		n = vmon_pl_event_encode(msg, rec.data, sizeof(rec.data));
	} else if (type == VMON_PL_STATUS_TYPE) {
		((struct vmon_pl_status *)msg)->seq = seq;
		n = vmon_pl_status_encode(msg, rec.data, sizeof(rec.data));
	} else if (type == VMON_PL_TELEMETRY_TYPE) {
		((struct vmon_pl_telemetry *)msg)->seq = seq;
		n = vmon_pl_telemetry_encode(msg, rec.data, sizeof(rec.data));
	} else {
		((struct vmon_pl_crash *)msg)->seq = seq;
		n = vmon_pl_crash_encode(msg, rec.data, sizeof(rec.data));
	}
	if (n < 0) {
		r.encode_errors++;
		LOG_ERR("record type %u not encoded (%d)", type, n);
		return;
	}
	rec.len = (uint8_t)n;
	rec.flags = confirmed ? VMON_RQ_CONFIRMED : 0U;
	(void)vmon_rq_push(&rec); /* a failure is counted and logged by the queue */
}

static __attribute__((noinline)) bool learning(void)
{
	struct vmon_decision_status dst;

	return vmon_decision_get_status(&dst) == 0 && dst.learning;
}

/*
 * The status and telemetry records of the latest processing status: -EAGAIN before the first
 * window. Its own frame (the processing status is large) ends before the records are stored:
 * the main thread's stack holds the flash write path after it.
 */
static __attribute__((noinline)) int build_status(struct vmon_pl_status *st_out,
						   struct vmon_pl_telemetry *t_out)
{
	struct vmon_status_msg s;
	struct vmon_reporting_status rs;

	if (vmon_processing_status_get(&s) != 0) {
		return -EAGAIN;
	}
	vmon_reporting_status_get(&rs);

	const struct vmon_decision_output *d = &s.last;
	const struct vmon_processing_counters *c = &s.counters;
	*st_out = (struct vmon_pl_status){
		.uptime_s = uptime_s(),
		.boots = (uint8_t)rs.boots,
		.state = (uint8_t)d->state,
		.fault = (uint8_t)d->fault,
		.source = (uint8_t)d->fault_source,
		.confidence_pct = pct(d->fault_confidence_permille),
		.zone = (uint8_t)d->zone,
		.commissioned = d->commissioned ? 1U : 0U,
		.learning = learning() ? 1U : 0U,
		.fallback = (uint8_t)(d->fallback & 0x3FU),
		.model_err = vmon_reporting_error_code(s.model_err),
		.velocity_um_s = d->velocity_um_s,
		.novelty_avg_q8 = d->novelty_avg_q8 < 0 ? VMON_PL_STATUS_NOVELTY_AVG_Q8_NONE
							: (uint32_t)d->novelty_avg_q8,
		.threshold_q8 = d->threshold_q8,
		.speed_mhz = d->speed_mhz,
		/* The battery module's last good value; 0 (none) without it or before one. */
		.battery_mv = vmon_battery_mv(),
		.queue_depth = rs.depth,
		.queue_dropped = rs.dropped,
		.windows = c->windows,
		.config_seq = rs.config_seq,
		.config_err = vmon_reporting_error_code(rs.config_err),
		/* Zero (unknown, none) until the health module hands the last reset over. */
		.reset_cause = reset.cause,
		.resets = reset.resets,
	};
	*t_out = (struct vmon_pl_telemetry){
		.uptime_s = st_out->uptime_s,
		.blocks = c->blocks,
		.restarts = c->restarts,
		.saturated = c->saturated,
		.stuck = c->stuck,
		.fallback = c->fallback,
		.model_errors = c->model_errors,
		.dropped = c->dropped,
		.overruns = s.overruns,
		.bad_frames = s.bad_frames,
		.seq_missing = s.seq_missing,
		.acquire_us = s.cost[VMON_STAGE_ACQUIRE].mean_ns / 1000U,
		.features_us = s.cost[VMON_STAGE_FEATURES].mean_ns / 1000U,
		.inference_us = s.cost[VMON_STAGE_INFERENCE].mean_ns / 1000U,
		.decision_us = s.cost[VMON_STAGE_DECISION].mean_ns / 1000U,
		.send_errors = rs.send_errors,
	};

	return 0;
}

static void store_status(void)
{
	struct vmon_pl_status st;
	struct vmon_pl_telemetry t;

	if (build_status(&st, &t) != 0) {
		return;
	}
	store(VMON_PL_STATUS_TYPE, false, &st);
	store(VMON_PL_TELEMETRY_TYPE, false, &t);
	/* A low battery spaces the periodic records out (scale 1 when OK). */
	r.next_status_ms = k_uptime_get() + (int64_t)vmon_reporting_status_period_s() * 1000 *
						    vmon_battery_interval_scale();
}

/* A watchdog, fault or brownout reset: an event; the first two with their crash record. */
static __attribute__((noinline)) void store_reset(void)
{
	const struct vmon_reset_msg *m = &reset;
	uint8_t c = m->cause;

	if (!vmon_reset_is_abnormal(c)) {
		return;
	}
	struct vmon_pl_event ev = {
		.kind = VMON_PL_EVENT_KIND_RESET,
		.uptime_s = uptime_s(),
		.detail = c,
	};

	store(VMON_PL_EVENT_TYPE, true, &ev);
	if (!vmon_reset_has_record(c)) {
		return;
	}
	struct vmon_reporting_status rs;

	vmon_reporting_status_get(&rs);
	struct vmon_pl_crash cr = {
		.boots = (uint8_t)rs.boots,
		.cause = c,
		.fatal = MIN(m->fatal, (uint8_t)VMON_PL_FATAL_OTHER),
		.thread = m->thread,
		.pc = m->pc,
		.lr = m->lr,
		.uptime_s = m->uptime_s,
		.resets = m->resets,
	};

	store(VMON_PL_CRASH_TYPE, false, &cr);
}

static void take_inputs(void)
{
	struct vmon_pl_event ev;

	if (!vmon_battery_flash_write_ok()) {
		/* Nothing is stored below a safe voltage: events wait in event_q (RAM), the status
		 * and the reset record until a measurement allows writes again. */
		r.next_status_ms = MAX(r.next_status_ms, k_uptime_get() + BATTERY_RECHECK_MS);
		return;
	}
	if (atomic_cas(&reset_state, 1, 2)) {
		store_reset();
	}
	while (k_msgq_get(&event_q, &ev, K_NO_WAIT) == 0) {
		store(VMON_PL_EVENT_TYPE, true, &ev);
	}
	if (k_uptime_get() >= r.next_status_ms) {
		r.next_status_ms = k_uptime_get() + MSEC_PER_SEC; /* until the first window */
		store_status();
	}
}

/* --- reporting loop: delivery state machine ---------------------------------------------- */

/* Offer the oldest record to each transport in turn: 0 one took it, else why none did. */
static int offer(void)
{
	int err = vmon_rq_peek(&r.rec);
	int why = -ENOTCONN;

	if (err != 0) {
		return err;
	}
	struct vmon_report_record rec = {
		.seq = r.rec.seq,
		.type = (uint8_t)(r.rec.data[0] >> 4),
		.confirmed = (r.rec.flags & VMON_RQ_CONFIRMED) != 0U,
		.len = r.rec.len,
		.data = r.rec.data,
	};

	rec.fport = rec.type == VMON_PL_EVENT_TYPE       ? VMON_PL_EVENT_FPORT
		    : rec.type == VMON_PL_STATUS_TYPE    ? VMON_PL_STATUS_FPORT
		    : rec.type == VMON_PL_TELEMETRY_TYPE ? VMON_PL_TELEMETRY_FPORT
							 : VMON_PL_CRASH_FPORT;
	uint32_t i = 0;

	STRUCT_SECTION_FOREACH(vmon_transport, t) {
		if ((r.transports_down & BIT(i++)) != 0U) {
			continue; /* its init failed */
		}
		r.owner = t;
		r.outcome = 1;
		r.deadline_ms = k_uptime_get() + CONFIG_VMON_REPORTING_SEND_TIMEOUT_S * 1000LL;
		err = t->send(&rec);
		if (err == 0) {
			return 0;
		}
		r.owner = NULL;
		if (err == -EMSGSIZE) {
			why = err;
		} else if (err != -ENOTCONN && err != -EBUSY) {
			r.send_errors++;
			why = err;
		} else if (why == -ENOTCONN) {
			why = err;
		}
	}
	if (why == -EMSGSIZE && !rec.confirmed) {
		/* Too large for every link at its data rate now: status and telemetry are dropped
		 * (the next period brings fresh ones); events always fit (11 bytes). */
		(void)vmon_rq_pop(rec.seq);
		r.too_large++;
		return -EAGAIN;
	}
	return why;
}

static void idle_run(void *o)
{
	ARG_UNUSED(o);
	if (!vmon_battery_flash_write_ok()) {
		/* Nothing goes out below a safe voltage: a delivered record could not be removed
		 * (a flash write) and would be sent again and again. */
		return;
	}
	int err = offer();

	if (err == 0) {
		smf_set_state(SMF_CTX(&r), &rep_states[REP_SENDING]);
	} else if (err == -EAGAIN) {
		/* Dropped as too large: the next record, now (the loop runs idle again). */
		k_sem_give(&wake);
	} else if (err != -ENODATA) {
		smf_set_state(SMF_CTX(&r), &rep_states[REP_BACKOFF]);
	}
}

static void sending_run(void *o)
{
	ARG_UNUSED(o);

	if (r.outcome == 1) {
		if (k_uptime_get() < r.deadline_ms) {
			return; /* the loop wakes on the outcome or at the deadline */
		}
		r.outcome = -ETIMEDOUT;
	}
	if (r.outcome == 0) {
		if (vmon_rq_pop(r.rec.seq) == 0) {
			r.delivered++;
			/* The BLE test's latency, in the node's (simulated) time. */
			LOG_DBG("delivered %u", r.rec.seq);
		}
		r.backoff_ms = 0;
		r.owner = NULL;
		smf_set_state(SMF_CTX(&r), &rep_states[REP_IDLE]);
		return;
	}
	r.send_errors++;
	LOG_WRN("record %u not delivered by %s (%d)", r.rec.seq, r.owner->name, r.outcome);
	r.owner = NULL;
	smf_set_state(SMF_CTX(&r), &rep_states[REP_BACKOFF]);
}

static void backoff_entry(void *o)
{
	ARG_UNUSED(o);
	r.backoff_ms = CLAMP(r.backoff_ms * 2U, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	r.deadline_ms = k_uptime_get() + r.backoff_ms;
}

static void backoff_run(void *o)
{
	ARG_UNUSED(o);
	if (k_uptime_get() >= r.deadline_ms) {
		smf_set_state(SMF_CTX(&r), &rep_states[REP_IDLE]);
	}
}

static const struct smf_state rep_states[] = {
	[REP_IDLE] = SMF_CREATE_STATE(NULL, idle_run, NULL, NULL, NULL),
	[REP_SENDING] = SMF_CREATE_STATE(NULL, sending_run, NULL, NULL, NULL),
	[REP_BACKOFF] = SMF_CREATE_STATE(backoff_entry, backoff_run, NULL, NULL, NULL),
};

/* How long the loop may sleep: until the next status, or the machine's deadline. */
static k_timeout_t sleep_time(void)
{
	int64_t until = r.next_status_ms;

	if (r.ctx.current != &rep_states[REP_IDLE]) {
		until = MIN(until, r.deadline_ms);
	}
	until -= k_uptime_get();
	if (until <= 0) {
		return K_NO_WAIT;
	}
	/* Wake at least every quarter of the watchdog period to feed it. */
	k_timeout_t t = K_MSEC(until);
	k_timeout_t w = vmon_health_wait();

	return K_TIMEOUT_EQ(w, K_FOREVER) || t.ticks < w.ticks ? t : w;
}

void vmon_reporting_run(void)
{
	const struct smf_state *before;

	if (r.init_err != 0) {
		/* No queue: nothing is stored or sent; the listener counts each event as lost. */
		return;
	}
	/* A loop that stops coming back (a transport or flash write that hangs) resets the node. */
	int wdt = vmon_health_wdt_add(VMON_THREAD_MAIN, "main");

	for (;;) {
		(void)vmon_health_wdt_feed(wdt);
		(void)k_sem_take(&wake, sleep_time());
		take_inputs();
		/* Run until the machine rests: a delivered record lets the next one go at once. */
		do {
			before = r.ctx.current;
			smf_run_state(SMF_CTX(&r));
		} while (r.ctx.current != before);
	}
}

void vmon_reporting_sent(const struct vmon_transport *t, uint32_t seq, int result)
{
	/* From a transport's context (callback, work item, this loop): wake the loop. */
	if (t == r.owner && seq == r.rec.seq) {
		r.outcome = result;
		k_sem_give(&wake);
	}
}

void vmon_reporting_link_up(void)
{
	r.backoff_ms = 0;
	r.deadline_ms = k_uptime_get();
	k_sem_give(&wake);
}

void vmon_reporting_status_get(struct vmon_reporting_status *st)
{
	struct vmon_rq_stats q;

	memset(st, 0, sizeof(*st));
	vmon_rq_stats(&q);
	st->depth = q.depth;
	st->dropped = q.dropped + r.events_lost + r.too_large;
	st->store_errors = q.store_errors;
	st->corrupt = q.corrupt;
	st->boots = q.boots;
	st->next_seq = q.next_seq;
	st->delivered = r.delivered;
	st->send_errors = r.send_errors;
	st->encode_errors = r.encode_errors;
	st->init_err = r.init_err;
	vmon_reporting_config_status(&st->config_seq, &st->config_err, &st->config_refused);
}

int vmon_reporting_start(void)
{
	int err;

	if (r.started) {
		return -EALREADY;
	}
	err = vmon_reporting_config_init();
	if (err != 0) {
		LOG_WRN("stored reporting configuration not used (%d)", err);
	}
	r.init_err = vmon_rq_init(DT_FIXED_PARTITION_ID(QUEUE_NODE));
	if (r.init_err != 0) {
		LOG_ERR("no store-and-forward queue (%d): records are lost", r.init_err);
	}
	uint32_t i = 0;

	STRUCT_SECTION_FOREACH(vmon_transport, t) {
		err = t->init != NULL ? t->init() : 0;
		if (err != 0) {
			r.transports_down |= BIT(i);
			LOG_ERR("transport %s did not start (%d)", t->name, err);
		}
		i++;
	}
	smf_set_initial(SMF_CTX(&r), &rep_states[REP_IDLE]);
	r.started = true;
	return r.init_err;
}

static int reporting_sys_init(void)
{
	(void)vmon_reporting_start();
	return 0; /* a missing queue is reported by the status, not a boot failure */
}

SYS_INIT(reporting_sys_init, APPLICATION, CONFIG_VMON_REPORTING_INIT_PRIORITY);
