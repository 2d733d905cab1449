/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * ICM-42688-P source: the sensor samples into its 2 KB FIFO at the devicetree's accel-odr
 * while the CPU sleeps; the FIFO-watermark interrupt wakes a thread that reads the FIFO
 * in bursts over SPI (EasyDMA on nRF52) and assembles blocks.
 *
 * Why not Zephyr's sensor streaming API: the pinned Zephyr (v3.7) streams the ICM-42688
 * only with CONFIG_SPI_RTIO, which its nRF SPIM driver does not implement. This source
 * owns the vmon,accel node instead (CONFIG_ICM42688=n) and programs the FIFO directly.
 *
 * Faults never stop the node (each is counted, raised as a VMON_SAMPLING_FAULT_* condition
 * and recovered from):
 *   no sensor / wrong chip id, a failed transfer, no data for several watermark periods:
 *     re-initialise with exponential back-off; the samples lost meanwhile are estimated
 *     from the clock and show up as a sequence gap;
 *   FIFO overflow: flush, count what was lost, carry on with a sequence gap;
 *   interrupts without data (a storm) or a line that stays active: the line's interrupt is
 *   disabled and the FIFO polled every watermark period, the line trusted again later;
 *   no free block (the consumer is late with its buffers): an overrun, as every source.
 *
 * Between measurements the sensor can watch for motion (CONFIG_VMON_SAMPLING_ICM42688_WOM):
 * low-power accelerometer at 50 Hz, its wake-on-motion interrupt on the same INT1 line. A
 * line that stays active, or interrupts without motion behind them, disarm it (counted,
 * raised as a fault): the node keeps its measurement schedule.
 */

#include <errno.h>
#include <string.h>

#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/drivers/gpio.h>
#include <zephyr/drivers/spi.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/pm/device.h>
#include <zephyr/pm/device_runtime.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/util.h>

#include "icm42688_regs.h"
#include "sampling.h"
#include "sampling_internal.h"

LOG_MODULE_REGISTER(vmon_sampling_icm42688, CONFIG_VMON_SAMPLING_LOG_LEVEL);

#define ACCEL_NODE DT_CHOSEN(vmon_accel)
#define ODR_CODE   DT_PROP(ACCEL_NODE, accel_odr)
#define FS_CODE    DT_PROP(ACCEL_NODE, accel_fs)
#define RATE       VMON_SAMPLING_RATE_HZ
#define WM         CONFIG_VMON_SAMPLING_ICM42688_WATERMARK
#define CHUNK      CONFIG_VMON_SAMPLING_ICM42688_CHUNK
#define LEN        VMON_SAMPLING_BLOCK_LEN
/* Microseconds to fill the FIFO to the watermark (at least a tick's worth). */
#define WM_PERIOD_US MAX((uint32_t)((uint64_t)WM * 1000000U / RATE), 1000U)
#define STORM_LIMIT  CONFIG_VMON_SAMPLING_ICM42688_STORM_LIMIT
/* Polls in a row that find no data before the sensor counts as stalled. */
#define STALL_POLLS  4
/* Checks in a row that find the line still active after the FIFO was read. */
#define STUCK_CHECKS 3

BUILD_ASSERT(DT_NODE_HAS_COMPAT(ACCEL_NODE, invensense_icm42688),
	     "the vmon,accel chosen node must be an invensense,icm42688");
BUILD_ASSERT(DT_NODE_HAS_PROP(ACCEL_NODE, int_gpios), "the vmon,accel node needs int-gpios");
BUILD_ASSERT(ICM42688_ODR_HZ(ODR_CODE) == RATE,
	     "the vmon,accel node's accel-odr must equal CONFIG_VMON_SAMPLING_RATE_HZ");
BUILD_ASSERT(ICM42688_FS_MG(FS_CODE) == VMON_SAMPLING_FULL_SCALE_MG,
	     "sampling.h's full scale must follow the node's accel-fs");
