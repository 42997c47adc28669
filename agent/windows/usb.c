/*
 * The USB sensor on Windows ([usb]): the same policy and the same events as
 * Linux (usbpolicy.h), with the devices read from SetupAPI and woken by
 * device notifications.
 *
 * What is present: SetupDiGetClassDevs on the "USB" enumerator
 * (DIGCF_PRESENT | DIGCF_ALLCLASSES); each node's instance id is read by
 * usbid_win.c (vendor, product, serial, interface), its compatible ids give
 * its USB classes, an interface's classes are its parent device's, and the
 * "USBSTOR" disk behind a stick gives its maker and model. A device is a
 * struct usb_device, its instance id the devpath.
 *
 * When: CM_Register_Notification (Windows 8 and later, looked up at run
 * time: the agent runs on 7) for GUID_DEVINTERFACE_USB_DEVICE; else a
 * hidden message-only window on a thread of its own with
 * RegisterDeviceNotification (DBT_DEVICEARRIVAL, DBT_DEVICEREMOVECOMPLETE).
 * Under Wine CM_Register_Notification aborts the process: it is never
 * called there. Either one only wakes the loop (one byte on a socket pair);
 * the loop lists the devices again and compares with what it knew, so an
 * arrival and a removal carry the full identity, and a missed notification
 * is caught up by the next.
 *
 * Blocking: the device is disabled (SetupDiSetClassInstallParams with
 * DICS_DISABLE, then DIF_PROPERTYCHANGE), as Device Manager does; a failure
 * is said, counted and reported in the usb.blocked event ("block failed").
 * A device found disabled is left as it is.
 *
 * Under Wine SetupAPI lists no USB node at all: the sensor says it is
 * unavailable (log and heartbeat), registers no notification, and the
 * agent runs on.
 */
#include <winsock2.h>
#include <windows.h>
#include <cfgmgr32.h>
#include <dbt.h>
#include <initguid.h>
#include <setupapi.h>
#include <usbiodef.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <event2/event.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../conf.h"
#include "../ingest.h"
#include "../posture.h"
#include "../sensor.h"
#include "../spool.h"
#include "../usbid_win.h"
#include "../usbpolicy.h"
#include "../../common/windows/utf16.h"
#include "winsensors.h"

#define NO_SOCKET ((evutil_socket_t)-1)
#define NODES_MAX 1024               /* device nodes looked at in one listing */

/* CM_Register_Notification's types (cfgmgr32.h declares them for Windows 8 builds only). */
struct vg_cm_filter {
	DWORD cbSize;
	DWORD Flags;
	DWORD FilterType;                /* 0: CM_NOTIFY_FILTER_TYPE_DEVICEINTERFACE */
	DWORD Reserved;
	union {
		GUID ClassGuid;
		HANDLE hTarget;
		WCHAR InstanceId[MAX_DEVICE_ID_LEN];
	} u;
};
typedef DWORD (CALLBACK *vg_cm_cb)(HANDLE, PVOID, DWORD, PVOID, DWORD);
typedef CONFIGRET (WINAPI *vg_cm_register)(struct vg_cm_filter *, PVOID, vg_cm_cb, HANDLE *);
typedef CONFIGRET (WINAPI *vg_cm_unregister)(HANDLE);

/* One listing: the devices, and where each sits in the SetupAPI set (to block it). */
struct listed {
	struct usb_device d;
	DWORD devinst;
	int disabled;
	int index;                   /* in the device information set */
};

struct winusb {
	struct event_base *base;
	struct spool *spool;
	struct posture *posture;
	struct ingest *ing;
	void (*appended)(void *arg);
	void *arg;
	struct usb_allow *allow;
	struct usb_rules rules;
	struct usb_report *report;
	struct usb_device *known;    /* USB_MAX_PRESENT: what the last listing found */
	size_t nknown;
	struct listed *now;          /* USB_MAX_PRESENT */

	evutil_socket_t pair[2];
	struct event *wake_ev;
	HANDLE cm;                   /* CM_Register_Notification's handle, or NULL */
	vg_cm_unregister cm_unregister;
	HANDLE thread;               /* the window's thread, or NULL */
	HANDLE ready;
	HWND hwnd;
	HDEVNOTIFY devnotify;
	const char *how;             /* how arrivals are learnt, for the log */

	int unavailable;
	char why[SENSOR_MAX_REASON];
	uint64_t blocked, block_failed, list_failed, listings;
};

