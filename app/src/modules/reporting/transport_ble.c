/*
 * SPDX-License-Identifier: Apache-2.0
 *
 * BLE transport (CONFIG_VMON_REPORTING_BLE), on Zephyr's Bluetooth host:
 *
 * - the vmon GATT service: an event characteristic (indicate: a record is delivered when the
 *   central confirms it), a status characteristic (notify: status and telemetry, delivered
 *   once sent on the link) and a configuration characteristic (write, only over a bond made
 *   with LE Secure Connections; decoded and applied by vmon_reporting_config(), a refused
 *   record is answered with an ATT error and changes nothing);
 * - the health (decision state, battery, queue depth) in the advertising data itself, so a
 *   gateway sees it without connecting (connectable advertising, name "vmon-XXXX");
 * - connection parameters for a battery node (peripheral latency), the device information
 *   service, bonds kept in settings (the Bluetooth settings of VMON_BLE, app Kconfig).
 *
 * A record waits in the queue while no central is connected and subscribed, or while the
 * ATT MTU (the central exchanges it) is too small for it; a subscription or a larger MTU
 * wakes the reporting loop. A record cut off by a disconnection is sent
 * again after reconnection: the receiver de-duplicates by sequence number (vmon.codec).
 */

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <zephyr/bluetooth/bluetooth.h>
#include <zephyr/bluetooth/conn.h>
#include <zephyr/bluetooth/gatt.h>
#include <zephyr/bluetooth/uuid.h>
#include <zephyr/kernel.h>
#include <zephyr/logging/log.h>
#include <zephyr/settings/settings.h>
#include <zephyr/sys/byteorder.h>
#include <zephyr/zbus/zbus.h>

#include "battery.h"
#include "processing.h"
#include "reporting.h"
#include "vmon_payload.h"

LOG_MODULE_REGISTER(vmon_ble, CONFIG_VMON_REPORTING_LOG_LEVEL);

extern const struct vmon_transport vmon_transport_ble;

/* 7a6d0000-4c5e-9b1c-5f3a-d2c0e1a0vvnn: the vmon service and its characteristics. */
#define VMON_UUID(n) BT_UUID_128_ENCODE(0x7a6d0000 + (n), 0x4c5e, 0x9b1c, 0x5f3a, 0xd2c0e1a00000)

static const struct bt_uuid_128 svc_uuid = BT_UUID_INIT_128(VMON_UUID(0));
static const struct bt_uuid_128 event_uuid = BT_UUID_INIT_128(VMON_UUID(1));
static const struct bt_uuid_128 status_uuid = BT_UUID_INIT_128(VMON_UUID(2));
static const struct bt_uuid_128 config_uuid = BT_UUID_INIT_128(VMON_UUID(3));

/* Configuration writes need a link encrypted with keys from LE Secure Connections pairing
 * (the node pairs with nothing else: CONFIG_BT_SMP_SC_PAIR_ONLY). */
#define CONFIG_PERM BT_GATT_PERM_WRITE_LESC

/* Advertised health (manufacturer-specific data, little endian):
 *   company id (2) | 'v' | format (1) | state (1) | battery_mv / 20 (1, 0xff unknown) |
 *   queue depth (2)
 * A gateway reads the node's state without connecting. */
#define ADV_FORMAT 1

static struct {
	/* The central's connection: set and cleared by the host's callbacks, used by the
	 * reporting loop through conn_get() (a reference under the lock). */
	struct k_spinlock lock;
	struct bt_conn *conn;
	struct bt_gatt_indicate_params ind;
	uint32_t ind_seq;
	int ind_result;
	atomic_t ind_busy;
	uint8_t ind_buf[VMON_PL_MAX_BYTES];
	/* A status notification handed to the stack and not yet reported sent. */
	uint32_t ntf_seq;
	atomic_t ntf_busy;
	uint8_t state;
	uint8_t mfg[8];
	char name[sizeof("vmon-XXXX")];
	struct k_work adv_work;
	struct k_work_delayable adv_refresh;
} ble;