BUILD_ASSERT(WM < ICM42688_FIFO_PACKETS, "the watermark must leave room in the FIFO");

static const struct spi_dt_spec bus = SPI_DT_SPEC_GET(
	ACCEL_NODE, SPI_OP_MODE_MASTER | SPI_MODE_CPOL | SPI_MODE_CPHA | SPI_WORD_SET(8), 0);
static const struct gpio_dt_spec irq_line = GPIO_DT_SPEC_GET(ACCEL_NODE, int_gpios);

const char *const vmon_sampling_source_name = "icm42688";

/* The FIFO thread's state; only the ISR-shared fields are atomic. */
struct fifo_state {
	struct vmon_sampling_block *block; /* being filled; NULL while dropping */
	uint32_t fill;                     /* sample instants in the current block period */
	uint32_t seq;                      /* of the current block period */
	uint64_t block_t0_us;
	uint64_t last_sample_us;           /* clock time of the newest sample read */
	bool configured;
	bool polling;
	int64_t polling_since_ms;
	uint32_t backoff_ms;
	uint32_t quiet_polls;               /* polls in a row without data */
	uint32_t spurious_run;              /* interrupts in a row without data */
	uint32_t stuck_run;
};

static struct fifo_state st;

static atomic_t active;
/* Interrupts since the thread last read the FIFO (the ISR's storm guard). */
static atomic_t irqs_pending;
static K_SEM_DEFINE(irq_sem, 0, 1);
static K_SEM_DEFINE(start_sem, 0, 1);
static K_SEM_DEFINE(stopped_sem, 0, 1);
static struct gpio_callback irq_cb;

/* One burst of FIFO packets; EasyDMA reads it from RAM. */
static uint8_t fifo_buf[CHUNK * ICM42688_PACKET_SIZE] __aligned(4);

/* -- bus --------------------------------------------------------------------------------- */

static int reg_read(uint8_t reg, uint8_t *buf, size_t len)
{
	uint8_t addr = reg | ICM42688_SPI_READ;
	const struct spi_buf tx = {.buf = &addr, .len = 1};
	const struct spi_buf rx[] = {{.buf = NULL, .len = 1}, {.buf = buf, .len = len}};
	const struct spi_buf_set txs = {.buffers = &tx, .count = 1};
	const struct spi_buf_set rxs = {.buffers = rx, .count = ARRAY_SIZE(rx)};
	int err = spi_transceive_dt(&bus, &txs, &rxs);

	if (err != 0) {
		vmon_sampling_count(VMON_SAMPLING_CNT_BUS_ERRORS, 1);
		return -EIO;
	}
	return 0;
}

static int reg_write(uint8_t reg, uint8_t val)
{
	uint8_t frame[2] = {reg, val};
	const struct spi_buf tx = {.buf = frame, .len = sizeof(frame)};
	const struct spi_buf_set txs = {.buffers = &tx, .count = 1};

	if (spi_write_dt(&bus, &txs) != 0) {
		vmon_sampling_count(VMON_SAMPLING_CNT_BUS_ERRORS, 1);
		return -EIO;
	}
	return 0;
}

static void irq_arm(bool on)
{
	(void)gpio_pin_interrupt_configure_dt(&irq_line,
					      on ? GPIO_INT_EDGE_TO_ACTIVE : GPIO_INT_DISABLE);
}

static void wom_irq(void);

static void irq_handler(const struct device *port, struct gpio_callback *cb, uint32_t pins)
{
	ARG_UNUSED(port);
	ARG_UNUSED(cb);
	ARG_UNUSED(pins);

	if (IS_ENABLED(CONFIG_VMON_SAMPLING_ICM42688_WOM) && !atomic_get(&active)) {
		wom_irq();
		return;
	}

	/* A line toggling faster than the thread can run would starve it: give up on the
	 * interrupt here; the thread sees the count and polls instead. */
	if (atomic_inc(&irqs_pending) + 1 >= STORM_LIMIT) {
		irq_arm(false);
	}
	k_sem_give(&irq_sem);
}