/* ---- reading the devices present -------------------------------------------- */

/*
 * A registry property of a node as UTF-8 into out[cap]: REG_SZ cleaned for
 * people (usb_string_clean: a driver's or a device's text); REG_MULTI_SZ
 * (list 1) its strings '\n'-joined, as they are, for the parsers only.
 */
static int
node_prop_as(HDEVINFO set, SP_DEVINFO_DATA *dd, DWORD prop, char *out, size_t cap, int list)
{
	wchar_t w[1024];
	DWORD type = 0, size = 0;
	char *u;
	size_t i, n;

	out[0] = '\0';
	memset(w, 0, sizeof(w));
	if (!SetupDiGetDeviceRegistryPropertyW(set, dd, prop, &type, (BYTE *)w, sizeof(w) - 4,
	    &size))
		return -1;
	if ((type == REG_MULTI_SZ) != list)
		return -1;
	n = size / sizeof(wchar_t);
	if (list)
		for (i = 0; i + 1 < n; i++)
			if (w[i] == 0 && w[i + 1] != 0)
				w[i] = L'\n';
	w[sizeof(w) / sizeof(w[0]) - 1] = 0;
	if ((u = win_utf8(w)) == NULL)
		return -1;
	if (list)
		snprintf(out, cap, "%s", u);
	else
		usb_string_clean(out, cap, u, strlen(u));
	free(u);
	return 0;
}

static int
node_prop(HDEVINFO set, SP_DEVINFO_DATA *dd, DWORD prop, char *out, size_t cap)
{
	return node_prop_as(set, dd, prop, out, cap, 0);
}

/* The instance id of a devinst as UTF-8 into out[cap]. */
static int
instance_id(DWORD devinst, char *out, size_t cap)
{
	wchar_t w[MAX_DEVICE_ID_LEN + 1];
	char *u;

	memset(w, 0, sizeof(w));
	if (CM_Get_Device_IDW(devinst, w, MAX_DEVICE_ID_LEN, 0) != CR_SUCCESS)
		return -1;
	if ((u = win_utf8(w)) == NULL)
		return -1;
	snprintf(out, cap, "%s", u);
	free(u);
	return 0;
}

/* Every compatible id's class, added to d. */
static void
node_classes(HDEVINFO set, SP_DEVINFO_DATA *dd, struct usb_device *d, int device)
{
	char ids[2048], *p, *nl;
	int cls;

	if (node_prop_as(set, dd, SPDRP_COMPATIBLEIDS, ids, sizeof(ids), 1) != 0)
		return;
	for (p = ids; p != NULL && *p != '\0'; p = nl != NULL ? nl + 1 : NULL) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl = '\0';
		if ((cls = usbid_class(p)) < 0)
			continue;
		/* "USB\DevClass_XX" is the device's own class; "USB\Class_XX" an interface's. */
		if (device && strncmp(p, "USB\\DevClass_", 13) == 0)
			d->device_class = cls;
		else
			usb_device_add_class(d, cls);
	}
}

static struct listed *
find_listed(struct listed *l, size_t n, const char *devpath)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (strcmp(l[i].d.devpath, devpath) == 0)
			return &l[i];
	return NULL;
}

/*
 * The USB devices present into out[max]: their identity and classes. *set
 * is left open (the caller blocks through it, then destroys it). Returns the
 * number of devices, and *nodes the number of USB nodes seen (root hubs and
 * interfaces included: 0 means SetupAPI lists nothing here); -1 when
 * SetupAPI fails.
 */
