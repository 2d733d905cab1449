/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * ICM-42688-P FIFO emulator (see icm42688_fifo_emul.h). Only what the sampling source
 * uses: soft reset, WHO_AM_I, the FIFO configuration and watermark, INT1 latched on the
 * watermark or a full FIFO, INT_STATUS + FIFO count in one burst, FIFO_DATA bursts and
 * the FIFO flush. The FIFO is filled lazily, from the kernel clock, on every access and
 * when a timer set for the watermark crossing expires.
 */

#define DT_DRV_COMPAT invensense_icm42688

#include <errno.h>
#include <string.h>

#include <zephyr/device.h>
#include <zephyr/drivers/emul.h>
#include <zephyr/drivers/gpio.h>
#include <zephyr/drivers/gpio/gpio_emul.h>
#include <zephyr/drivers/spi.h>
#include <zephyr/drivers/spi_emul.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/sys/util.h>

#include "icm42688_fifo_emul.h"
#include "icm42688_regs.h"

LOG_MODULE_REGISTER(icm42688_fifo_emul, LOG_LEVEL_INF);

#define N_REGS 128
#define TPS    CONFIG_SYS_CLOCK_TICKS_PER_SEC

struct icm_emul {
	struct k_spinlock lock;
	struct k_timer wm_timer;
	const struct emul *target;
	uint8_t regs[N_REGS];
	/* User banks 1-4 (bank 4: the wake-on-motion thresholds) and REG_BANK_SEL. */
	uint8_t banks[5][N_REGS];
	uint8_t bank;
	/* FIFO of timeline indexes: the packet content is a function of the index. */
	uint32_t fifo[ICM42688_FIFO_PACKETS];
	uint32_t head;
	uint32_t count;
	/* Next timeline index the sensor samples. */
	uint64_t next;
	uint32_t dropped;
	uint32_t fail;
	bool streaming;
	bool latched; /* INT1 latched active */
	bool absent;
	bool frozen;
	bool muted;
	bool stuck;
	bool constant;
	int16_t constant_xyz[3];
	uint32_t frozen_at_count;
};

static struct icm_emul emu;
static const struct gpio_dt_spec int1 = GPIO_DT_SPEC_INST_GET(0, int_gpios);

static uint32_t odr_hz(void)
{
	return ICM42688_ODR_HZ(emu.regs[ICM42688_REG_ACCEL_CONFIG0] & 0x0F);
}

static uint32_t watermark(void)
{
	return emu.regs[ICM42688_REG_FIFO_CONFIG2] |
	       ((uint32_t)(emu.regs[ICM42688_REG_FIFO_CONFIG3] & 0x0F) << 8);
}

/* Timeline index due at tick @p t: ODR periods since boot. */
static uint64_t due_at(int64_t t)
{
	return (uint64_t)t * odr_hz() / TPS;
}

static void reset_regs(void)
{
	memset(emu.regs, 0, sizeof(emu.regs));
	memset(emu.banks, 0, sizeof(emu.banks));
	emu.bank = 0;
	emu.regs[ICM42688_REG_WHO_AM_I] = ICM42688_WHO_AM_I;
	emu.regs[ICM42688_REG_INTF_CONFIG0] = ICM42688_FIFO_COUNT_BE | ICM42688_SENSOR_DATA_BE;
	emu.regs[ICM42688_REG_ACCEL_CONFIG0] = 0x06; /* 16 g, 1 kHz */
	emu.regs[ICM42688_REG_INT_CONFIG1] = ICM42688_INT_ASYNC_RESET;
	emu.head = 0;
	emu.count = 0;
	emu.streaming = false;
	emu.latched = false;
}