/* Soft reset and chip id: 0, -ENODEV (not an ICM-42688-P) or -EIO. */
static int sensor_reset(void)
{
	uint8_t id = 0;
	int err = reg_write(ICM42688_REG_DEVICE_CONFIG, ICM42688_SOFT_RESET);

	if (err == 0) {
		k_msleep(2); /* 1 ms reset time */
		err = reg_read(ICM42688_REG_WHO_AM_I, &id, 1);
	}
	if (err == 0 && id != ICM42688_WHO_AM_I) {
		LOG_DBG("chip id 0x%02x", id);
		return -ENODEV;
	}
	return err;
}

/* INT_CONFIG: INT1 latched until its status is read, push-pull, at the line's level. */
static uint8_t int1_config(void)
{
	return (irq_line.dt_flags & GPIO_ACTIVE_LOW) != 0U ? ICM42688_INT1_LATCHED_PP_HIGH & ~BIT(0)
							   : ICM42688_INT1_LATCHED_PP_HIGH;
}

/* Reset and program the sensor: accelerometer only, low-noise mode, stream FIFO with the
 * watermark on INT1 (latched until INT_STATUS is read). 0, -ENODEV (not an ICM-42688-P)
 * or -EIO. */
static int sensor_setup(void)
{
	uint8_t status[3];
	const uint8_t int_config = int1_config();
	int err = sensor_reset();

	if (err != 0) {
		return err;
	}
	const uint8_t program[][2] = {
		{ICM42688_REG_INTF_CONFIG0,
		 ICM42688_FIFO_COUNT_REC | ICM42688_FIFO_COUNT_BE | ICM42688_SENSOR_DATA_BE},
		{ICM42688_REG_INT_CONFIG, int_config},
		{ICM42688_REG_INT_CONFIG1, 0},
		/* The watermark interrupt on the crossing only (FIFO_WM_GT_TH clear): repeated
		 * on every ODR it would re-latch while the thread reads the FIFO. */
		{ICM42688_REG_FIFO_CONFIG1, ICM42688_FIFO_ACCEL_EN | ICM42688_FIFO_TEMP_EN},
		{ICM42688_REG_FIFO_CONFIG2, WM & 0xFF},
		{ICM42688_REG_FIFO_CONFIG3, (WM >> 8) & 0x0F},
		{ICM42688_REG_INT_SOURCE0, ICM42688_FIFO_THS_INT1_EN | ICM42688_FIFO_FULL_INT1_EN},
		{ICM42688_REG_ACCEL_CONFIG0, (FS_CODE << 5) | ODR_CODE},
		{ICM42688_REG_FIFO_CONFIG, ICM42688_FIFO_MODE_STREAM},
		{ICM42688_REG_PWR_MGMT0, ICM42688_ACCEL_MODE_LN},
	};

	for (size_t i = 0; i < ARRAY_SIZE(program) && err == 0; i++) {
		err = reg_write(program[i][0], program[i][1]);
	}
	if (err == 0) {
		k_usleep(200); /* no register writes for 200 us after a mode change */
		err = reg_read(ICM42688_REG_INT_STATUS, status, sizeof(status));
	}
	return err;
}

static void sensor_off(void)
{
	(void)reg_write(ICM42688_REG_PWR_MGMT0, 0);
	(void)reg_write(ICM42688_REG_FIFO_CONFIG, ICM42688_FIFO_MODE_BYPASS);
}

/* -- block assembly ------------------------------------------------------------------------ */

static uint64_t now_us(void)
{
	return k_ticks_to_us_floor64((uint64_t)k_uptime_ticks());
}

/* @p n sample instants are gone: the block being filled is dropped and the sequence
 * number jumps over every block period they touched. */