static int
list_devices(HDEVINFO *setp, struct listed *out, size_t max, size_t *nodes)
{
	SP_DEVINFO_DATA dd;
	HDEVINFO set, stor;
	struct usbid id;
	struct listed *l;
	DEVINST parent;
	ULONG status, problem;
	char inst[USBID_MAX + 1], pinst[USBID_MAX + 1];
	size_t n = 0;
	DWORD i;

	*nodes = 0;
	*setp = INVALID_HANDLE_VALUE;
	set = SetupDiGetClassDevsW(NULL, L"USB", NULL, DIGCF_PRESENT | DIGCF_ALLCLASSES);
	if (set == INVALID_HANDLE_VALUE)
		return -1;
	/* The devices first, then their interfaces (a composite device's classes). */
	for (int pass = 0; pass < 2; pass++) {
		for (i = 0; i < NODES_MAX; i++) {
			memset(&dd, 0, sizeof(dd));
			dd.cbSize = sizeof(dd);
			if (!SetupDiEnumDeviceInfo(set, i, &dd))
				break;
			if (pass == 0)
				(*nodes)++;
			if (instance_id(dd.DevInst, inst, sizeof(inst)) != 0 ||
			    usbid_parse(inst, &id) != 0 || id.bus != USBID_USB)
				continue;
			if (pass == 0 && id.iface < 0 && n < max) {
				l = &out[n];
				usbid_device(&id, inst, &l->d);
				l->devinst = dd.DevInst;
				l->index = (int)i;
				l->disabled = CM_Get_DevNode_Status(&status, &problem, dd.DevInst, 0) ==
				    CR_SUCCESS && (status & DN_HAS_PROBLEM) && problem == CM_PROB_DISABLED;
				l->d.authorized = l->disabled ? 0 : 1;
				node_prop(set, &dd, SPDRP_MFG, l->d.manufacturer,
				    sizeof(l->d.manufacturer));
				if (node_prop(set, &dd, SPDRP_FRIENDLYNAME, l->d.product_name,
				    sizeof(l->d.product_name)) != 0)
					node_prop(set, &dd, SPDRP_DEVICEDESC, l->d.product_name,
					    sizeof(l->d.product_name));
				node_classes(set, &dd, &l->d, 1);
				n++;
			} else if (pass == 1 && id.iface >= 0 &&
			    CM_Get_Parent(&parent, dd.DevInst, 0) == CR_SUCCESS &&
			    instance_id(parent, pinst, sizeof(pinst)) == 0 &&
			    (l = find_listed(out, n, pinst)) != NULL) {
				l->d.num_ifaces = l->d.num_ifaces < 0 ? 1 : l->d.num_ifaces + 1;
				node_classes(set, &dd, &l->d, 0);
			}
		}
	}
	/* A stick's disk names its maker and model better than "USB Mass Storage Device". */
	stor = SetupDiGetClassDevsW(NULL, L"USBSTOR", NULL, DIGCF_PRESENT | DIGCF_ALLCLASSES);
	for (i = 0; stor != INVALID_HANDLE_VALUE && i < NODES_MAX; i++) {
		memset(&dd, 0, sizeof(dd));
		dd.cbSize = sizeof(dd);
		if (!SetupDiEnumDeviceInfo(stor, i, &dd))
			break;
		if (instance_id(dd.DevInst, inst, sizeof(inst)) != 0 || usbid_parse(inst, &id) != 0 ||
		    id.bus != USBID_USBSTOR || CM_Get_Parent(&parent, dd.DevInst, 0) != CR_SUCCESS ||
		    instance_id(parent, pinst, sizeof(pinst)) != 0 ||
		    (l = find_listed(out, n, pinst)) == NULL)
			continue;
		usb_device_add_class(&l->d, 0x08);
		if (id.ven[0] != '\0')
			usb_string_clean(l->d.manufacturer, sizeof(l->d.manufacturer), id.ven,
			    strlen(id.ven));
		if (id.prod[0] != '\0')
			usb_string_clean(l->d.product_name, sizeof(l->d.product_name), id.prod,
			    strlen(id.prod));
	}
	if (stor != INVALID_HANDLE_VALUE)
		SetupDiDestroyDeviceInfoList(stor);
	*setp = set;
	return (int)n;
}

/* Disable the device at index of set, as Device Manager does. 0, or the Windows error. */
static DWORD
disable(HDEVINFO set, int index)
{
	SP_DEVINFO_DATA dd;
	SP_PROPCHANGE_PARAMS pc;

	memset(&dd, 0, sizeof(dd));
	dd.cbSize = sizeof(dd);
	if (!SetupDiEnumDeviceInfo(set, (DWORD)index, &dd))
		return GetLastError();
	memset(&pc, 0, sizeof(pc));
	pc.ClassInstallHeader.cbSize = sizeof(SP_CLASSINSTALL_HEADER);
	pc.ClassInstallHeader.InstallFunction = DIF_PROPERTYCHANGE;
	pc.StateChange = DICS_DISABLE;
	pc.Scope = DICS_FLAG_GLOBAL;
	if (!SetupDiSetClassInstallParamsW(set, &dd, &pc.ClassInstallHeader, sizeof(pc)) ||
	    !SetupDiCallClassInstaller(DIF_PROPERTYCHANGE, set, &dd))
		return GetLastError() != 0 ? GetLastError() : ERROR_GEN_FAILURE;
	return 0;
}

