/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * Sampling source: an analog accelerometer (the devicetree's chosen vmon,analog-accel, an
 * ADXL1002-class voltage output) on the nRF52 SAADC, with no interrupt per sample.
 *
 * A TIMER (the node's sample-timer) counts one sample period and clears itself; PPI routes
 * its COMPARE[0] event to the SAADC's SAMPLE task, so the conversions run at the timer's
 * rate with the CPU asleep. EasyDMA writes the results straight into the sampling core's
 * block buffers, double buffered: a second PPI channel routes END (buffer full) to START,
 * which latches the next buffer the ISR programmed at STARTED. The CPU wakes twice per
 * block (STARTED, END), converts the block's ADC codes into counts in place and hands it on.
 * The buffer logic is in saadc_ring.c (unit-tested on QEMU); this file only drives the
 * registers.
 *
 * Accuracy: the TIMER runs from the HF clock, so the source holds the 32 MHz crystal
 * (HFXO) while sampling: the internal RC oscillator's tolerance would break the +-0.1 %
 * rate target.
 *
 * The SAADC belongs to this source: Zephyr's ADC driver (CONFIG_ADC_NRFX_SAADC) must be off.
 * Between measurements the source converts the battery divider's input once on demand
 * (vmon_sampling_vbatt_input_mv(), for the battery module), polled on another channel.
 */

#include <errno.h>

#include <zephyr/device.h>
#include <zephyr/devicetree.h>
#include <zephyr/drivers/adc.h>
#include <zephyr/drivers/clock_control/nrf_clock_control.h>
#include <zephyr/drivers/gpio.h>
#include <zephyr/irq.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/sys/onoff.h>
#include <zephyr/sys/util.h>

#include <hal/nrf_saadc.h>
#include <hal/nrf_timer.h>
#include <helpers/nrfx_gppi.h>

#include "saadc_ring.h"
#include "sampling_internal.h"

LOG_MODULE_REGISTER(vmon_sampling_saadc, CONFIG_VMON_SAMPLING_LOG_LEVEL);

#define ACCEL    DT_CHOSEN(vmon_analog_accel)
#define ADC_NODE DT_IO_CHANNELS_CTLR(ACCEL)
#define CH_NODE  ADC_CHANNEL_DT_NODE(ADC_NODE, DT_IO_CHANNELS_INPUT(ACCEL))
#define TIMER    DT_PHANDLE(ACCEL, sample_timer)

BUILD_ASSERT(DT_NODE_HAS_PROP(ACCEL, sample_timer),
	     "vmon,analog-accel needs a sample-timer for the SAADC source");
BUILD_ASSERT(DT_NODE_HAS_COMPAT(TIMER, nordic_nrf_timer), "sample-timer must be an nRF TIMER");
BUILD_ASSERT(DT_NODE_HAS_COMPAT(ADC_NODE, nordic_nrf_saadc), "io-channels must be the SAADC");
BUILD_ASSERT(DT_NODE_EXISTS(CH_NODE), "the SAADC needs a channel@N node for the accelerometer");
BUILD_ASSERT(VMON_SAMPLING_AXES == 1, "one analog output: CONFIG_VMON_SAMPLING_AXES=1");
/* Below twice the analog path's bandwidth the samples alias: filter it or sample faster. */
BUILD_ASSERT((uint64_t)VMON_SAMPLING_RATE_HZ >= 2ULL * DT_PROP(ACCEL, bandwidth_hz),
	     "CONFIG_VMON_SAMPLING_RATE_HZ is below twice the analog path's bandwidth-hz");
/* The conversion needs a known input range: the internal 0.6 V reference, not VDD / 4. */
BUILD_ASSERT(DT_STRING_TOKEN(CH_NODE, zephyr_reference) == ADC_REF_INTERNAL,
	     "the accelerometer's channel must use zephyr,reference = \"ADC_REF_INTERNAL\"");
BUILD_ASSERT(DT_PROP_OR(CH_NODE, zephyr_oversampling, 0) == 0,
	     "oversampling needs several SAMPLE tasks per sample: not with a paced SAADC");
BUILD_ASSERT(!DT_PROP(CH_NODE, zephyr_differential), "single-ended input only");

BUILD_ASSERT(!IS_ENABLED(CONFIG_ADC_NRFX_SAADC),
	     "the SAADC source owns the SAADC: set CONFIG_VOLTAGE_DIVIDER=n and CONFIG_ADC=n");

#define RESOLUTION DT_PROP(CH_NODE, zephyr_resolution)
BUILD_ASSERT(RESOLUTION == 8 || RESOLUTION == 10 || RESOLUTION == 12 || RESOLUTION == 14,
	     "SAADC resolution: 8, 10, 12 or 14 bits");

/* The SAADC's internal reference (nRF52840 PS, SAADC electrical specification). */
#define SAADC_REF_UV       600000U
/* Rate accuracy the source accepts from the timer plan: the issue's +-0.1 %. */
#define RATE_MAX_ERROR_PPM 1000U
/* TIMER base clock (PCLK16M). */
#define TIMER_BASE_HZ      16000000U
/* tCONV, at most 2 us (PS), after the acquisition time. */
#define CONV_NS            2000U
/* The SAADC channel used (0..7): not the AIN number, which PSELP selects. */
#define SAADC_CH           0U

const char *const vmon_sampling_source_name = "saadc";

static NRF_SAADC_Type *const saadc = (NRF_SAADC_Type *)DT_REG_ADDR(ADC_NODE);
static NRF_TIMER_Type *const timer = (NRF_TIMER_Type *)DT_REG_ADDR(TIMER);

#if DT_NODE_HAS_PROP(ACCEL, power_gpios)
static const struct gpio_dt_spec power = GPIO_DT_SPEC_GET(ACCEL, power_gpios);
#endif

static struct {
	struct vmon_saadc_ring ring;
	struct vmon_saadc_scale scale;
	struct vmon_saadc_timer_plan plan;
	struct onoff_client hfclk;
	nrf_saadc_channel_config_t ch_cfg;
	uint8_t ppi_sample;
	uint8_t ppi_restart;
	bool ready;
	bool running; /* streaming: the battery's one-shot waits for the next gap */
	bool hfclk_held;
	bool flat;
} s;

/* Sampling and the battery's one-shot conversion take turns on the SAADC. */
static K_MUTEX_DEFINE(saadc_lock);

/* Dropped blocks land here: the DMA always has somewhere to write. */
static int16_t scratch[VMON_SAMPLING_BLOCK_LEN] __aligned(4);

static uint64_t now_us(void)
{
	return k_ticks_to_us_floor64((uint64_t)k_uptime_ticks());
}

/* The SAADC's gains, and the input range each gives on the internal reference. 0, or
 * -EINVAL for a gain the SAADC lacks. */
static int saadc_gain(enum adc_gain gain, nrf_saadc_gain_t *reg, uint32_t *input_fs_uv)
{
	static const struct {
		enum adc_gain gain;
		nrf_saadc_gain_t reg;
		uint8_t num; /* input full scale = reference * num / den */
		uint8_t den;
	} table[] = {
		{ADC_GAIN_1_6, NRF_SAADC_GAIN1_6, 6, 1}, {ADC_GAIN_1_5, NRF_SAADC_GAIN1_5, 5, 1},
		{ADC_GAIN_1_4, NRF_SAADC_GAIN1_4, 4, 1}, {ADC_GAIN_1_3, NRF_SAADC_GAIN1_3, 3, 1},
		{ADC_GAIN_1_2, NRF_SAADC_GAIN1_2, 2, 1}, {ADC_GAIN_1, NRF_SAADC_GAIN1, 1, 1},
		{ADC_GAIN_2, NRF_SAADC_GAIN2, 1, 2},     {ADC_GAIN_4, NRF_SAADC_GAIN4, 1, 4},
	};

	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (table[i].gain == gain) {
			*reg = table[i].reg;
			*input_fs_uv = SAADC_REF_UV * table[i].num / table[i].den;
			return 0;
		}
	}
	return -EINVAL;
}

