/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ICM-42688-P source against the FIFO emulator: every sample of a long stream arrives
 * once, in order, in the right block; the counts are the sensor's raw int16 (axis order,
 * byte order, full scale); and every bad input (no sensor, bus errors, FIFO overflow, an
 * interrupt storm, a stuck line, a stalled sensor, a late consumer) is counted, raised as a
 * fault, recovered from, and never hangs the node.
 */

#include <zephyr/drivers/emul.h>
#include <zephyr/drivers/gpio.h>
#include <zephyr/sys/atomic.h>
#include <zephyr/kernel.h>
#include <zephyr/pm/device.h>
#include <zephyr/ztest.h>

#include "icm42688_fifo_emul.h"
#include "icm42688_regs.h"
#include "sampling.h"

#define LEN     VMON_SAMPLING_BLOCK_LEN
#define RATE    VMON_SAMPLING_RATE_HZ
#define BLOCK_MS (LEN * 1000 / RATE)
#define STREAM_S CONFIG_TEST_ICM42688_STREAM_S

BUILD_ASSERT(VMON_SAMPLING_AXES == 3, "the checker reads the timeline from x and y");

static const struct emul *sensor = EMUL_DT_GET(DT_CHOSEN(vmon_accel));
static const struct gpio_dt_spec int1_line = GPIO_DT_SPEC_GET(DT_CHOSEN(vmon_accel), int_gpios);

/* A consumer that checks every sample against the emulator's timeline. */
static struct {
	uint32_t blocks;
	uint32_t errors;      /* samples out of order, wrong z, sequence numbers that lie */
	uint32_t gaps;        /* discontinuities of the timeline between blocks */
	uint64_t missing;     /* samples in those discontinuities */
	uint32_t seq_jumps;   /* discontinuities of the sequence numbers */
	bool have_prev;
	uint32_t prev_seq;
	uint32_t prev_last;
	uint32_t first_index;
	uint64_t first_t_us;
	uint32_t last_first_index;
	uint64_t last_t_us;
	bool constant;
	int16_t expect[3];
	bool hold;
	struct vmon_sampling_block *held[CONFIG_VMON_SAMPLING_BUFFERS];
	size_t n_held;
} chk;

static void check_block(struct vmon_sampling_block *b, void *user_data)
{
	ARG_UNUSED(user_data);
	const int16_t *d = b->data;

	chk.blocks++;
	if (chk.constant) {
		for (size_t i = 0; i < LEN; i++) {
			if (memcmp(&d[3 * i], chk.expect, sizeof(chk.expect)) != 0) {
				chk.errors++;
				break;
			}
		}
	} else {
		uint32_t first = icm42688_emul_index(d[0], d[1]);

		for (uint32_t i = 0; i < LEN; i++) {
			uint32_t n = icm42688_emul_index(d[3 * i], d[3 * i + 1]);

			if (n != first + i || d[3 * i + 2] != icm42688_emul_z(n)) {
				chk.errors++;
				break;
			}
		}
		if (chk.have_prev) {
			bool seq_contiguous = b->seq == chk.prev_seq + 1U;

			if (first == chk.prev_last + 1U) {
				/* Contiguous samples must carry contiguous sequence numbers. */
				chk.errors += seq_contiguous ? 0U : 1U;
			} else if (first > chk.prev_last + 1U) {
				chk.gaps++;
				chk.missing += first - chk.prev_last - 1U;
				/* Lost samples must show as a sequence gap (the window restarts). */
				chk.errors += seq_contiguous ? 1U : 0U;
			} else {
				chk.errors++; /* repeated or backwards */
			}
			chk.seq_jumps += seq_contiguous ? 0U : 1U;
		} else {
			chk.first_index = first;
			chk.first_t_us = b->timestamp_us;
		}
		chk.have_prev = true;
		chk.prev_seq = b->seq;
		chk.prev_last = first + LEN - 1U;
		chk.last_first_index = first;
		chk.last_t_us = b->timestamp_us;
	}
	if (chk.hold && chk.n_held < ARRAY_SIZE(chk.held)) {
		chk.held[chk.n_held++] = b;
		return;
	}
	if (vmon_sampling_release(b) != 0) {
		chk.errors++;
	}
}

static void release_held(void)
{
	chk.hold = false;
	for (size_t i = 0; i < chk.n_held; i++) {
		(void)vmon_sampling_release(chk.held[i]);
	}
	chk.n_held = 0;
}

static struct vmon_sampling_stats stats(void)
{
	struct vmon_sampling_stats s;