static void
win_error_words(DWORD code, char *buf, size_t cap)
{
	wchar_t w[256];
	char *u;
	size_t n;

	if (FormatMessageW(FORMAT_MESSAGE_FROM_SYSTEM | FORMAT_MESSAGE_IGNORE_INSERTS, NULL, code,
	    0, w, sizeof(w) / sizeof(w[0]), NULL) == 0 || (u = win_utf8(w)) == NULL) {
		snprintf(buf, cap, "error %lu", (unsigned long)code);
		return;
	}
	snprintf(buf, cap, "%s (%lu)", u, (unsigned long)code);
	free(u);
	n = strlen(buf);
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' ' ||
	    buf[n - 1] == '.'))
		buf[--n] = '\0';
}

/* ---- the sensor: what changed ------------------------------------------------- */

static void
report_append(struct winusb *u, const char *what)
{
	uint64_t seq = 0;
	size_t i;
	int rc;

	if ((rc = spool_begin(u->spool)) != 0) {
		log_warnx(_("The spool cannot start a transaction for a USB event: %s."),
		    vigil_strerror(rc));
		return;
	}
	for (i = 0; i < u->report->n; i++)
		if ((rc = ingest_append(u->ing, &u->report->ev[i], &seq)) < 0) {
			spool_rollback(u->spool);
			return;
		}
	if ((rc = spool_commit(u->spool)) != 0) {
		log_warnx(_("The spool cannot commit the USB events of %s: %s."), what,
		    vigil_strerror(rc));
		spool_rollback(u->spool);
		return;
	}
	if (u->appended != NULL)
		u->appended(u->arg);
	if (u->posture != NULL)
		posture_set_usb_blocked(u->posture, (uint32_t)u->blocked);
}

/* A device arrived (or was there at start, report 0): decide, block, report. */
static void
arrived(struct winusb *u, HDEVINFO set, struct listed *l, int report)
{
	struct usb_class c;
	struct usb_verdict v;
	char failure[300] = "";
	bool blocked = false;
	DWORD e;

	usb_classify(&l->d, &c);
	usb_decide(&u->rules, &l->d, &c, &v);
	/* At start only what must be blocked (and is not yet) is acted on and said. */
	if (!report && !(v.action == USB_ACT_BLOCK && !l->disabled))
		return;
	if (v.action == USB_ACT_BLOCK && !l->disabled) {
		if ((e = disable(set, l->index)) == 0) {
			blocked = true;
			u->blocked++;
			log_warnx(_("USB %s %s was blocked (disabled): %s."),
			    usb_kind_phrase(c.kind), l->d.devpath, _(v.reason));
		} else {
			u->block_failed++;
			win_error_words(e, failure, sizeof(failure));
			log_warnx(_("USB %s %s should have been blocked but disabling it failed: %s."),
			    usb_kind_phrase(c.kind), l->d.devpath, failure);
		}
	}
	usb_report_inserted(u->report, &l->d, &c, &v, u->rules.policy, blocked,
	    failure[0] != '\0' ? failure : NULL);
	log_info(_("USB %s %s inserted."), usb_kind_phrase(c.kind), u->report->id);
	report_append(u, l->d.devpath);
}

static void
removed(struct winusb *u, const struct usb_device *d)
{
	struct usb_class c;

	usb_classify(d, &c);
	usb_report_removed(u->report, d, &c);
	log_info(_("USB %s %s removed."), usb_kind_phrase(c.kind), u->report->id);
	report_append(u, d->devpath);
}