/* Sample up to now; latch INT1 at the watermark crossing or on a full FIFO. */
static void advance(void)
{
	if (!emu.streaming) {
		return;
	}
	uint64_t due = due_at(k_uptime_ticks());
	uint32_t wm = watermark();

	if (emu.frozen) {
		emu.next = due;
		return;
	}
	for (; emu.next < due; emu.next++) {
		if (emu.count == ICM42688_FIFO_PACKETS) {
			emu.dropped++;
			emu.regs[ICM42688_REG_INT_STATUS] |= ICM42688_INT_STATUS_FIFO_FULL;
			if ((emu.regs[ICM42688_REG_INT_SOURCE0] & ICM42688_FIFO_FULL_INT1_EN) != 0U) {
				emu.latched = true;
			}
			continue;
		}
		emu.fifo[(emu.head + emu.count) % ICM42688_FIFO_PACKETS] = (uint32_t)emu.next;
		emu.count++;
		if (emu.count == wm) {
			emu.regs[ICM42688_REG_INT_STATUS] |= ICM42688_INT_STATUS_FIFO_THS;
			if ((emu.regs[ICM42688_REG_INT_SOURCE0] & ICM42688_FIFO_THS_INT1_EN) != 0U &&
			    !emu.muted) {
				emu.latched = true;
			}
		}
	}
}

/* Arm the timer for the sample that brings the FIFO to the watermark. */
static void schedule(void)
{
	uint32_t wm = watermark();

	if (!emu.streaming || emu.frozen || wm == 0U || emu.count >= wm) {
		k_timer_stop(&emu.wm_timer);
		return;
	}
	uint64_t index = emu.next + (wm - emu.count - 1U);
	/* First tick at which due_at() passes index. */
	uint64_t tick = ((index + 1U) * TPS + odr_hz() - 1U) / odr_hz();

	k_timer_start(&emu.wm_timer, K_TIMEOUT_ABS_TICKS(tick), K_NO_WAIT);
}

static bool line_level(void)
{
	return emu.stuck || emu.latched;
}

static void drive_line(bool level)
{
	(void)gpio_emul_input_set(int1.port, int1.pin, level ? 1 : 0);
}

static void wm_expiry(struct k_timer *timer)
{
	ARG_UNUSED(timer);
	k_spinlock_key_t key = k_spin_lock(&emu.lock);

	advance();
	schedule();
	bool level = line_level();

	k_spin_unlock(&emu.lock, key);
	drive_line(level);
}

static void put_packet(uint8_t *out, uint32_t n)
{
	int16_t xyz[3] = {(int16_t)(uint16_t)n, (int16_t)(uint16_t)(n >> 16), icm42688_emul_z(n)};

	if (emu.constant) {
		memcpy(xyz, emu.constant_xyz, sizeof(xyz));
	}
	out[0] = ICM42688_HEADER_ACCEL;
	for (int a = 0; a < 3; a++) {
		sys_put_be16((uint16_t)xyz[a], &out[1 + 2 * a]);
	}
	out[7] = 0; /* temperature */
}

static void read_fifo(uint8_t *out, size_t len)
{
	for (size_t i = 0; i < len; i += ICM42688_PACKET_SIZE) {
		uint8_t pkt[ICM42688_PACKET_SIZE] = {ICM42688_HEADER_EMPTY};

		if (emu.count > 0U) {
			put_packet(pkt, emu.fifo[emu.head]);
			emu.head = (emu.head + 1U) % ICM42688_FIFO_PACKETS;
			emu.count--;
		}
		memcpy(&out[i], pkt, MIN(len - i, sizeof(pkt)));
	}
}

static uint8_t read_reg(uint8_t reg)
{
	if (reg == ICM42688_REG_BANK_SEL) {
		return emu.bank;
	}
	if (emu.bank != 0U) {
		return emu.bank < ARRAY_SIZE(emu.banks) ? emu.banks[emu.bank][reg] : 0;
	}
	switch (reg) {
	case ICM42688_REG_INT_STATUS2: {
		uint8_t v = emu.regs[reg];

		emu.regs[reg] = 0;
		emu.latched = false;
		return v;
	}
	case ICM42688_REG_INT_STATUS: {
		uint8_t v = emu.regs[reg];

		emu.regs[reg] = 0;
		emu.latched = false;
		return v;
	}
	case ICM42688_REG_FIFO_COUNTH:
		return (uint8_t)(emu.count >> 8);
	case ICM42688_REG_FIFO_COUNTH + 1:
		return (uint8_t)emu.count;
	default:
		return reg < N_REGS ? emu.regs[reg] : 0;
	}
}

static void update_streaming(void)
{
	bool on = (emu.regs[ICM42688_REG_FIFO_CONFIG] & 0xC0) == ICM42688_FIFO_MODE_STREAM &&
		  (emu.regs[ICM42688_REG_PWR_MGMT0] & 0x03) == ICM42688_ACCEL_MODE_LN &&
		  odr_hz() != 0U;

	if (on && !emu.streaming) {
		emu.next = due_at(k_uptime_ticks());
	}
	emu.streaming = on;
	if (!on) {
		emu.count = 0;
	}
}