	vmon_sampling_stats_get(&s);
	return s;
}

static void emul_healthy(void)
{
	icm42688_emul_set_absent(sensor, false);
	icm42688_emul_fail_transfers(sensor, 0);
	icm42688_emul_freeze(sensor, false);
	icm42688_emul_mute_irq(sensor, false);
	icm42688_emul_set_line_stuck(sensor, false);
	icm42688_emul_set_constant(sensor, false, 0, 0, 0);
}

static void before(void *fixture)
{
	ARG_UNUSED(fixture);
	emul_healthy();
	memset(&chk, 0, sizeof(chk));
}

static void after(void *fixture)
{
	ARG_UNUSED(fixture);
	vmon_sampling_wake_disarm();
	(void)vmon_sampling_stop();
	release_held();
	emul_healthy();
}

/* Wait (simulated time) until @p cond holds, up to @p ms. */
#define AWAIT(cond, ms)                                                                      \
	do {                                                                                    \
		for (int waited_ = 0; !(cond) && waited_ < (ms); waited_ += 10) {               \
			k_msleep(10);                                                           \
		}                                                                               \
	} while (0)

ZTEST(sampling_icm42688, test_ten_minutes_without_a_lost_sample)
{
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_sleep(K_SECONDS(STREAM_S));
	zassert_ok(vmon_sampling_stop());

	struct vmon_sampling_stats s = stats();
	uint32_t expected = STREAM_S * RATE / LEN;

	TC_PRINT("%u blocks, %u samples, %u gaps, %u lost, %u overflows, %u faults\n",
		 chk.blocks, chk.blocks * LEN, chk.gaps, (uint32_t)chk.missing, s.fifo_overflows,
		 s.faults);
	zassert_equal(chk.errors, 0, "%u samples out of order or mislabelled", chk.errors);
	zassert_equal(chk.gaps, 0, "%u samples lost in %u gaps", (uint32_t)chk.missing, chk.gaps);
	zassert_equal(chk.seq_jumps, 0);
	zassert_equal(s.overruns + s.samples_lost + s.fifo_overflows + s.bus_errors, 0);
	zassert_equal(s.faults, 0, "fault causes 0x%x", s.fault_causes);
	zassert_equal(s.blocks, chk.blocks);
	zassert_within(chk.blocks, expected, 2, "%u blocks, expected %u", chk.blocks, expected);

	/* The rate the timestamps give, against the kernel clock: within 0.1 %. */
	uint64_t samples = chk.last_first_index - chk.first_index;
	uint64_t span_us = chk.last_t_us - chk.first_t_us;
	uint64_t rate_mhz = samples * 1000000000ULL / span_us;

	TC_PRINT("rate from timestamps %u.%03u Hz\n", (uint32_t)(rate_mhz / 1000U),
		 (uint32_t)(rate_mhz % 1000U));
	zassert_within(rate_mhz, RATE * 1000ULL, RATE, "rate %llu mHz", rate_mhz);
}

ZTEST(sampling_icm42688, test_counts_are_the_sensors_raw_int16)
{
	/* 1 g, -1 g and 8 g at 16 g full scale (2048 counts per g). */
	chk.constant = true;
	chk.expect[0] = 2048;
	chk.expect[1] = -2048;
	chk.expect[2] = 8 * 2048;
	icm42688_emul_set_constant(sensor, true, chk.expect[0], chk.expect[1], chk.expect[2]);
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(5 * BLOCK_MS);
	zassert_ok(vmon_sampling_stop());

	zassert_true(chk.blocks >= 3, "%u blocks", chk.blocks);
	zassert_equal(chk.errors, 0, "counts differ from the sensor's");
	zassert_equal(VMON_SAMPLING_FULL_SCALE_MG, 16000);
	/* What the source programmed: 16 g and 8 kHz, the watermark, the FIFO interrupts. */
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_ACCEL_CONFIG0), (0 << 5) | 3);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_FIFO_CONFIG2),
		      CONFIG_VMON_SAMPLING_ICM42688_WATERMARK & 0xFF);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_INT_SOURCE0),
		      ICM42688_FIFO_THS_INT1_EN | ICM42688_FIFO_FULL_INT1_EN);
	/* Stopped: the accelerometer is off and the FIFO bypassed. */
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_PWR_MGMT0), 0);
}