/* The devicetree's acquisition time: its register value and nanoseconds (0: not a TACQ). */
static uint32_t saadc_acq(uint16_t acq, nrf_saadc_acqtime_t *reg)
{
	static const struct {
		uint16_t us;
		nrf_saadc_acqtime_t reg;
	} table[] = {
		{3, NRF_SAADC_ACQTIME_3US},   {5, NRF_SAADC_ACQTIME_5US},
		{10, NRF_SAADC_ACQTIME_10US}, {15, NRF_SAADC_ACQTIME_15US},
		{20, NRF_SAADC_ACQTIME_20US}, {40, NRF_SAADC_ACQTIME_40US},
	};

	if (acq == ADC_ACQ_TIME_DEFAULT) {
		acq = ADC_ACQ_TIME(ADC_ACQ_TIME_MICROSECONDS, 10);
	}
	for (size_t i = 0; i < ARRAY_SIZE(table); i++) {
		if (acq == ADC_ACQ_TIME(ADC_ACQ_TIME_MICROSECONDS, table[i].us)) {
			*reg = table[i].reg;
			return table[i].us * 1000U;
		}
	}
	return 0U;
}

/* A block is full: codes to counts in place (about 3 cycles a sample), then on. */
static void ring_done(struct vmon_sampling_block *block, uint32_t seq, uint64_t t0_us)
{
	const uint32_t clipped = vmon_saadc_convert(block->data, VMON_SAMPLING_BLOCK_LEN, &s.scale);

	/* Every sample beyond full scale: the output sits at a rail (no sensor, no supply,
	 * an open wire). A vibration crosses zero within a block. */
	if (clipped == VMON_SAMPLING_BLOCK_LEN) {
		if (!s.flat) {
			s.flat = true;
			vmon_sampling_fault_raise(VMON_SAMPLING_FAULT_ABSENT);
		}
	} else if (s.flat) {
		s.flat = false;
		vmon_sampling_fault_clear(VMON_SAMPLING_FAULT_ABSENT);
	}
	vmon_sampling_block_done(block, seq, t0_us);
}

