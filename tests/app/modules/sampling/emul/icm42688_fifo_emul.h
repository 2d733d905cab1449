/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * A test emulator of the ICM-42688-P's FIFO on an emulated SPI bus: the FIFO fills at the
 * programmed output data rate on the kernel clock, INT1 (a gpio-emul line) latches at the
 * watermark crossing and clears when INT_STATUS is read, a full FIFO drops new packets
 * and sets FIFO_FULL. Zephyr's own ICM-42688 emulator has registers but no FIFO.
 *
 * Sample n of the emulated timeline (n counts output-data-rate periods since boot) reads
 * x = n & 0xFFFF, y = n >> 16, z = n * 7 + 1 (raw int16), so a test can tell exactly which
 * samples arrived; icm42688_emul_set_constant() replaces that pattern.
 */

#ifndef VMON_TEST_ICM42688_FIFO_EMUL_H_
#define VMON_TEST_ICM42688_FIFO_EMUL_H_

#include <stdbool.h>
#include <stdint.h>

#include <zephyr/drivers/emul.h>

/** The timeline index encoded in a sample's x and y counts. */
static inline uint32_t icm42688_emul_index(int16_t x, int16_t y)
{
	return (uint32_t)(uint16_t)x | ((uint32_t)(uint16_t)y << 16);
}

/** The z count of sample @p n of the pattern. */
static inline int16_t icm42688_emul_z(uint32_t n)
{
	return (int16_t)(uint16_t)(n * 7U + 1U);
}

/** No chip on the chip select: reads return 0xFF (MISO idles high), writes vanish. */
void icm42688_emul_set_absent(const struct emul *target, bool absent);

/** The next @p n transfers fail with -EIO. */
void icm42688_emul_fail_transfers(const struct emul *target, uint32_t n);

/** The sensor stops sampling (lost clock) until called again with false. */
void icm42688_emul_freeze(const struct emul *target, bool frozen);

/** The watermark no longer raises INT1 (the FIFO keeps filling). */
void icm42688_emul_mute_irq(const struct emul *target, bool muted);

/** INT1 held active whatever the sensor does. */
void icm42688_emul_set_line_stuck(const struct emul *target, bool stuck);

/** Pulse INT1 @p pulses times with no data behind the pulses. */
void icm42688_emul_storm(const struct emul *target, uint32_t pulses);

/** Every sample reads (x, y, z) while @p on. */
void icm42688_emul_set_constant(const struct emul *target, bool on, int16_t x, int16_t y,
				int16_t z);

/** Packets the sensor dropped because its FIFO was full. */
uint32_t icm42688_emul_dropped(const struct emul *target);

/** Register @p reg (user bank 0) as the source last wrote it. */
uint8_t icm42688_emul_reg(const struct emul *target, uint8_t reg);

/** Register @p reg of user bank 0..4 as the source last wrote it. */
uint8_t icm42688_emul_bank_reg(const struct emul *target, uint8_t bank, uint8_t reg);

/** The user bank REG_BANK_SEL selects now. */
uint8_t icm42688_emul_bank(const struct emul *target);

/**
 * Motion on @p axes (WOM_X/Y/Z bits): if the wake-on-motion function is set up as section
 * 8.7 of the datasheet says, INT_STATUS2 latches them and INT1 goes active when routed.
 * Returns whether INT1 was raised.
 */
bool icm42688_emul_motion(const struct emul *target, uint8_t axes);

#endif /* VMON_TEST_ICM42688_FIFO_EMUL_H_ */