ZTEST(sampling_icm42688, test_absent_sensor_is_retried_with_backoff)
{
	icm42688_emul_set_absent(sensor, true);
	/* Starting does not wait for the sensor: the node keeps running without it. */
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(1000);
	struct vmon_sampling_stats s = stats();

	zassert_equal(chk.blocks, 0);
	zassert_true(s.fault_state & VMON_SAMPLING_FAULT_ABSENT, "state 0x%x", s.fault_state);
	zassert_equal(s.faults, 1, "one episode, however many retries");

	icm42688_emul_set_absent(sensor, false);
	/* The back-off has reached its 160 ms cap: the sensor is back within it. */
	AWAIT(chk.blocks >= 2, 1000);
	s = stats();
	zassert_true(chk.blocks >= 2, "no blocks after the sensor came back");
	zassert_equal(s.fault_state, 0, "state 0x%x", s.fault_state);
	zassert_equal(chk.errors, 0);
}

ZTEST(sampling_icm42688, test_bus_error_mid_stream_restarts_the_sensor)
{
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(4 * BLOCK_MS);
	uint32_t before_blocks = chk.blocks;

	icm42688_emul_fail_transfers(sensor, 3);
	AWAIT(chk.blocks >= before_blocks + 4 && chk.gaps > 0, 2000);
	struct vmon_sampling_stats s = stats();

	zassert_true(s.bus_errors >= 1, "bus errors %u", s.bus_errors);
	zassert_true(s.fault_causes & VMON_SAMPLING_FAULT_BUS, "causes 0x%x", s.fault_causes);
	zassert_true(s.restarts >= 1);
	zassert_equal(s.fault_state, 0, "state 0x%x", s.fault_state);
	zassert_true(chk.gaps >= 1, "the restart's lost samples must show");
	zassert_true(s.samples_lost > 0);
	zassert_equal(chk.errors, 0);
}

ZTEST(sampling_icm42688, test_fifo_overflow_is_counted_and_flushed)
{
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(2 * BLOCK_MS);
	/* No watermark interrupts: the source reads on its timeout, after the FIFO filled. */
	icm42688_emul_mute_irq(sensor, true);
	k_msleep(300);
	icm42688_emul_mute_irq(sensor, false);
	uint32_t before_blocks = chk.blocks;

	AWAIT(chk.blocks >= before_blocks + 3, 2000);
	struct vmon_sampling_stats s = stats();

	zassert_true(s.fifo_overflows >= 1);
	zassert_true(icm42688_emul_dropped(sensor) > 0, "the emulator's FIFO never filled");
	zassert_true(s.samples_lost >= icm42688_emul_dropped(sensor) / 2, "lost %u dropped %u",
		     s.samples_lost, icm42688_emul_dropped(sensor));
	zassert_true(s.fault_causes & VMON_SAMPLING_FAULT_OVERFLOW);
	zassert_false(s.fault_state & VMON_SAMPLING_FAULT_OVERFLOW, "over once data flows");
	zassert_true(chk.gaps >= 1);
	zassert_true(chk.blocks >= before_blocks + 3, "the stream did not resume");
	zassert_equal(chk.errors, 0);
}

ZTEST(sampling_icm42688, test_interrupt_storm_falls_back_to_polling)
{
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(2 * BLOCK_MS);
	/* The storm itself keeps this (cooperative) thread busy for longer than the FIFO
	 * lasts: samples may be lost while it rages, not afterwards. */
	icm42688_emul_storm(sensor, 1000);
	k_msleep(2 * BLOCK_MS);
	struct vmon_sampling_stats s = stats();
	uint32_t before_blocks = chk.blocks;
	uint32_t before_gaps = chk.gaps;

	zassert_true(s.spurious_irqs >= CONFIG_VMON_SAMPLING_ICM42688_STORM_LIMIT, "%u",
		     s.spurious_irqs);
	zassert_true(s.fault_state & VMON_SAMPLING_FAULT_IRQ_STORM, "state 0x%x", s.fault_state);
	/* Polling every watermark period loses nothing. */
	k_msleep(4 * BLOCK_MS);
	zassert_true(chk.blocks >= before_blocks + 3, "no blocks while polling");
	zassert_equal(chk.gaps, before_gaps, "samples lost while polling");
	/* The line is trusted again after CONFIG_VMON_SAMPLING_ICM42688_IRQ_RETRY_MS. */
	AWAIT(!(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STORM), 2000);
	zassert_false(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STORM);
	zassert_equal(chk.errors, 0);
}