/* List again and report the differences; at start (report 0) only learn and block. */
static void
relist(struct winusb *u, int report)
{
	HDEVINFO set;
	size_t nodes, i, j;
	int n;

	u->listings++;
	if ((n = list_devices(&set, u->now, USB_MAX_PRESENT, &nodes)) < 0) {
		if (++u->list_failed <= 10)
			log_warnx("%s", _("The USB devices cannot be listed (SetupDiGetClassDevs "
			    "failed); the next change tries again."));
		return;
	}
	if (nodes == 0 && !report) {
		u->unavailable = 1;
		snprintf(u->why, sizeof(u->why), "%s", win_is_wine() ?
		    _("SetupAPI lists no USB device under Wine") :
		    _("SetupAPI lists no USB device on this system"));
	} else if (nodes > 0)
		u->unavailable = 0;
	for (i = 0; i < u->nknown; i++) {
		for (j = 0; j < (size_t)n; j++)
			if (strcmp(u->known[i].devpath, u->now[j].d.devpath) == 0)
				break;
		if (j == (size_t)n && report)
			removed(u, &u->known[i]);
	}
	for (j = 0; j < (size_t)n; j++) {
		for (i = 0; i < u->nknown; i++)
			if (strcmp(u->known[i].devpath, u->now[j].d.devpath) == 0)
				break;
		if (i == u->nknown)
			arrived(u, set, &u->now[j], report);
	}
	for (j = 0; j < (size_t)n; j++)
		u->known[j] = u->now[j].d;
	u->nknown = (size_t)n;
	SetupDiDestroyDeviceInfoList(set);
}

static void
wake_cb(evutil_socket_t fd, short what, void *arg)
{
	struct winusb *u = arg;
	char buf[64];

	while (recv(fd, buf, sizeof(buf), 0) > 0)
		;
	relist(u, 1);
}

/* ---- notifications: both ways only wake the loop ------------------------------ */

static void
poke(struct winusb *u)
{
	char c = 'u';

	send(u->pair[1], &c, 1, 0);
}

static DWORD CALLBACK
cm_cb(HANDLE h, PVOID ctx, DWORD action, PVOID data, DWORD size)
{
	/* 0: interface arrival, 1: interface removal. */
	if (action == 0 || action == 1)
		poke(ctx);
	return ERROR_SUCCESS;
}

static LRESULT CALLBACK
wnd_proc(HWND hwnd, UINT msg, WPARAM wp, LPARAM lp)
{
	struct winusb *u = (struct winusb *)GetWindowLongPtrW(hwnd, GWLP_USERDATA);

	if (msg == WM_DEVICECHANGE && u != NULL &&
	    (wp == DBT_DEVICEARRIVAL || wp == DBT_DEVICEREMOVECOMPLETE))
		poke(u);
	else if (msg == WM_CLOSE)
		DestroyWindow(hwnd);
	else if (msg == WM_DESTROY)
		PostQuitMessage(0);
	return DefWindowProcW(hwnd, msg, wp, lp);
}

static DWORD WINAPI
window_thread(void *arg)
{
	struct winusb *u = arg;
	DEV_BROADCAST_DEVICEINTERFACE_W f;
	WNDCLASSEXW wc;
	MSG m;

	memset(&wc, 0, sizeof(wc));
	wc.cbSize = sizeof(wc);
	wc.lpfnWndProc = wnd_proc;
	wc.hInstance = GetModuleHandleW(NULL);
	wc.lpszClassName = L"VigilUsbNotify";
	RegisterClassExW(&wc);
	u->hwnd = CreateWindowExW(0, wc.lpszClassName, L"", 0, 0, 0, 0, 0, HWND_MESSAGE, NULL,
	    wc.hInstance, NULL);
	if (u->hwnd != NULL) {
		SetWindowLongPtrW(u->hwnd, GWLP_USERDATA, (LONG_PTR)u);
		memset(&f, 0, sizeof(f));
		f.dbcc_size = sizeof(f);
		f.dbcc_devicetype = DBT_DEVTYP_DEVICEINTERFACE;
		f.dbcc_classguid = GUID_DEVINTERFACE_USB_DEVICE;
		u->devnotify = RegisterDeviceNotificationW(u->hwnd, &f,
		    DEVICE_NOTIFY_WINDOW_HANDLE);
	}
	SetEvent(u->ready);
	if (u->hwnd == NULL)
		return 1;
	while (GetMessageW(&m, NULL, 0, 0) > 0) {
		TranslateMessage(&m);
		DispatchMessageW(&m);
	}
	if (u->devnotify != NULL)
		UnregisterDeviceNotification(u->devnotify);
	return 0;
}