static ssize_t config_write(struct bt_conn *conn, const struct bt_gatt_attr *attr,
			    const void *buf, uint16_t len, uint16_t offset, uint8_t flags)
{
	int err;

	ARG_UNUSED(conn);
	ARG_UNUSED(attr);
	ARG_UNUSED(flags);
	if (offset != 0U) {
		return BT_GATT_ERR(BT_ATT_ERR_INVALID_OFFSET);
	}
	err = vmon_reporting_config(buf, len);
	switch (err) {
	case 0:
		return len;
	case -EMSGSIZE:
		return BT_GATT_ERR(BT_ATT_ERR_INVALID_ATTRIBUTE_LEN);
	case -ENOTSUP:
	case -ENOMSG:
	case -EINVAL:
	case -EBADMSG:
	case -ERANGE:
		return BT_GATT_ERR(BT_ATT_ERR_VALUE_NOT_ALLOWED);
	default:
		return BT_GATT_ERR(BT_ATT_ERR_UNLIKELY); /* valid, but not stored (flash) */
	}
}

static void ccc_changed(const struct bt_gatt_attr *attr, uint16_t value)
{
	ARG_UNUSED(attr);
	if (value != 0U) {
		vmon_reporting_link_up();
	}
}

BT_GATT_SERVICE_DEFINE(vmon_svc, BT_GATT_PRIMARY_SERVICE(&svc_uuid),
		       BT_GATT_CHARACTERISTIC(&event_uuid.uuid, BT_GATT_CHRC_INDICATE,
					      BT_GATT_PERM_NONE, NULL, NULL, NULL),
		       BT_GATT_CCC(ccc_changed, BT_GATT_PERM_READ | BT_GATT_PERM_WRITE),
		       BT_GATT_CHARACTERISTIC(&status_uuid.uuid, BT_GATT_CHRC_NOTIFY,
					      BT_GATT_PERM_NONE, NULL, NULL, NULL),
		       BT_GATT_CCC(ccc_changed, BT_GATT_PERM_READ | BT_GATT_PERM_WRITE),
		       BT_GATT_CHARACTERISTIC(&config_uuid.uuid, BT_GATT_CHRC_WRITE, CONFIG_PERM,
					      NULL, config_write, NULL));

#define EVENT_ATTR  (&vmon_svc.attrs[2])
#define STATUS_ATTR (&vmon_svc.attrs[5])

static void indicate_done(struct bt_conn *conn, struct bt_gatt_indicate_params *params,
			  uint8_t err)
{
	ARG_UNUSED(conn);
	ARG_UNUSED(params);
	ble.ind_result = err == 0U ? 0 : -EIO;
}

static void indicate_destroy(struct bt_gatt_indicate_params *params)
{
	ARG_UNUSED(params);
	/* Called once per indication, confirmed or not (a disconnection before the
	 * confirmation leaves ind_result at -ENOTCONN). */
	atomic_clear(&ble.ind_busy);
	vmon_reporting_sent(&vmon_transport_ble, ble.ind_seq, ble.ind_result);
}

static void notify_done(struct bt_conn *conn, void *user_data)
{
	ARG_UNUSED(conn);
	atomic_clear(&ble.ntf_busy);
	vmon_reporting_sent(&vmon_transport_ble, (uint32_t)(uintptr_t)user_data, 0);
}

static struct bt_conn *conn_get(void)
{
	k_spinlock_key_t key = k_spin_lock(&ble.lock);
	struct bt_conn *conn = ble.conn != NULL ? bt_conn_ref(ble.conn) : NULL;

	k_spin_unlock(&ble.lock, key);
	return conn;
}