static void lose(uint32_t n)
{
	if (n == 0U) {
		return;
	}
	vmon_sampling_count(VMON_SAMPLING_CNT_SAMPLES_LOST, n);
	if (st.block != NULL) {
		vmon_sampling_block_discard(st.block);
		st.block = NULL;
	}
	st.seq += DIV_ROUND_UP(st.fill + n, LEN);
	st.fill = 0;
}

static void push(const int16_t xyz[3], uint64_t t_us)
{
	if (st.fill == 0U) {
		st.block = vmon_sampling_block_alloc();
		if (st.block == NULL) {
			vmon_sampling_count(VMON_SAMPLING_CNT_OVERRUNS, 1);
		}
		st.block_t0_us = t_us;
	}
	if (st.block != NULL) {
		if (VMON_SAMPLING_AXES == 3) {
			memcpy(&st.block->data[3U * st.fill], xyz, 3 * sizeof(int16_t));
		} else {
			st.block->data[st.fill] = xyz[CONFIG_VMON_SAMPLING_ICM42688_AXIS];
		}
	}
	if (++st.fill == LEN) {
		if (st.block != NULL) {
			vmon_sampling_block_done(st.block, st.seq, st.block_t0_us);
			st.block = NULL;
		}
		st.seq++;
		st.fill = 0;
	}
}

/* Read @p count packets; the newest was sampled at about @p t_read_us. 0 or -EIO. */
static int drain(uint32_t count, uint64_t t_read_us)
{
	uint32_t done = 0;

	while (done < count) {
		uint32_t n = MIN(count - done, (uint32_t)CHUNK);
		int err = reg_read(ICM42688_REG_FIFO_DATA, fifo_buf, n * ICM42688_PACKET_SIZE);

		if (err != 0) {
			return err;
		}
		for (uint32_t i = 0; i < n; i++) {
			const uint8_t *pkt = &fifo_buf[i * ICM42688_PACKET_SIZE];
			int16_t xyz[3];

			if ((pkt[0] & ICM42688_HEADER_EMPTY) != 0U ||
			    (pkt[0] & ICM42688_HEADER_ACCEL) == 0U) {
				/* Fewer packets than counted: nothing to take. */
				return 0;
			}
			for (int a = 0; a < 3; a++) {
				xyz[a] = (int16_t)sys_get_be16(&pkt[1 + 2 * a]);
			}
			uint32_t age = count - 1U - (done + i);
			uint64_t t = t_read_us - (uint64_t)age * 1000000U / RATE;

			push(xyz, t);
		}
		done += n;
	}
	st.last_sample_us = t_read_us;
	return 0;
}

/* Read the status and the FIFO. The packets read (>= 0) or -EIO. */
static int service(void)
{
	uint8_t head[3];
	int err = reg_read(ICM42688_REG_INT_STATUS, head, sizeof(head));
	uint64_t t = now_us();

	(void)atomic_clear(&irqs_pending);
	if (err != 0) {
		return err;
	}
	uint32_t count = sys_get_be16(&head[1]);

	if ((head[0] & ICM42688_INT_STATUS_FIFO_FULL) != 0U || count >= ICM42688_FIFO_PACKETS) {
		/* What the FIFO holds is followed by a gap of unknown position: drop it all,
		 * and count what the clock says was sampled since the last read. */
		uint64_t expected = (t - st.last_sample_us) * RATE / 1000000U;

		vmon_sampling_count(VMON_SAMPLING_CNT_FIFO_OVERFLOWS, 1);
		vmon_sampling_fault_raise(VMON_SAMPLING_FAULT_OVERFLOW);
		err = reg_write(ICM42688_REG_SIGNAL_PATH_RESET, ICM42688_FIFO_FLUSH);
		lose((uint32_t)MAX(expected, (uint64_t)count));
		st.last_sample_us = t;
		/* The sensor samples: an overflow is not a stall. */
		return err != 0 ? err : (int)count;
	}
	if (count == 0U) {
		return 0;
	}
	err = drain(count, t);
	if (err == 0) {
		vmon_sampling_fault_clear(VMON_SAMPLING_FAULT_OVERFLOW | VMON_SAMPLING_FAULT_STALLED);
	}
	return err != 0 ? err : (int)count;
}