/* CM_Register_Notification where Windows has it and it is safe; 0 when it is in use. */
static int
cm_notify(struct winusb *u)
{
	struct vg_cm_filter f;
	vg_cm_register reg;
	HMODULE m;

	if (win_is_wine())
		return -1;           /* Wine 8 aborts the process in it */
	if ((m = LoadLibraryW(L"cfgmgr32.dll")) == NULL)
		return -1;
	reg = (vg_cm_register)(void *)GetProcAddress(m, "CM_Register_Notification");
	u->cm_unregister = (vg_cm_unregister)(void *)GetProcAddress(m, "CM_Unregister_Notification");
	if (reg == NULL || u->cm_unregister == NULL)
		return -1;
	memset(&f, 0, sizeof(f));
	f.cbSize = sizeof(f);
	f.FilterType = 0;
	f.u.ClassGuid = GUID_DEVINTERFACE_USB_DEVICE;
	if (reg(&f, u, cm_cb, &u->cm) != CR_SUCCESS) {
		u->cm = NULL;
		return -1;
	}
	return 0;
}

/* ---- the driver ------------------------------------------------------------------ */

static void
winusb_free(struct winusb *u)
{
	if (u == NULL)
		return;
	if (u->cm != NULL)
		u->cm_unregister(u->cm);
	if (u->thread != NULL) {
		if (u->hwnd != NULL)
			PostMessageW(u->hwnd, WM_CLOSE, 0, 0);
		WaitForSingleObject(u->thread, 5000);
		CloseHandle(u->thread);
	}
	if (u->ready != NULL)
		CloseHandle(u->ready);
	if (u->wake_ev != NULL)
		event_free(u->wake_ev);
	if (u->pair[0] != NO_SOCKET)
		evutil_closesocket(u->pair[0]);
	if (u->pair[1] != NO_SOCKET)
		evutil_closesocket(u->pair[1]);
	ingest_free(u->ing);
	free(u->allow);
	free(u->report);
	free(u->known);
	free(u->now);
	free(u);
}

static int
winusb_check(const char *path, const struct agent_conf *conf, char *err, size_t errlen)
{
	const struct agent_conf_usb *c = &conf->usb;
	struct usb_allow *allow;
	enum usb_policy p;
	char why[256];
	size_t n;
	int rc;

	if (usb_policy_parse(c->policy, &p) != 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "usb", NULL,
		    "policy"), _("policy \"%.32s\" is not off, alert or block"), c->policy);
	if ((allow = calloc(USB_MAX_ALLOW, sizeof(*allow))) == NULL)
		return err_at(err, errlen, VIGIL_ERR_NOMEM, path, 0, "%s", _("out of memory"));
	rc = usb_allow_parse(c->allow, allow, USB_MAX_ALLOW, &n, why, sizeof(why));
	free(allow);
	if (rc != 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "usb", NULL,
		    "allow"), "%s", why);
	return 0;
}

static void *
winusb_start(const struct sensor_env *env, char *err, size_t errlen)
{
	const struct agent_conf_usb *c = &env->conf->usb;
	struct winusb *u;
	enum usb_policy pol = USB_POLICY_ALERT;
	char why[256], entries[64];

	if (!c->enabled)
		return NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL)
		goto nomem;
	u->pair[0] = u->pair[1] = NO_SOCKET;
	u->base = env->base;
	u->spool = env->spool;
	u->posture = env->posture;
	u->appended = env->appended;
	u->arg = env->arg;
	if ((u->allow = calloc(USB_MAX_ALLOW, sizeof(*u->allow))) == NULL ||
	    (u->report = calloc(1, sizeof(*u->report))) == NULL ||
	    (u->known = calloc(USB_MAX_PRESENT, sizeof(*u->known))) == NULL ||
	    (u->now = calloc(USB_MAX_PRESENT, sizeof(*u->now))) == NULL ||
	    (u->ing = ingest_new(env->spool, NULL)) == NULL)
		goto nomem;
	(void)usb_policy_parse(c->policy, &pol);     /* checked by winusb_check */
	u->rules.policy = pol;
	u->rules.block_hid = c->block_hid != 0;
	u->rules.allow = u->allow;
	if (usb_allow_parse(c->allow, u->allow, USB_MAX_ALLOW, &u->rules.nallow, why,
	    sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}
	if (evutil_socketpair(AF_INET, SOCK_STREAM, 0, u->pair) != 0 ||
	    evutil_make_socket_nonblocking(u->pair[0]) != 0 ||
	    evutil_make_socket_nonblocking(u->pair[1]) != 0 ||
	    (u->wake_ev = event_new(env->base, u->pair[0], EV_READ | EV_PERSIST, wake_cb,
	    u)) == NULL || event_add(u->wake_ev, NULL) != 0) {
		snprintf(err, errlen, "%s", _("the USB sensor cannot join the event loop"));
		goto fail;
	}
	relist(u, 0);
	/*
	 * Under Wine nothing is listed and nothing would ever be notified:
	 * no window either (it would start Wine's desktop and plug-and-play
	 * services in the prefix for nothing).
	 */
	if (win_is_wine())
		u->how = NULL;
	else if (cm_notify(u) == 0)
		u->how = "CM_Register_Notification";
	else if ((u->ready = CreateEventW(NULL, TRUE, FALSE, NULL)) != NULL &&
	    (u->thread = CreateThread(NULL, 0, window_thread, u, 0, NULL)) != NULL) {
		WaitForSingleObject(u->ready, 10000);
		u->how = u->devnotify != NULL ? "RegisterDeviceNotification" : NULL;
	}
	if (u->how == NULL && !win_is_wine()) {
		/* Without notifications the sensor still judged what is present at start. */
		log_warnx("%s", _("USB sensor: no device notification can be registered; only "
		    "the devices present at start were judged."));
	}
	posture_set_usb_blocked(u->posture, (uint32_t)u->blocked);
	snprintf(entries, sizeof(entries), i18n_ntext("%zu allow-list entry",
	    "%zu allow-list entries", u->rules.nallow), u->rules.nallow);
	if (u->unavailable)
		log_warnx(_("The USB sensor is unavailable: %s. The agent runs on without it."),
		    u->why);
	else
		log_info(i18n_ntext("USB sensor: %zu device present; policy %s, %s; changes "
		    "from %s.", "USB sensor: %zu devices present; policy %s, %s; changes from %s.",
		    (unsigned long)u->nknown), u->nknown, usb_policy_name(u->rules.policy), entries,
		    u->how != NULL ? u->how : "-");
	return u;
nomem:
	snprintf(err, errlen, "%s", _("out of memory"));
fail:
	winusb_free(u);
	return NULL;
}