static const struct vmon_saadc_ring_ops ring_ops = {
	.alloc = vmon_sampling_block_alloc,
	.discard = vmon_sampling_block_discard,
	.done = ring_done,
	.count = vmon_sampling_count,
};

/* Poll @p event for up to @p us microseconds. */
static bool wait_event(nrf_saadc_event_t event, int us)
{
	for (int i = 0; i < us; i++) {
		if (nrf_saadc_event_check(saadc, event)) {
			nrf_saadc_event_clear(saadc, event);
			return true;
		}
		k_busy_wait(1);
	}
	return false;
}

static void hw_halt(void)
{
	nrf_timer_task_trigger(timer, NRF_TIMER_TASK_STOP);
	nrfx_gppi_channels_disable(BIT(s.ppi_sample) | BIT(s.ppi_restart));
	nrf_saadc_int_disable(saadc, NRF_SAADC_INT_ALL);
	nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_STOPPED);
	nrf_saadc_task_trigger(saadc, NRF_SAADC_TASK_STOP);
	/* STOPPED follows within a conversion (a few microseconds). */
	(void)wait_event(NRF_SAADC_EVENT_STOPPED, 1000);
	nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_STARTED);
	nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_END);
}

/* (Re)start the conversions into the ring's first buffer. ISR or thread. */
static void hw_go(void)
{
	nrf_saadc_buffer_init(saadc, vmon_saadc_ring_start(&s.ring, now_us()),
			      VMON_SAMPLING_BLOCK_LEN);
	nrf_saadc_int_enable(saadc, NRF_SAADC_INT_STARTED | NRF_SAADC_INT_END);
	nrfx_gppi_channels_enable(BIT(s.ppi_sample) | BIT(s.ppi_restart));
	nrf_saadc_task_trigger(saadc, NRF_SAADC_TASK_START);
	nrf_timer_task_trigger(timer, NRF_TIMER_TASK_CLEAR);
	nrf_timer_task_trigger(timer, NRF_TIMER_TASK_START);
}

static void saadc_isr(const void *arg)
{
	ARG_UNUSED(arg);

	/* END before STARTED: a STARTED seen with an END is the next buffer's. */
	if (nrf_saadc_event_check(saadc, NRF_SAADC_EVENT_END)) {
		nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_END);
		if (vmon_saadc_ring_end(&s.ring, now_us()) == VMON_SAADC_END_LATE) {
			/* The buffers can't be trusted (ring): start over, counted. */
			hw_halt();
			vmon_sampling_count(VMON_SAMPLING_CNT_RESTARTS, 1);
			hw_go();
			return;
		}
	}
	if (nrf_saadc_event_check(saadc, NRF_SAADC_EVENT_STARTED)) {
		nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_STARTED);
		nrf_saadc_buffer_init(saadc, vmon_saadc_ring_started(&s.ring),
				      VMON_SAMPLING_BLOCK_LEN);
	}
}