/* -- the FIFO thread ------------------------------------------------------------------------ */

static void start_polling(uint32_t fault)
{
	irq_arm(false);
	vmon_sampling_fault_raise(fault);
	st.polling = true;
	st.polling_since_ms = k_uptime_get();
	LOG_WRN("interrupt line %s: polling the FIFO",
		fault == VMON_SAMPLING_FAULT_IRQ_STUCK ? "stuck" : "storming");
}

/* Bring the sensor up; on failure wait out the back-off (or a stop). */
static bool configure(bool restart)
{
	int err = sensor_setup();

	if (err != 0) {
		vmon_sampling_fault_raise(err == -ENODEV ? VMON_SAMPLING_FAULT_ABSENT
							 : VMON_SAMPLING_FAULT_BUS);
		LOG_DBG("sensor setup failed (%d): retry in %u ms", err, st.backoff_ms);
		(void)k_sem_take(&irq_sem, K_MSEC(st.backoff_ms));
		st.backoff_ms = MIN(2U * st.backoff_ms, CONFIG_VMON_SAMPLING_ICM42688_BACKOFF_MAX_MS);
		return false;
	}
	uint64_t t = now_us();

	if (restart) {
		/* The sensor sampled nothing while it was down: the gap is the time. */
		vmon_sampling_count(VMON_SAMPLING_CNT_RESTARTS, 1);
		lose((uint32_t)MAX((t - st.last_sample_us) * RATE / 1000000U, 1U));
	}
	vmon_sampling_fault_clear(VMON_SAMPLING_FAULT_ABSENT | VMON_SAMPLING_FAULT_BUS);
	st.last_sample_us = t;
	st.backoff_ms = CONFIG_VMON_SAMPLING_ICM42688_BACKOFF_MIN_MS;
	st.quiet_polls = 0;
	st.configured = true;
	(void)atomic_clear(&irqs_pending);
	irq_arm(!st.polling);
	return true;
}

/* After a FIFO read: judge the interrupt line. */
static void check_line(bool woke_by_irq, int packets)
{
	if (st.polling) {
		if (k_uptime_get() - st.polling_since_ms >= CONFIG_VMON_SAMPLING_ICM42688_IRQ_RETRY_MS) {
			st.polling = false;
			st.spurious_run = 0;
			st.stuck_run = 0;
			vmon_sampling_fault_clear(VMON_SAMPLING_FAULT_IRQ_STORM |
						  VMON_SAMPLING_FAULT_IRQ_STUCK);
			irq_arm(true);
		}
		return;
	}
	if (woke_by_irq && packets < WM / 2) {
		vmon_sampling_count(VMON_SAMPLING_CNT_SPURIOUS_IRQS, 1);
		if (++st.spurious_run >= STORM_LIMIT) {
			start_polling(VMON_SAMPLING_FAULT_IRQ_STORM);
			return;
		}
	} else if (packets > 0) {
		st.spurious_run = 0;
	}
	/* Latched INT1 goes inactive when INT_STATUS is read; the FIFO is below the watermark
	 * now, so a line that stays active is stuck. */
	if (gpio_pin_get_dt(&irq_line) > 0) {
		if (++st.stuck_run >= STUCK_CHECKS) {
			start_polling(VMON_SAMPLING_FAULT_IRQ_STUCK);
		}
	} else {
		st.stuck_run = 0;
	}
}