static void
winusb_stop(void *state)
{
	winusb_free(state);
}

static void
winusb_count(const void *state, struct sensor_counters *c)
{
	const struct winusb *u = state;

	c->events_rejected += ingest_rejected(u->ing);
}

static void
winusb_report(const void *state, struct sensor_report *r)
{
	const struct winusb *u = state;

	if (u->unavailable)
		sensor_report_unavailable(r, "usb", u->why);
	sensor_report_counter(r, "usb.blocked", u->blocked);
	sensor_report_counter(r, "usb.block_failed", u->block_failed);
	sensor_report_counter(r, "usb.list_failed", u->list_failed);
}

const struct sensor_driver sensor_winusb = {
	.name = "usb",
	.check = winusb_check,
	.failure = N_("The USB sensor cannot start"),
	.start = winusb_start,
	.stop = winusb_stop,
	.count = winusb_count,
	.report = winusb_report,
};

/* ---- vigil-agent.exe --list-usb ------------------------------------------------- */

int
win_usb_list_main(int argc, char *argv[], FILE *out)
{
	struct listed *l;
	struct usb_class c;
	HDEVINFO set;
	char line[USB_STR_MAX + 16], desc[1024];
	size_t nodes;
	int i, n;

	if (argc != 1) {
		fprintf(stderr, "%s", _("usage: vigil-agent.exe --list-usb\n"));
		return 1;
	}
	if ((l = calloc(USB_MAX_PRESENT, sizeof(*l))) == NULL) {
		fprintf(stderr, "vigil-agent: %s\n", _("out of memory"));
		return 1;
	}
	if ((n = list_devices(&set, l, USB_MAX_PRESENT, &nodes)) < 0) {
		fprintf(stderr, "vigil-agent: %s\n", _("The USB devices cannot be listed "
		    "(SetupDiGetClassDevs failed)."));
		free(l);
		return 1;
	}
	SetupDiDestroyDeviceInfoList(set);
	fprintf(out, "# USB devices present (SetupAPI), as [usb] allow-list entries.\n");
	if (nodes == 0)
		fprintf(out, "# SetupAPI lists no USB device here%s.\n", win_is_wine() ?
		    " (Wine)" : "");
	for (i = 0; i < n; i++) {
		usb_classify(&l[i].d, &c);
		usb_allow_line(&l[i].d, line, sizeof(line));
		usb_describe(&l[i].d, &c, desc, sizeof(desc));
		fprintf(out, "# %s%s\n%s\n", desc, l[i].disabled ? " (disabled)" : "", line);
	}
	free(l);
	return 0;
}