static void write_reg(uint8_t reg, uint8_t val)
{
	if (reg >= N_REGS) {
		return;
	}
	if (reg == ICM42688_REG_BANK_SEL) {
		emu.bank = val & 0x07;
		return;
	}
	if (emu.bank != 0U) {
		if (emu.bank < ARRAY_SIZE(emu.banks)) {
			emu.banks[emu.bank][reg] = val;
		}
		return;
	}
	switch (reg) {
	case ICM42688_REG_DEVICE_CONFIG:
		if ((val & ICM42688_SOFT_RESET) != 0U) {
			reset_regs();
		}
		return;
	case ICM42688_REG_SIGNAL_PATH_RESET:
		if ((val & ICM42688_FIFO_FLUSH) != 0U) {
			emu.count = 0;
		}
		return;
	default:
		emu.regs[reg] = val;
		update_streaming();
	}
}

/* The bytes the host clocks out and in, as one stream each: byte 0 is the address. Static:
 * a whole FIFO does not fit the callers' stacks; the lock guards them. */
static uint8_t io_tx[1 + ICM42688_FIFO_PACKETS * ICM42688_PACKET_SIZE];
static uint8_t io_rx[sizeof(io_tx)];

static int emul_io(const struct emul *target, const struct spi_config *config,
		   const struct spi_buf_set *tx_bufs, const struct spi_buf_set *rx_bufs)
{
	ARG_UNUSED(target);
	ARG_UNUSED(config);
	size_t n_tx = 0;
	size_t n_rx = 0;
	int err = 0;
	k_spinlock_key_t key = k_spin_lock(&emu.lock);

	for (size_t i = 0; tx_bufs != NULL && i < tx_bufs->count && err == 0; i++) {
		const struct spi_buf *b = &tx_bufs->buffers[i];

		if (n_tx + b->len > sizeof(io_tx)) {
			err = -EINVAL;
			break;
		}
		if (b->buf != NULL) {
			memcpy(&io_tx[n_tx], b->buf, b->len);
		} else {
			memset(&io_tx[n_tx], 0, b->len);
		}
		n_tx += b->len;
	}
	for (size_t i = 0; rx_bufs != NULL && i < rx_bufs->count; i++) {
		n_rx += rx_bufs->buffers[i].len;
	}
	if (err == 0 && (n_tx == 0U || n_rx > sizeof(io_rx))) {
		err = -EINVAL;
	}
	if (err != 0) {
		/* A transfer this emulator cannot take is a bug in the source. */
	} else if (emu.fail > 0U) {
		emu.fail--;
		err = -EIO;
	} else if (emu.absent) {
		memset(io_rx, 0xFF, n_rx);
	} else {
		uint8_t reg = io_tx[0] & ~ICM42688_SPI_READ;

		advance();
		memset(io_rx, 0xFF, n_rx);
		if ((io_tx[0] & ICM42688_SPI_READ) == 0U) {
			for (size_t i = 1; i < n_tx; i++) {
				write_reg((uint8_t)(reg + i - 1U), io_tx[i]);
			}
		} else if (n_rx > 1U && reg == ICM42688_REG_FIFO_DATA) {
			read_fifo(&io_rx[1], n_rx - 1U);
		} else {
			for (size_t i = 1; i < n_rx; i++) {
				io_rx[i] = read_reg((uint8_t)(reg + i - 1U));
			}
		}
		schedule();
	}
	for (size_t i = 0, off = 0; err == 0 && rx_bufs != NULL && i < rx_bufs->count; i++) {
		const struct spi_buf *b = &rx_bufs->buffers[i];

		if (b->buf != NULL) {
			memcpy(b->buf, &io_rx[off], b->len);
		}
		off += b->len;
	}
	bool level = line_level();

	k_spin_unlock(&emu.lock, key);
	drive_line(level);
	return err;
}

/* -- fault injection ------------------------------------------------------------------------ */