static void run(void)
{
	bool restart = false;

	st = (struct fifo_state){.backoff_ms = CONFIG_VMON_SAMPLING_ICM42688_BACKOFF_MIN_MS,
			  .last_sample_us = now_us()};
	while (atomic_get(&active)) {
		if (!st.configured) {
			if (!configure(restart)) {
				restart = true;
				continue;
			}
			restart = true;
		}
		uint32_t wait_us = st.polling ? WM_PERIOD_US : 4U * WM_PERIOD_US;
		bool woke_by_irq = k_sem_take(&irq_sem, K_USEC(wait_us)) == 0;

		if (!atomic_get(&active)) {
			break;
		}
		if (atomic_get(&irqs_pending) >= STORM_LIMIT) {
			/* The ISR has disabled the line already. */
			vmon_sampling_count(VMON_SAMPLING_CNT_SPURIOUS_IRQS,
					    (uint32_t)atomic_get(&irqs_pending));
			start_polling(VMON_SAMPLING_FAULT_IRQ_STORM);
		}
		int packets = service();

		if (packets < 0) {
			vmon_sampling_fault_raise(VMON_SAMPLING_FAULT_BUS);
			irq_arm(false);
			st.configured = false;
			continue;
		}
		if (packets > 0) {
			st.quiet_polls = 0;
		} else if (!woke_by_irq && ++st.quiet_polls >= STALL_POLLS) {
			/* Four watermark periods (or 16 when interrupts work) without a sample:
			 * the sensor lost its configuration or its clock. */
			vmon_sampling_fault_raise(VMON_SAMPLING_FAULT_STALLED);
			irq_arm(false);
			st.configured = false;
			continue;
		}
		check_line(woke_by_irq, packets);
	}
	irq_arm(false);
	if (st.configured) {
		sensor_off();
	}
	if (st.block != NULL) {
		vmon_sampling_block_discard(st.block);
		st.block = NULL;
	}
}

static void fifo_thread(void *a, void *b, void *c)
{
	ARG_UNUSED(a);
	ARG_UNUSED(b);
	ARG_UNUSED(c);

	for (;;) {
		(void)k_sem_take(&start_sem, K_FOREVER);
		run();
		k_sem_give(&stopped_sem);
	}
}

K_THREAD_DEFINE(vmon_accel_tid, CONFIG_VMON_SAMPLING_ICM42688_STACK_SIZE, fifo_thread, NULL,
		NULL, NULL, CONFIG_VMON_SAMPLING_ICM42688_THREAD_PRIORITY, 0, 0);

/* The node's device: its runtime PM state follows sampling (CONFIG_PM_DEVICE_RUNTIME). */
static const struct device *const accel_dev = DEVICE_DT_GET(ACCEL_NODE);

/* -- wake-on-motion --------------------------------------------------------------------------- */

#if defined(CONFIG_VMON_SAMPLING_ICM42688_WOM)
/* WOM_x_TH: 1 g / 256 a step (DS-000347 section 17.10). */
#define WOM_TH CLAMP((CONFIG_VMON_SAMPLING_ICM42688_WOM_THRESHOLD_MG * 256 + 500) / 1000, 1, 255)

static struct {
	vmon_sampling_wake_cb cb;
	struct k_work work;
	atomic_t armed;
	bool held; /* the device got and the sensor programmed, until disarmed */
	uint32_t spurious_run;
	bool raised; /* a fault this function raised, cleared when it arms cleanly again */
} wom;

static void wom_irq(void)
{
	if (atomic_get(&wom.armed)) {
		(void)k_work_submit(&wom.work);
	}
}