static int hfclk_on(void)
{
	struct onoff_manager *mgr = z_nrf_clock_control_get_onoff(CLOCK_CONTROL_NRF_SUBSYS_HF);
	int res = 0;

	sys_notify_init_spinwait(&s.hfclk.notify);
	int err = onoff_request(mgr, &s.hfclk);

	if (err < 0) {
		return err;
	}
	s.hfclk_held = true;
	/* The crystal starts within tSTART,HFXO (PS); 10 ms allowed. */
	for (int i = 0; i < 100; i++) {
		if (sys_notify_fetch_result(&s.hfclk.notify, &res) == 0) {
			return res;
		}
		k_sleep(K_USEC(100));
	}
	return -ETIMEDOUT;
}

static void hfclk_off(void)
{
	if (s.hfclk_held) {
		(void)onoff_release(z_nrf_clock_control_get_onoff(CLOCK_CONTROL_NRF_SUBSYS_HF));
		s.hfclk_held = false;
	}
}

static int setup(void)
{
	/* The channel node's settings (not ADC_DT_SPEC_GET: no ADC device is built here). */
	static const struct adc_channel_cfg ch = ADC_CHANNEL_CFG_DT(CH_NODE);
	nrf_saadc_channel_config_t cfg = {
		.reference = NRF_SAADC_REFERENCE_INTERNAL,
		.mode = NRF_SAADC_MODE_SINGLE_ENDED,
		.burst = NRF_SAADC_BURST_DISABLED,
#if NRF_SAADC_HAS_CH_CONFIG_RES
		.resistor_p = NRF_SAADC_RESISTOR_DISABLED,
		.resistor_n = NRF_SAADC_RESISTOR_DISABLED,
#endif
	};
	uint32_t input_fs_uv = 0U;
	const uint32_t acq_ns = saadc_acq(ch.acquisition_time, &cfg.acq_time);
	int err = saadc_gain(ch.gain, &cfg.gain, &input_fs_uv);

	if (err != 0 || acq_ns == 0U) {
		LOG_ERR("saadc: channel gain or acquisition time not supported by the SAADC");
		return -EINVAL;
	}
	err = vmon_saadc_scale_init(&s.scale, input_fs_uv, RESOLUTION,
				    DT_PROP(ACCEL, sensitivity_uv_per_g), DT_PROP(ACCEL, zero_g_mv),
				    VMON_SAMPLING_FULL_SCALE_MG);
	if (err == 0) {
		err = vmon_saadc_timer_plan(TIMER_BASE_HZ, VMON_SAMPLING_RATE_HZ,
					    RATE_MAX_ERROR_PPM, acq_ns + CONV_NS, &s.plan);
	}
	if (err != 0) {
		LOG_ERR("saadc: no setting gives %u Hz within %u ppm with a %u ns conversion",
			VMON_SAMPLING_RATE_HZ, RATE_MAX_ERROR_PPM, acq_ns + CONV_NS);
		return err;
	}

	s.ch_cfg = cfg;

	nrf_timer_mode_set(timer, NRF_TIMER_MODE_TIMER);
	nrf_timer_bit_width_set(timer, NRF_TIMER_BIT_WIDTH_32);
	nrf_timer_prescaler_set(timer, s.plan.prescaler);
	nrf_timer_cc_set(timer, NRF_TIMER_CC_CHANNEL0, s.plan.cc);
	nrf_timer_shorts_enable(timer, NRF_TIMER_SHORT_COMPARE0_CLEAR_MASK);

	if (nrfx_gppi_channel_alloc(&s.ppi_sample) != NRFX_SUCCESS ||
	    nrfx_gppi_channel_alloc(&s.ppi_restart) != NRFX_SUCCESS) {
		LOG_ERR("saadc: no free PPI channel");
		return -EBUSY;
	}
	nrfx_gppi_channel_endpoints_setup(
		s.ppi_sample, nrf_timer_event_address_get(timer, NRF_TIMER_EVENT_COMPARE0),
		nrf_saadc_task_address_get(saadc, NRF_SAADC_TASK_SAMPLE));
	nrfx_gppi_channel_endpoints_setup(
		s.ppi_restart, nrf_saadc_event_address_get(saadc, NRF_SAADC_EVENT_END),
		nrf_saadc_task_address_get(saadc, NRF_SAADC_TASK_START));

	IRQ_CONNECT(DT_IRQN(ADC_NODE), DT_IRQ(ADC_NODE, priority), saadc_isr, NULL, 0);
	irq_enable(DT_IRQN(ADC_NODE));

	vmon_saadc_ring_init(&s.ring, &ring_ops, scratch, VMON_SAMPLING_BLOCK_LEN,
			     VMON_SAMPLING_BLOCK_US);
	LOG_INF("saadc: AIN input %d, %u.%03u Hz (timer prescaler %u, cc %u, %d ppm)",
		DT_PROP(CH_NODE, zephyr_input_positive), (uint32_t)(s.plan.rate_mhz / 1000U),
		(uint32_t)(s.plan.rate_mhz % 1000U), s.plan.prescaler, s.plan.cc,
		s.plan.error_ppm);
	return 0;
}