ZTEST(sampling_icm42688, test_stuck_interrupt_line_falls_back_to_polling)
{
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(2 * BLOCK_MS);
	icm42688_emul_set_line_stuck(sensor, true);
	AWAIT(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK, 2000);
	struct vmon_sampling_stats s = stats();
	uint32_t before_blocks = chk.blocks;

	zassert_true(s.fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK, "state 0x%x", s.fault_state);
	k_msleep(4 * BLOCK_MS);
	zassert_true(chk.blocks >= before_blocks + 3, "no blocks while polling");
	icm42688_emul_set_line_stuck(sensor, false);
	AWAIT(!(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK), 2000);
	zassert_false(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK);
	zassert_equal(chk.errors, 0);
}

ZTEST(sampling_icm42688, test_stalled_sensor_is_reinitialised)
{
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(2 * BLOCK_MS);
	icm42688_emul_freeze(sensor, true);
	AWAIT(stats().fault_state & VMON_SAMPLING_FAULT_STALLED, 2000);
	zassert_true(stats().fault_state & VMON_SAMPLING_FAULT_STALLED);
	uint32_t before_blocks = chk.blocks;

	icm42688_emul_freeze(sensor, false);
	AWAIT(chk.blocks >= before_blocks + 2, 2000);
	struct vmon_sampling_stats s = stats();

	zassert_true(chk.blocks >= before_blocks + 2, "no blocks after the sensor recovered");
	zassert_true(s.restarts >= 1);
	zassert_equal(s.fault_state, 0, "state 0x%x", s.fault_state);
	zassert_true(chk.gaps >= 1);
	zassert_equal(chk.errors, 0);
}

ZTEST(sampling_icm42688, test_late_consumer_costs_blocks_not_the_stream)
{
	chk.hold = true;
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(6 * BLOCK_MS);
	uint32_t held = chk.blocks;

	zassert_equal(held, CONFIG_VMON_SAMPLING_BUFFERS, "%u blocks while all are held", held);
	zassert_true(stats().overruns >= 2);
	release_held();
	AWAIT(chk.blocks >= held + 3, 1000);
	zassert_true(chk.blocks >= held + 3);
	zassert_true(chk.gaps >= 1 && chk.seq_jumps >= 1, "the overruns must show as a gap");
	zassert_equal(stats().samples_lost, 0, "an overrun is not a sensor loss");
	zassert_equal(chk.errors, 0);
}

ZTEST(sampling_icm42688, test_stop_during_backoff_returns)
{
	icm42688_emul_set_absent(sensor, true);
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(300);
	int64_t t0 = k_uptime_get();

	zassert_ok(vmon_sampling_stop());
	zassert_true(k_uptime_get() - t0 < 50, "stop waited out the back-off");
	zassert_ok(vmon_sampling_start(check_block, NULL));
	zassert_ok(vmon_sampling_stop());
}

#if defined(CONFIG_PM_DEVICE_RUNTIME)
ZTEST(sampling_icm42688, test_sensor_device_suspended_between_measurements)
{
	const struct device *dev = DEVICE_DT_GET(DT_CHOSEN(vmon_accel));
	enum pm_device_state state;

	zassert_ok(pm_device_state_get(dev, &state));
	zassert_equal(state, PM_DEVICE_STATE_SUSPENDED, "state %d before sampling", state);
	zassert_ok(vmon_sampling_start(check_block, NULL));
	zassert_ok(pm_device_state_get(dev, &state));
	zassert_equal(state, PM_DEVICE_STATE_ACTIVE);
	k_msleep(3 * BLOCK_MS);
	zassert_ok(vmon_sampling_stop());
	zassert_ok(pm_device_state_get(dev, &state));
	zassert_equal(state, PM_DEVICE_STATE_SUSPENDED, "state %d after sampling", state);
	/* Suspended means the accelerometer is off, not only the device flag. */
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_PWR_MGMT0), 0);
	zassert_true(chk.blocks >= 2);
}
#endif

/* -- wake-on-motion ---------------------------------------------------------------------------- */

static atomic_t motions;

static void on_motion(void)
{
	atomic_inc(&motions);
}