static int send_on(struct bt_conn *conn, const struct vmon_report_record *rec)
{
	int err;

	if (rec->len > bt_gatt_get_mtu(conn) - 3U) {
		/* Not before the central's MTU exchange (events, 11 bytes, always fit). */
		return -EBUSY;
	}
	if (rec->confirmed) {
		if (!bt_gatt_is_subscribed(conn, EVENT_ATTR, BT_GATT_CCC_INDICATE)) {
			return -ENOTCONN;
		}
		if (!atomic_cas(&ble.ind_busy, 0, 1)) {
			return -EBUSY;
		}
		memcpy(ble.ind_buf, rec->data, rec->len);
		ble.ind_seq = rec->seq;
		ble.ind_result = -ENOTCONN;
		ble.ind = (struct bt_gatt_indicate_params){
			.attr = EVENT_ATTR,
			.func = indicate_done,
			.destroy = indicate_destroy,
			.data = ble.ind_buf,
			.len = rec->len,
		};
		err = bt_gatt_indicate(conn, &ble.ind);
		if (err != 0) {
			atomic_clear(&ble.ind_busy);
		}
	} else {
		struct bt_gatt_notify_params p = {
			.attr = STATUS_ATTR,
			.data = rec->data,
			.len = rec->len,
			.func = notify_done,
			.user_data = (void *)(uintptr_t)rec->seq,
		};

		if (!bt_gatt_is_subscribed(conn, STATUS_ATTR, BT_GATT_CCC_NOTIFY)) {
			return -ENOTCONN;
		}
		ble.ntf_seq = rec->seq;
		atomic_set(&ble.ntf_busy, 1);
		err = bt_gatt_notify_cb(conn, &p);
		if (err != 0) {
			atomic_clear(&ble.ntf_busy);
		}
	}
	/* -ENOMEM: no buffer now; -ENOTCONN: the link just went. */
	return err == -ENOMEM ? -EBUSY : err;
}

static int ble_send(const struct vmon_report_record *rec)
{
	struct bt_conn *conn = conn_get();
	int err;

	if (conn == NULL) {
		return -ENOTCONN;
	}
	err = send_on(conn, rec);
	bt_conn_unref(conn);
	return err;
}

/* -- advertising ---------------------------------------------------------------------- */

static void adv_fill(void)
{
	struct vmon_reporting_status st;
	uint32_t mv = vmon_battery_mv();

	vmon_reporting_status_get(&st);
	sys_put_le16(CONFIG_VMON_REPORTING_BLE_COMPANY_ID, &ble.mfg[0]);
	ble.mfg[2] = 'v';
	ble.mfg[3] = ADV_FORMAT;
	ble.mfg[4] = ble.state;
	/* A gateway sees the battery without connecting: mV / 20, 0xff not measured. */
	ble.mfg[5] = mv == 0U ? 0xffU : (uint8_t)MIN(mv / 20U, 0xfeU);
	sys_put_le16((uint16_t)MIN(st.depth, UINT16_MAX), &ble.mfg[6]);
}

static int adv_start_or_update(bool start)
{
	const struct bt_data ad[] = {
		BT_DATA_BYTES(BT_DATA_FLAGS, (BT_LE_AD_GENERAL | BT_LE_AD_NO_BREDR)),
		BT_DATA(BT_DATA_NAME_COMPLETE, ble.name, strlen(ble.name)),
		BT_DATA(BT_DATA_MANUFACTURER_DATA, ble.mfg, sizeof(ble.mfg)),
	};
	const struct bt_data sd[] = {
		BT_DATA_BYTES(BT_DATA_UUID128_ALL, VMON_UUID(0)),
	};

	adv_fill();
	if (start) {
		return bt_le_adv_start(BT_LE_ADV_PARAM(BT_LE_ADV_OPT_CONNECTABLE,
						       BT_GAP_ADV_SLOW_INT_MIN,
						       BT_GAP_ADV_SLOW_INT_MAX, NULL),
				       ad, ARRAY_SIZE(ad), sd, ARRAY_SIZE(sd));
	}
	return bt_le_adv_update_data(ad, ARRAY_SIZE(ad), sd, ARRAY_SIZE(sd));
}

