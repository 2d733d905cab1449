/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * The ICM-42688-P registers the FIFO source uses (user banks 0 and 4), from TDK's datasheet
 * DS-000347 rev 1.5. Shared by the source and the test emulator so both speak one register
 * map.
 */

#ifndef VMON_ICM42688_REGS_H_
#define VMON_ICM42688_REGS_H_

#include <zephyr/sys/util.h>

/* SPI: the first byte is the register address, bit 7 set for a read. A burst read
 * auto-increments the address, except on FIFO_DATA, which pops FIFO bytes. */
#define ICM42688_SPI_READ BIT(7)

#define ICM42688_REG_DEVICE_CONFIG 0x11 /* bit 0: soft reset (1 ms) */
#define ICM42688_REG_INT_CONFIG    0x14
#define ICM42688_REG_FIFO_CONFIG   0x16 /* bits 7:6 mode: 0 bypass, 1 stream */
#define ICM42688_REG_INT_STATUS    0x2D /* clears on read; then FIFO_COUNTH, FIFO_COUNTL */
#define ICM42688_REG_FIFO_COUNTH   0x2E
#define ICM42688_REG_INT_STATUS2   0x37 /* bit 3 SMD, 2:0 WOM_Z/Y/X; clears on read */
#define ICM42688_REG_FIFO_DATA     0x30
#define ICM42688_REG_SIGNAL_PATH_RESET 0x4B
#define ICM42688_REG_INTF_CONFIG0  0x4C
#define ICM42688_REG_PWR_MGMT0     0x4E
#define ICM42688_REG_ACCEL_CONFIG0 0x50 /* bits 7:5 full scale, 3:0 output data rate */
#define ICM42688_REG_SMD_CONFIG    0x57 /* 3 WOM_INT_MODE, 2 WOM_MODE, 1:0 SMD_MODE */
#define ICM42688_REG_FIFO_CONFIG1  0x5F
#define ICM42688_REG_FIFO_CONFIG2  0x60 /* watermark bits 7:0 */
#define ICM42688_REG_FIFO_CONFIG3  0x61 /* watermark bits 11:8 */
#define ICM42688_REG_INT_CONFIG1   0x64
#define ICM42688_REG_INT_SOURCE0   0x65
#define ICM42688_REG_INT_SOURCE1   0x66 /* 2:0 WOM_Z/Y/X_INT1_EN */
#define ICM42688_REG_FIFO_LOST_PKT0 0x6C /* then FIFO_LOST_PKT1: packets lost, little-endian */
#define ICM42688_REG_WHO_AM_I      0x75
#define ICM42688_REG_BANK_SEL      0x76 /* in every bank: bits 2:0 the user bank */

/* User bank 4: the wake-on-motion thresholds, 1 g / 256 a step (section 17.10-17.12). */
#define ICM42688_B4_ACCEL_WOM_X_THR 0x4A
#define ICM42688_B4_ACCEL_WOM_Y_THR 0x4B
#define ICM42688_B4_ACCEL_WOM_Z_THR 0x4C

#define ICM42688_WHO_AM_I 0x47

#define ICM42688_SOFT_RESET          BIT(0)
/* INT_CONFIG: INT1 latched until INT_STATUS is read, push-pull, active high. */
#define ICM42688_INT1_LATCHED_PP_HIGH (BIT(2) | BIT(1) | BIT(0))
#define ICM42688_FIFO_MODE_STREAM    (1U << 6)
#define ICM42688_FIFO_MODE_BYPASS    0U
#define ICM42688_INT_STATUS_FIFO_FULL BIT(1)
#define ICM42688_INT_STATUS_FIFO_THS BIT(2)
#define ICM42688_FIFO_FLUSH          BIT(1) /* SIGNAL_PATH_RESET */
/* INTF_CONFIG0: FIFO count in records, count and sensor data big-endian (reset values). */
#define ICM42688_FIFO_COUNT_REC      BIT(6)
#define ICM42688_FIFO_COUNT_BE       BIT(5)
#define ICM42688_SENSOR_DATA_BE      BIT(4)
#define ICM42688_ACCEL_MODE_LN       3U /* PWR_MGMT0 bits 1:0 */
#define ICM42688_ACCEL_MODE_LP       2U
/* Wake-on-motion (section 8.7): the accelerometer in low-power mode at 50 Hz (ACCEL_ODR 9),
 * each sample compared with the previous one (WOM_MODE 1), any axis (WOM_INT_MODE 0), the
 * WOM function on (SMD_MODE 1, as the section's step 7 sets it), on INT1. */
#define ICM42688_ODR_WOM             9U
#define ICM42688_SMD_CONFIG_WOM      (BIT(2) | 1U)
#define ICM42688_WOM_XYZ             (BIT(2) | BIT(1) | BIT(0))
/* FIFO_CONFIG1: accelerometer (+ temperature) packets; WM_GT_TH repeats the watermark
 * interrupt on every ODR while the count stays at or above the watermark. */
#define ICM42688_FIFO_WM_GT_TH       BIT(5)
#define ICM42688_FIFO_ACCEL_EN       BIT(1)
#define ICM42688_FIFO_TEMP_EN        BIT(0)
/* INT_CONFIG1: INT_ASYNC_RESET must be 0 for the INT pins to work (datasheet note). */
#define ICM42688_INT_ASYNC_RESET     BIT(4)
#define ICM42688_FIFO_THS_INT1_EN    BIT(2)
#define ICM42688_FIFO_FULL_INT1_EN   BIT(1)

/* FIFO packet 1 (accelerometer only): header, x, y, z (big-endian int16), temperature. */
#define ICM42688_PACKET_SIZE    8
#define ICM42688_HEADER_EMPTY   BIT(7) /* FIFO empty: the packet is not data */
#define ICM42688_HEADER_ACCEL   BIT(6)
/* 2 KB FIFO: 256 packets of 8 bytes. */
#define ICM42688_FIFO_PACKETS   256

/* ACCEL_CONFIG0's ODR codes (the devicetree's accel-odr values) in Hz; 0: not a rate. */
#define ICM42688_ODR_HZ(code)                                                                   \
	((code) == 1    ? 32000                                                                 \
	 : (code) == 2  ? 16000                                                                 \
	 : (code) == 3  ? 8000                                                                  \
	 : (code) == 4  ? 4000                                                                  \
	 : (code) == 5  ? 2000                                                                  \
	 : (code) == 6  ? 1000                                                                  \
	 : (code) == 7  ? 200                                                                   \
	 : (code) == 8  ? 100                                                                   \
	 : (code) == 15 ? 500                                                                   \
			: 0)

/* ACCEL_CONFIG0's full-scale codes (the devicetree's accel-fs): 0 is ±16 g, each step halves. */
#define ICM42688_FS_MG(code) (16000 >> (code))

#endif /* VMON_ICM42688_REGS_H_ */