/* The accelerometer's channel alone, as sampling needs it (the battery's one-shot
 * conversion reprograms the SAADC in between). */
static void program_channel(void)
{
	nrf_saadc_resolution_set(saadc, (nrf_saadc_resolution_t)((RESOLUTION - 8) / 2));
	nrf_saadc_oversample_set(saadc, NRF_SAADC_OVERSAMPLE_DISABLED);
	nrf_saadc_continuous_mode_disable(saadc);
	for (uint8_t i = 0; i < SAADC_CH_NUM; i++) {
		nrf_saadc_channel_input_set(saadc, i, NRF_SAADC_INPUT_DISABLED,
					    NRF_SAADC_INPUT_DISABLED);
	}
	nrf_saadc_channel_init(saadc, SAADC_CH, &s.ch_cfg);
	nrf_saadc_channel_input_set(saadc, SAADC_CH,
				    (nrf_saadc_input_t)DT_PROP(CH_NODE, zephyr_input_positive),
				    NRF_SAADC_INPUT_DISABLED);
}

/* The SAADC's offset calibration (PS: after power-up and when the temperature changes):
 * before each burst, with the input stopped. */
static int calibrate(void)
{
	nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_CALIBRATEDONE);
	nrf_saadc_task_trigger(saadc, NRF_SAADC_TASK_CALIBRATEOFFSET);
	for (int i = 0; i < 100; i++) {
		if (nrf_saadc_event_check(saadc, NRF_SAADC_EVENT_CALIBRATEDONE)) {
			nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_CALIBRATEDONE);
			return 0;
		}
		k_sleep(K_USEC(100));
	}
	return -ETIMEDOUT;
}

int vmon_sampling_source_start(void)
{
	int err = 0;

	if (!s.ready) {
		err = setup();
		if (err != 0) {
			vmon_sampling_fault_raise(VMON_SAMPLING_FAULT_ABSENT);
			return err;
		}
		s.ready = true;
	}
#if DT_NODE_HAS_PROP(ACCEL, power_gpios)
	err = gpio_pin_configure_dt(&power, GPIO_OUTPUT_ACTIVE);
	if (err != 0) {
		return err;
	}
	k_sleep(K_MSEC(CONFIG_VMON_SAMPLING_SAADC_SETTLE_MS));
#endif
	err = hfclk_on();
	if (err != 0) {
		LOG_ERR("saadc: HF crystal not running (%d)", err);
		vmon_sampling_source_stop();
		return err;
	}
	k_mutex_lock(&saadc_lock, K_FOREVER);
	s.running = true;
	k_mutex_unlock(&saadc_lock);
	program_channel();
	nrf_saadc_enable(saadc);
	err = calibrate();
	if (err != 0) {
		LOG_WRN("saadc: offset calibration did not finish: uncalibrated");
	}
	s.flat = false;
	hw_go();
	return 0;
}

void vmon_sampling_source_stop(void)
{
	if (s.ready) {
		unsigned int key = irq_lock();

		hw_halt();
		vmon_saadc_ring_stop(&s.ring);
		irq_unlock(key);
		nrf_saadc_disable(saadc);
	}
	k_mutex_lock(&saadc_lock, K_FOREVER);
	s.running = false;
	k_mutex_unlock(&saadc_lock);
	hfclk_off();
#if DT_NODE_HAS_PROP(ACCEL, power_gpios)
	/* Standby between bursts. */
	(void)gpio_pin_set_dt(&power, 0);
#endif
}

/* -- the battery's input, between measurements ------------------------------------------ */

#if DT_HAS_CHOSEN(vmon_vbatt)
#define VB_NODE DT_CHOSEN(vmon_vbatt)
#define VB_CH   ADC_CHANNEL_DT_NODE(ADC_NODE, DT_IO_CHANNELS_INPUT(VB_NODE))
/* A channel other than the accelerometer's. */
#define VB_SAADC_CH (SAADC_CH + 1U)

BUILD_ASSERT(DT_SAME_NODE(DT_IO_CHANNELS_CTLR(VB_NODE), ADC_NODE),
	     "vmon,vbatt must be on the accelerometer's SAADC");