ZTEST(sampling_icm42688, test_wake_on_motion_between_measurements)
{
	/* While sampling runs the sensor is busy. */
	zassert_ok(vmon_sampling_start(check_block, NULL));
	zassert_equal(vmon_sampling_wake_arm(on_motion), -EBUSY);
	k_msleep(2 * BLOCK_MS);
	zassert_ok(vmon_sampling_stop());

	atomic_clear(&motions);
	zassert_ok(vmon_sampling_wake_arm(on_motion));
	/* DS-000347 section 8.7: low-power accelerometer at 50 Hz (ACCEL_ODR 9), thresholds
	 * in 1/256 g (100 mg: 26), all axes on INT1, WOM_MODE 1 and SMD_MODE 1, bank 0 left
	 * selected. */
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_ACCEL_CONFIG0) & 0x0F, 9);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_PWR_MGMT0) & 0x03, 2);
	zassert_equal(icm42688_emul_bank_reg(sensor, 4, ICM42688_B4_ACCEL_WOM_X_THR), 26);
	zassert_equal(icm42688_emul_bank_reg(sensor, 4, ICM42688_B4_ACCEL_WOM_Y_THR), 26);
	zassert_equal(icm42688_emul_bank_reg(sensor, 4, ICM42688_B4_ACCEL_WOM_Z_THR), 26);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_INT_SOURCE1), 0x07);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_SMD_CONFIG), 0x05);
	zassert_equal(icm42688_emul_bank(sensor), 0);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_INT_SOURCE0), 0, "no FIFO interrupts");

	/* Each motion calls back once; reading the status releases the latched line. */
	for (int i = 1; i <= 3; i++) {
		zassert_true(icm42688_emul_motion(sensor, BIT(i % 3)));
		AWAIT(atomic_get(&motions) == i, 500);
		zassert_equal(atomic_get(&motions), i);
		zassert_equal(gpio_pin_get_dt(&int1_line), 0, "line released");
		k_msleep(20);
	}
	zassert_equal(stats().fault_state, 0);

	/* Disarmed: the accelerometer is off and motion calls nothing. */
	vmon_sampling_wake_disarm();
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_PWR_MGMT0), 0);
	zassert_false(icm42688_emul_motion(sensor, 0x07));
	k_msleep(50);
	zassert_equal(atomic_get(&motions), 3);

	/* Starting sampling disarms the watch: the FIFO streams as before. */
	zassert_ok(vmon_sampling_wake_arm(on_motion));
	zassert_ok(vmon_sampling_start(check_block, NULL));
	k_msleep(4 * BLOCK_MS);
	zassert_true(chk.blocks >= 3, "%u blocks", chk.blocks);
	zassert_equal(chk.errors, 0);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_SMD_CONFIG), 0, "reset by setup");
}

ZTEST(sampling_icm42688, test_wake_line_stuck_disarms_and_raises_a_fault)
{
	/* Stuck before arming: refused, a fault, no callback. */
	atomic_clear(&motions);
	icm42688_emul_set_line_stuck(sensor, true);
	zassert_equal(vmon_sampling_wake_arm(on_motion), -EIO);
	zassert_true(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK);
	k_msleep(50);
	zassert_equal(atomic_get(&motions), 0);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_PWR_MGMT0), 0, "accelerometer off");

	/* Armed cleanly again once the line is free: the fault clears. */
	icm42688_emul_set_line_stuck(sensor, false);
	zassert_ok(vmon_sampling_wake_arm(on_motion));
	zassert_false(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK);

	/* Stuck while armed: the first motion finds the line still active after the status
	 * read; the watch disarms itself, counted, without calling back. */
	icm42688_emul_set_line_stuck(sensor, true);
	k_msleep(50);
	AWAIT(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK, 500);
	zassert_true(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STUCK);
	zassert_equal(atomic_get(&motions), 0);
	zassert_equal(icm42688_emul_reg(sensor, ICM42688_REG_PWR_MGMT0), 0, "accelerometer off");
	icm42688_emul_set_line_stuck(sensor, false);
	zassert_false(icm42688_emul_motion(sensor, 0x07), "disarmed: no interrupt routed");
	vmon_sampling_wake_disarm();
}

ZTEST(sampling_icm42688, test_wake_interrupts_without_motion_disarm)
{
	atomic_clear(&motions);
	zassert_ok(vmon_sampling_wake_arm(on_motion));
	/* Edges on the line with nothing latched: spurious, then a storm. */
	for (int i = 0; i < CONFIG_VMON_SAMPLING_ICM42688_STORM_LIMIT + 2; i++) {
		icm42688_emul_storm(sensor, 1);
		k_msleep(5);
	}
	AWAIT(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STORM, 500);
	zassert_true(stats().fault_state & VMON_SAMPLING_FAULT_IRQ_STORM);
	zassert_true(stats().spurious_irqs >= CONFIG_VMON_SAMPLING_ICM42688_STORM_LIMIT);
	zassert_equal(atomic_get(&motions), 0);
}

ZTEST_SUITE(sampling_icm42688, NULL, NULL, before, after, NULL);