static void adv_work_fn(struct k_work *work)
{
	ARG_UNUSED(work);
	int err = adv_start_or_update(ble.conn == NULL);

	/* -EALREADY: advertising already on (then update its data). */
	if (err == -EALREADY) {
		err = adv_start_or_update(false);
	}
	if (err != 0 && err != -EAGAIN) {
		LOG_WRN("advertising: %d", err);
	}
}

static void adv_refresh_fn(struct k_work *work)
{
	ARG_UNUSED(work);
	if (ble.conn == NULL) {
		(void)adv_start_or_update(false); /* the queue depth changes without events */
	}
	k_work_schedule(&ble.adv_refresh, K_SECONDS(CONFIG_VMON_REPORTING_BLE_ADV_REFRESH_S));
}

/* The decision state, from the processing module's events (processing thread: no blocking). */
static void event_listener(const struct zbus_channel *chan)
{
	const struct vmon_event_msg *ev = zbus_chan_const_msg(chan);

	if (ev->type == VMON_EVENT_STATE && ble.state != (uint8_t)ev->state) {
		ble.state = (uint8_t)ev->state;
		k_work_submit(&ble.adv_work);
	}
}

ZBUS_LISTENER_DEFINE(vmon_ble_events, event_listener);
ZBUS_CHAN_ADD_OBS(VMON_EVENT_CHAN, vmon_ble_events, 4);

/* -- connections ---------------------------------------------------------------------- */

/* The central's MTU exchange (the node has no GATT client): records too large before it are
 * offered again now. */
static void mtu_updated(struct bt_conn *conn, uint16_t tx, uint16_t rx)
{
	ARG_UNUSED(conn);
	LOG_INF("ATT MTU %u/%u", tx, rx);
	vmon_reporting_link_up();
}

static struct bt_gatt_cb gatt_cb = {.att_mtu_updated = mtu_updated};

static void connected(struct bt_conn *conn, uint8_t err)
{
	/* The connection parameters for a battery node (long interval, peripheral latency) are
	 * requested by the host itself (CONFIG_BT_GAP_AUTO_UPDATE_CONN_PARAMS and the
	 * BT_PERIPHERAL_PREF_* defaults of VMON_BLE). */
	k_spinlock_key_t key;

	if (err != 0U) {
		return;
	}
	key = k_spin_lock(&ble.lock);
	if (ble.conn == NULL) {
		ble.conn = bt_conn_ref(conn);
	}
	k_spin_unlock(&ble.lock, key);
	LOG_INF("connected");
}

static void disconnected(struct bt_conn *conn, uint8_t reason)
{
	k_spinlock_key_t key = k_spin_lock(&ble.lock);
	bool ours = conn == ble.conn;

	if (ours) {
		ble.conn = NULL;
	}
	k_spin_unlock(&ble.lock, key);
	if (!ours) {
		return;
	}
	bt_conn_unref(conn);
	LOG_INF("disconnected (0x%02x)", reason);
	/* A notification the link took down with it: the loop offers it again at once
	 * (a pending indication is reported by its destroy callback). */
	if (atomic_cas(&ble.ntf_busy, 1, 0)) {
		vmon_reporting_sent(&vmon_transport_ble, ble.ntf_seq, -ENOTCONN);
	}
}

static void recycled(void)
{
	/* The connection object is free again: advertise (connectable) again. */
	k_work_submit(&ble.adv_work);
}

static void security_changed(struct bt_conn *conn, bt_security_t level, enum bt_security_err err)
{
	ARG_UNUSED(conn);
	LOG_INF("security level %d (%d)", level, err);
}

BT_CONN_CB_DEFINE(vmon_ble_conn_cb) = {
	.connected = connected,
	.disconnected = disconnected,
	.recycled = recycled,
	.security_changed = security_changed,
};

static void pairing_complete(struct bt_conn *conn, bool bonded)
{
	ARG_UNUSED(conn);
	LOG_INF("paired (bonded %d)", bonded);
}