/* The section 8.7 sequence, after a reset: 0, -ENODEV or -EIO. */
static int wom_program(void)
{
	int err = sensor_reset();
	const uint8_t before[][2] = {
		{ICM42688_REG_INT_CONFIG, int1_config()},
		{ICM42688_REG_INT_CONFIG1, 0},
		{ICM42688_REG_ACCEL_CONFIG0, (FS_CODE << 5) | ICM42688_ODR_WOM},
		{ICM42688_REG_PWR_MGMT0, ICM42688_ACCEL_MODE_LP},
	};
	const uint8_t thresholds[][2] = {
		{ICM42688_REG_BANK_SEL, 4},
		{ICM42688_B4_ACCEL_WOM_X_THR, WOM_TH},
		{ICM42688_B4_ACCEL_WOM_Y_THR, WOM_TH},
		{ICM42688_B4_ACCEL_WOM_Z_THR, WOM_TH},
		{ICM42688_REG_BANK_SEL, 0},
		{ICM42688_REG_INT_SOURCE0, 0},
		{ICM42688_REG_INT_SOURCE1, ICM42688_WOM_XYZ},
	};

	for (size_t i = 0; i < ARRAY_SIZE(before) && err == 0; i++) {
		err = reg_write(before[i][0], before[i][1]);
	}
	k_msleep(1);
	for (size_t i = 0; i < ARRAY_SIZE(thresholds) && err == 0; i++) {
		err = reg_write(thresholds[i][0], thresholds[i][1]);
	}
	if (err == 0) {
		k_msleep(50); /* the section's wait before turning the function on */
		err = reg_write(ICM42688_REG_SMD_CONFIG, ICM42688_SMD_CONFIG_WOM);
	}
	return err;
}

/* Read (and so clear) the latched status: its WOM bits, or -EIO. */
static int wom_status(void)
{
	uint8_t v = 0;

	return reg_read(ICM42688_REG_INT_STATUS2, &v, 1) == 0 ? (v & ICM42688_WOM_XYZ) : -EIO;
}

static void wom_fault(uint32_t fault)
{
	irq_arm(false);
	atomic_clear(&wom.armed);
	if (wom.held) {
		sensor_off(); /* the device stays got until vmon_sampling_source_wake_disarm() */
	}
	wom.raised = true;
	vmon_sampling_fault_raise(fault);
	LOG_WRN("wake-on-motion: %s, disarmed (measurements stay on schedule)",
		fault == VMON_SAMPLING_FAULT_IRQ_STUCK ? "interrupt line stuck"
		: fault == VMON_SAMPLING_FAULT_IRQ_STORM ? "interrupts without motion"
							 : "sensor not answering");
}

/* System work queue: the interrupt's cause. */
static void wom_work(struct k_work *work)
{
	ARG_UNUSED(work);
	if (!atomic_get(&wom.armed)) {
		return;
	}
	int bits = wom_status();

	if (bits < 0) {
		wom_fault(VMON_SAMPLING_FAULT_BUS);
		return;
	}
	/* Latched INT1 goes inactive when the status is read. */
	if (gpio_pin_get_dt(&irq_line) > 0) {
		wom_fault(VMON_SAMPLING_FAULT_IRQ_STUCK);
		return;
	}
	if (bits == 0) {
		vmon_sampling_count(VMON_SAMPLING_CNT_SPURIOUS_IRQS, 1);
		if (++wom.spurious_run >= STORM_LIMIT) {
			wom_fault(VMON_SAMPLING_FAULT_IRQ_STORM);
		}
		return;
	}
	wom.spurious_run = 0;
	LOG_DBG("wake-on-motion (axes 0x%x)", bits);
	wom.cb();
}

int vmon_sampling_source_wake_arm(vmon_sampling_wake_cb cb)
{
	if (atomic_get(&wom.armed)) {
		wom.cb = cb;
		return 0;
	}
	vmon_sampling_source_wake_disarm(); /* after a fault: start clean */
	if (!spi_is_ready_dt(&bus) || !gpio_is_ready_dt(&irq_line)) {
		return -ENODEV;
	}
	int err = pm_device_runtime_get(accel_dev);

	if (err < 0) {
		return err;
	}
	wom.cb = cb;
	wom.spurious_run = 0;
	k_work_init(&wom.work, wom_work);
	err = wom_program();
	if (err == 0 && wom_status() < 0) {
		err = -EIO;
	}
	if (err != 0) {
		wom.raised = true;
		vmon_sampling_fault_raise(err == -ENODEV ? VMON_SAMPLING_FAULT_ABSENT
							 : VMON_SAMPLING_FAULT_BUS);
		sensor_off();
		(void)pm_device_runtime_put(accel_dev);
		return err;
	}
	wom.held = true;
	if (gpio_pin_get_dt(&irq_line) > 0) {
		/* Active with nothing latched: the line is stuck, and would hide every edge. */
		wom_fault(VMON_SAMPLING_FAULT_IRQ_STUCK);
		return -EIO;
	}
	if (wom.raised) {
		wom.raised = false;
		vmon_sampling_fault_clear(VMON_SAMPLING_FAULT_ABSENT | VMON_SAMPLING_FAULT_BUS |
					  VMON_SAMPLING_FAULT_IRQ_STUCK |
					  VMON_SAMPLING_FAULT_IRQ_STORM);
	}
	atomic_set(&wom.armed, 1);
	irq_arm(true);
	return 0;
}