BUILD_ASSERT(DT_NODE_EXISTS(VB_CH), "the SAADC needs a channel@N node for vmon,vbatt");
BUILD_ASSERT(DT_STRING_TOKEN(VB_CH, zephyr_reference) == ADC_REF_INTERNAL,
	     "the battery channel must use the internal reference");

#define VB_RES  DT_PROP(VB_CH, zephyr_resolution)
#define VB_OVER DT_PROP_OR(VB_CH, zephyr_oversampling, 0)


int vmon_sampling_vbatt_input_mv(int32_t *mv)
{
	static const struct adc_channel_cfg ch = ADC_CHANNEL_CFG_DT(VB_CH);
	nrf_saadc_channel_config_t cfg = {
		.reference = NRF_SAADC_REFERENCE_INTERNAL,
		.mode = NRF_SAADC_MODE_SINGLE_ENDED,
		/* Oversampling with one SAMPLE task: burst mode takes all of them at once. */
		.burst = VB_OVER > 0 ? NRF_SAADC_BURST_ENABLED : NRF_SAADC_BURST_DISABLED,
#if NRF_SAADC_HAS_CH_CONFIG_RES
		.resistor_p = NRF_SAADC_RESISTOR_DISABLED,
		.resistor_n = NRF_SAADC_RESISTOR_DISABLED,
#endif
	};
	uint32_t input_fs_uv = 0U;
	int16_t code __aligned(4) = 0;
	int err = 0;

	if (saadc_acq(ch.acquisition_time, &cfg.acq_time) == 0U ||
	    saadc_gain(ch.gain, &cfg.gain, &input_fs_uv) != 0) {
		return -EINVAL;
	}
	k_mutex_lock(&saadc_lock, K_FOREVER);
	if (s.running) {
		k_mutex_unlock(&saadc_lock);
		return -EBUSY;
	}
	/* Polled, with the SAADC's interrupts off: the sampling ISR stays out of it. */
	nrf_saadc_int_disable(saadc, NRF_SAADC_INT_ALL);
	nrf_saadc_resolution_set(saadc, (nrf_saadc_resolution_t)((VB_RES - 8) / 2));
	nrf_saadc_oversample_set(saadc, (nrf_saadc_oversample_t)VB_OVER);
	for (uint8_t i = 0; i < SAADC_CH_NUM; i++) {
		nrf_saadc_channel_input_set(saadc, i, NRF_SAADC_INPUT_DISABLED,
					    NRF_SAADC_INPUT_DISABLED);
	}
	nrf_saadc_channel_init(saadc, VB_SAADC_CH, &cfg);
	nrf_saadc_channel_input_set(saadc, VB_SAADC_CH,
				    (nrf_saadc_input_t)DT_PROP(VB_CH, zephyr_input_positive),
				    NRF_SAADC_INPUT_DISABLED);
	nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_STARTED);
	nrf_saadc_event_clear(saadc, NRF_SAADC_EVENT_END);
	nrf_saadc_buffer_init(saadc, &code, 1);
	nrf_saadc_enable(saadc);
	nrf_saadc_task_trigger(saadc, NRF_SAADC_TASK_START);
	if (!wait_event(NRF_SAADC_EVENT_STARTED, 100)) {
		err = -ETIMEDOUT;
	} else {
		nrf_saadc_task_trigger(saadc, NRF_SAADC_TASK_SAMPLE);
		/* 40 us acquisition + 2 us conversion, times up to 256 oversamples. */
		if (!wait_event(NRF_SAADC_EVENT_END, 20000)) {
			err = -ETIMEDOUT;
		}
	}
	nrf_saadc_task_trigger(saadc, NRF_SAADC_TASK_STOP);
	(void)wait_event(NRF_SAADC_EVENT_STOPPED, 100);
	nrf_saadc_channel_input_set(saadc, VB_SAADC_CH, NRF_SAADC_INPUT_DISABLED,
				    NRF_SAADC_INPUT_DISABLED);
	nrf_saadc_disable(saadc);
	k_mutex_unlock(&saadc_lock);
	if (err == 0) {
		/* Single-ended codes may dip below 0 with the offset error. */
		*mv = (int32_t)(((int64_t)MAX(code, 0) * input_fs_uv >> VB_RES) / 1000);
	}
	return err;
}
#endif /* DT_HAS_CHOSEN(vmon_vbatt) */