#define LOCKED(stmt)                                                                            \
	do {                                                                                    \
		k_spinlock_key_t key_ = k_spin_lock(&emu.lock);                                 \
		stmt;                                                                           \
		bool level_ = line_level();                                                     \
		k_spin_unlock(&emu.lock, key_);                                                 \
		drive_line(level_);                                                             \
	} while (0)

void icm42688_emul_set_absent(const struct emul *target, bool absent)
{
	ARG_UNUSED(target);
	LOCKED(emu.absent = absent);
}

void icm42688_emul_fail_transfers(const struct emul *target, uint32_t n)
{
	ARG_UNUSED(target);
	LOCKED(emu.fail = n);
}

void icm42688_emul_freeze(const struct emul *target, bool frozen)
{
	ARG_UNUSED(target);
	LOCKED(advance(); emu.frozen = frozen; advance(); schedule());
}

void icm42688_emul_mute_irq(const struct emul *target, bool muted)
{
	ARG_UNUSED(target);
	LOCKED(emu.muted = muted);
}

void icm42688_emul_set_line_stuck(const struct emul *target, bool stuck)
{
	ARG_UNUSED(target);
	LOCKED(emu.stuck = stuck);
}

void icm42688_emul_storm(const struct emul *target, uint32_t pulses)
{
	ARG_UNUSED(target);
	for (uint32_t i = 0; i < pulses; i++) {
		drive_line(true);
		drive_line(false);
	}
	LOCKED((void)0);
}

void icm42688_emul_set_constant(const struct emul *target, bool on, int16_t x, int16_t y,
				int16_t z)
{
	ARG_UNUSED(target);
	LOCKED(emu.constant = on; emu.constant_xyz[0] = x; emu.constant_xyz[1] = y;
	       emu.constant_xyz[2] = z);
}

uint32_t icm42688_emul_dropped(const struct emul *target)
{
	ARG_UNUSED(target);
	return emu.dropped;
}

uint8_t icm42688_emul_reg(const struct emul *target, uint8_t reg)
{
	ARG_UNUSED(target);
	return reg < N_REGS ? emu.regs[reg] : 0;
}

uint8_t icm42688_emul_bank_reg(const struct emul *target, uint8_t bank, uint8_t reg)
{
	ARG_UNUSED(target);
	if (reg >= N_REGS || bank >= ARRAY_SIZE(emu.banks)) {
		return 0;
	}
	return bank == 0U ? emu.regs[reg] : emu.banks[bank][reg];
}

uint8_t icm42688_emul_bank(const struct emul *target)
{
	ARG_UNUSED(target);
	return emu.bank;
}

/* The wake-on-motion function as section 8.7 sets it up: low-power (or low-noise)
 * accelerometer, the WOM function on, its interrupt routed to INT1, thresholds set. */
static bool wom_on(void)
{
	const uint8_t mode = emu.regs[ICM42688_REG_PWR_MGMT0] & 0x03;

	return (mode == ICM42688_ACCEL_MODE_LP || mode == ICM42688_ACCEL_MODE_LN) &&
	       (emu.regs[ICM42688_REG_SMD_CONFIG] & 0x03) == 1U &&
	       emu.banks[4][ICM42688_B4_ACCEL_WOM_X_THR] != 0U;
}

bool icm42688_emul_motion(const struct emul *target, uint8_t axes)
{
	ARG_UNUSED(target);
	bool raised = false;

	LOCKED(if (wom_on() && !emu.absent) {
		emu.regs[ICM42688_REG_INT_STATUS2] |= axes & ICM42688_WOM_XYZ;
		if ((emu.regs[ICM42688_REG_INT_SOURCE1] & axes & ICM42688_WOM_XYZ) != 0U) {
			emu.latched = true;
			raised = true;
		}
	});
	return raised;
}

static int emul_init(const struct emul *target, const struct device *parent)
{
	ARG_UNUSED(parent);
	emu.target = target;
	k_timer_init(&emu.wm_timer, wm_expiry, NULL);
	reset_regs();
	return 0;
}

static const struct spi_emul_api emul_api = {
	.io = emul_io,
};

BUILD_ASSERT(DT_NUM_INST_STATUS_OKAY(DT_DRV_COMPAT) == 1, "one emulated ICM-42688-P");

EMUL_DT_INST_DEFINE(0, emul_init, &emu, NULL, &emul_api, NULL);