void vmon_sampling_source_wake_disarm(void)
{
	atomic_clear(&wom.armed);
	irq_arm(false);
	if (wom.work.handler != NULL) {
		struct k_work_sync sync;

		(void)k_work_cancel_sync(&wom.work, &sync);
	}
	if (wom.held) {
		wom.held = false;
		(void)reg_write(ICM42688_REG_SMD_CONFIG, 0);
		(void)reg_write(ICM42688_REG_INT_SOURCE1, 0);
		sensor_off();
		(void)pm_device_runtime_put(accel_dev);
	}
}
#else
static void wom_irq(void)
{
}
#endif /* CONFIG_VMON_SAMPLING_ICM42688_WOM */

int vmon_sampling_source_start(void)
{
	if (!spi_is_ready_dt(&bus) || !gpio_is_ready_dt(&irq_line)) {
		return -ENODEV;
	}
	int err = pm_device_runtime_get(accel_dev);

	if (err < 0) {
		return err;
	}
	k_sem_reset(&irq_sem);
	k_sem_reset(&stopped_sem);
	atomic_set(&active, 1);
	k_sem_give(&start_sem);
	return 0;
}

void vmon_sampling_source_stop(void)
{
	atomic_clear(&active);
	k_sem_give(&irq_sem);
	(void)k_sem_take(&stopped_sem, K_FOREVER);
	/* The thread has powered the sensor down; the device follows. */
	(void)pm_device_runtime_put(accel_dev);
}

/* Runtime PM: between measurements the device is suspended with the sensor's accelerometer
 * off and its interrupt disabled (the FIFO thread has done both when sampling stops; the
 * first suspend, at boot, finds the sensor off after its power-on reset). */
static __maybe_unused int accel_pm_action(const struct device *dev,
					  enum pm_device_action action)
{
	ARG_UNUSED(dev);

	switch (action) {
	case PM_DEVICE_ACTION_SUSPEND:
		irq_arm(false);
		return 0;
	case PM_DEVICE_ACTION_RESUME:
		return 0; /* sampling programs the sensor when it starts */
	default:
		return -ENOTSUP;
	}
}

/* The node's device: the SPI bus and the interrupt line, ready before sampling starts
 * (and the emulator's attachment point in tests). */
static int accel_init(const struct device *dev)
{
	int err;

	if (!spi_is_ready_dt(&bus) || !gpio_is_ready_dt(&irq_line)) {
		return -ENODEV;
	}
	err = gpio_pin_configure_dt(&irq_line, GPIO_INPUT);
	if (err == 0) {
		gpio_init_callback(&irq_cb, irq_handler, BIT(irq_line.pin));
		err = gpio_add_callback_dt(&irq_line, &irq_cb);
	}
	if (err == 0 && IS_ENABLED(CONFIG_PM_DEVICE_RUNTIME)) {
		err = pm_device_runtime_enable(dev);
	}
	return err;
}

PM_DEVICE_DT_DEFINE(ACCEL_NODE, accel_pm_action);

DEVICE_DT_DEFINE(ACCEL_NODE, accel_init, PM_DEVICE_DT_GET(ACCEL_NODE), NULL, NULL, POST_KERNEL,
		 CONFIG_VMON_SAMPLING_ICM42688_INIT_PRIORITY, NULL);