static void pairing_failed(struct bt_conn *conn, enum bt_security_err reason)
{
	ARG_UNUSED(conn);
	LOG_WRN("pairing failed (%d)", reason);
}

#if defined(CONFIG_VMON_REPORTING_BLE_SMP_GUARD)
#include <zephyr/mgmt/mcumgr/mgmt/callbacks.h>
#include <zephyr/mgmt/mcumgr/mgmt/mgmt_defines.h>

/* SMP (mcumgr) over Bluetooth: Zephyr's SMP service can only demand MITM authentication,
 * which a node without display or keys cannot offer. Commands are taken over the same link
 * as configuration writes (CONFIG_PERM): encrypted with keys from LE Secure Connections
 * pairing. Images and models are signed besides; this keeps strangers from erasing a slot,
 * resetting the node or holding the upload. */
static bool link_is_lesc(void)
{
	struct bt_conn *conn = conn_get();
	struct bt_conn_info info;
	bool ok = false;

	if (conn != NULL) {
		ok = bt_conn_get_info(conn, &info) == 0 &&
		     info.security.level >= BT_SECURITY_L2 &&
		     (info.security.flags & BT_SECURITY_FLAG_SC) != 0U;
		bt_conn_unref(conn);
	}
	return ok;
}

static enum mgmt_cb_return smp_guard(uint32_t event, enum mgmt_cb_return prev_status,
				     int32_t *rc, uint16_t *group, bool *abort_more, void *data,
				     size_t data_size)
{
	ARG_UNUSED(event);
	ARG_UNUSED(prev_status);
	ARG_UNUSED(group);
	ARG_UNUSED(data);
	ARG_UNUSED(data_size);
	if (link_is_lesc()) {
		return MGMT_CB_OK;
	}
	LOG_WRN("SMP command refused: the link is not LE Secure Connections encrypted");
	*rc = MGMT_ERR_EACCESSDENIED;
	*abort_more = true;
	return MGMT_CB_ERROR_RC;
}

static struct mgmt_callback smp_guard_cb = {
	.callback = smp_guard,
	.event_id = MGMT_EVT_OP_CMD_RECV,
};
#endif

static struct bt_conn_auth_info_cb auth_info = {
	.pairing_complete = pairing_complete,
	.pairing_failed = pairing_failed,
};

static int ble_init(void)
{
	bt_addr_le_t addrs[1];
	size_t n = ARRAY_SIZE(addrs);
	int err;

	k_work_init(&ble.adv_work, adv_work_fn);
	k_work_init_delayable(&ble.adv_refresh, adv_refresh_fn);
	err = bt_enable(NULL);
	if (err != 0) {
		LOG_ERR("Bluetooth: %d", err);
		return err;
	}
	if (IS_ENABLED(CONFIG_BT_SETTINGS)) {
		/* Bonds and the identity address (settings were loaded for the queue already;
		 * the Bluetooth subtree needs bt_enable() first). */
		(void)settings_load_subtree("bt");
	}
	bt_gatt_cb_register(&gatt_cb);
#if defined(CONFIG_VMON_REPORTING_BLE_SMP_GUARD)
	mgmt_callback_register(&smp_guard_cb);
#endif
	err = bt_conn_auth_info_cb_register(&auth_info);
	if (err != 0) {
		return err;
	}
	bt_id_get(addrs, &n);
	snprintf(ble.name, sizeof(ble.name), "vmon-%02X%02X", addrs[0].a.val[1],
		 addrs[0].a.val[0]);
	err = adv_start_or_update(true);
	if (err != 0) {
		LOG_ERR("advertising: %d", err);
		return err;
	}
	k_work_schedule(&ble.adv_refresh, K_SECONDS(CONFIG_VMON_REPORTING_BLE_ADV_REFRESH_S));
	LOG_INF("advertising as %s", ble.name);
	return 0;
}

VMON_TRANSPORT_DEFINE(ble, ble_init, ble_send);
