/*
 * The Windows posture: the [updates] sensor (Windows Update Agent, the
 * registry's pending-reboot marks, the system's support state) and the
 * antivirus provider "securitycenter" (Security Center's products, Defender's
 * own status), in the same heartbeat fields as Linux's apt and clamd.
 *
 * The answers are rendered as list text (wmi.c) and decoded by the portable
 * decoders (agent/wsc.c, agent/winupdate.c). A source that does not answer
 * (Wine: Security Center and Defender namespaces are missing, the Update
 * Agent is a stub) leaves its part unknown, says so once, and the agent goes
 * on. The Update Agent's search can take minutes: it runs on a thread of its
 * own, whose result the sensor's timer takes when the thread has ended; the
 * loop never waits for it.
 */
#include <winsock2.h>
#include <windows.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/clock.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../av.h"
#include "../conf.h"
#include "../posture.h"
#include "../sensor.h"
#include "../winupdate.h"
#include "../wsc.h"
#include "winposture.h"
#include "winver.h"
#include "wmi.h"

#define ANSWER_MAX (512 * 1024)      /* bytes of one rendered answer */
#define UNKNOWN VIGIL__V1__TRISTATE__TRISTATE_UNKNOWN
#define YES VIGIL__V1__TRISTATE__TRISTATE_YES
#define NO VIGIL__V1__TRISTATE__TRISTATE_NO

/* ---- pending reboot: the registry ---------------------------------------- */

static int
key_exists(const wchar_t *path)
{
	HKEY k;

	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, path, 0, KEY_READ, &k) != ERROR_SUCCESS)
		return 0;
	RegCloseKey(k);
	return 1;
}

int
winpost_reboot_pending(char *why, size_t whylen)
{
	DWORD type = 0, size = 0;
	HKEY k;
	LONG rc;

	if (key_exists(L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\WindowsUpdate\\"
	    L"Auto Update\\RebootRequired")) {
		snprintf(why, whylen, "Windows Update: RebootRequired");
		return YES;
	}
	if (key_exists(L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Component Based "
	    L"Servicing\\RebootPending")) {
		snprintf(why, whylen, "Component Based Servicing: RebootPending");
		return YES;
	}
	if (RegOpenKeyExW(HKEY_LOCAL_MACHINE, L"SYSTEM\\CurrentControlSet\\Control\\"
	    L"Session Manager", 0, KEY_READ, &k) != ERROR_SUCCESS) {
		snprintf(why, whylen, "the Session Manager key cannot be read");
		return UNKNOWN;
	}
	rc = RegQueryValueExW(k, L"PendingFileRenameOperations", NULL, &type, NULL, &size);
	RegCloseKey(k);
	/* An empty REG_MULTI_SZ is two NULs: four bytes. */
	if (rc == ERROR_SUCCESS && size > 4) {
		snprintf(why, whylen, "Session Manager: PendingFileRenameOperations");
		return YES;
	}
	snprintf(why, whylen, "no pending-reboot mark");
	return NO;
}

int
winpost_os(char *buf, size_t len)
{
	struct winver v;

	if (winver_get(&v) != 0) {
		snprintf(buf, len, "Windows, version not known");
		return -1;
	}
	return winos_describe(v.major, v.minor, v.build, v.server, clock_now_us(), buf, len);
}

/* ---- the [updates] sensor -------------------------------------------------- */

struct wu_job {
	HANDLE thread;
	struct wua_counts counts;
	int searched;                    /* 0 done, -1 the agent did not answer */
	int64_t last_install_us;         /* 0 unknown */
	char why[256];
};

struct winupd {
	struct posture *p;
	struct event *tick;
	long long interval_ms;
	int64_t next_search_us;
	struct wu_job *job;              /* a search under way, or NULL */
	struct posture_updates cur;
	int said_unavailable;
	int reboot_said;
};

static DWORD WINAPI
wu_thread(LPVOID arg)
{
	struct wu_job *j = arg;
	struct sbuf b;
	char *buf;

	j->searched = -1;
	if ((buf = malloc(ANSWER_MAX)) == NULL) {
		snprintf(j->why, sizeof(j->why), "out of memory");
		return 0;
	}
	if (wincom_init(j->why, sizeof(j->why)) != 0) {
		free(buf);
		return 0;
	}
	sbuf_init(&b, buf, ANSWER_MAX);
	if (wua_search(&b, j->why, sizeof(j->why)) >= 0) {
		wua_count(b.p, b.len, &j->counts);
		j->searched = 0;
		sbuf_init(&b, buf, ANSWER_MAX);
		if (wua_history(&b, j->why, sizeof(j->why)) < 0 ||
		    wua_last_install(b.p, b.len, &j->last_install_us) != 0)
			j->last_install_us = 0;
	}
	wincom_done();
	free(buf);
	return 0;
}

static void
take_job(struct winupd *u)
{
	struct wu_job *j = u->job;

	if (j == NULL || WaitForSingleObject(j->thread, 0) != WAIT_OBJECT_0)
		return;
	CloseHandle(j->thread);
	u->job = NULL;
	if (j->searched == 0) {
		u->cur.pending = j->counts.pending;
		u->cur.security_pending = j->counts.security;
		if (j->counts.security > 0 && u->cur.security_pending_since_us == 0)
			u->cur.security_pending_since_us = clock_now_us();
		else if (j->counts.security == 0)
			u->cur.security_pending_since_us = 0;
		if (j->last_install_us != 0)
			u->cur.last_upgrade_us = j->last_install_us;
		u->said_unavailable = 0;
		log_debug("Windows Update: %d pending, %d of them security.", j->counts.pending,
		    j->counts.security);
	} else {
		u->cur.pending = u->cur.security_pending = -1;
		if (!u->said_unavailable)
			log_info(_("Windows Update does not answer (%s): pending updates are "
			    "reported unknown."), j->why);
		u->said_unavailable = 1;
	}
	free(j);
}

static void
upd_tick(evutil_socket_t fd, short what, void *arg)
{
	struct winupd *u = arg;
	struct timeval tv;
	char why[128];
	int64_t now = clock_now_us();
	int reboot;

	take_job(u);
	if (u->job == NULL && now >= u->next_search_us) {
		struct wu_job *j = calloc(1, sizeof(*j));

		if (j != NULL && (j->thread = CreateThread(NULL, 0, wu_thread, j, 0, NULL)) != NULL) {
			u->job = j;
			u->next_search_us = now + u->interval_ms * 1000;
		} else
			free(j);
	}
	winpost_os(u->cur.os, sizeof(u->cur.os));
	reboot = winpost_reboot_pending(why, sizeof(why));
	if (reboot == YES && !u->reboot_said)
		log_info(_("A reboot is pending (%s)."), why);
	u->reboot_said = reboot == YES;
	u->cur.reboot_required = reboot;
	posture_set_updates(u->p, &u->cur);
	/* The timer looks for the search's end at least every 2 s while one runs. */
	tv.tv_sec = u->job != NULL && u->interval_ms > 2000 ? 2 : (long)(u->interval_ms / 1000);
	tv.tv_usec = u->job != NULL && u->interval_ms > 2000 ? 0 : (long)(u->interval_ms % 1000) * 1000;
	event_add(u->tick, &tv);
}

static void *
upd_start(const struct sensor_env *env, char *err, size_t errlen)
{
	struct winupd *u;

	if (!env->conf->updates.enabled)
		return NULL;
	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->tick = evtimer_new(env->base, upd_tick, u)) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		free(u);
		return NULL;
	}
	u->p = env->posture;
	u->interval_ms = env->conf->updates.check_interval;
	u->cur.pending = u->cur.security_pending = -1;
	upd_tick(-1, 0, u);
	return u;
}

static void
upd_stop(void *state)
{
	struct winupd *u = state;

	if (u == NULL)
		return;
	event_free(u->tick);
	if (u->job != NULL) {
		/* A search cannot be cancelled: it is left to end with the process. */
		CloseHandle(u->job->thread);
		u->job = NULL;           /* its memory stays with the thread */
	}
	free(u);
}

const struct sensor_driver sensor_winupdates = {
	.name = "updates",
	.failure = N_("The update sensor cannot start"),
	.start = upd_start,
	.stop = upd_stop,
};

/* ---- the antivirus provider "securitycenter" -------------------------------- */

struct wsc_provider {
	struct av_provider pv;
	char product[POSTURE_MAX_PRODUCT];
	int said;                    /* the unavailable part was said */
};

static const wchar_t *const wsc_props[] = { L"displayName", L"productState", NULL };
static const wchar_t *const mp_props[] = { L"AMProductVersion", L"AntivirusEnabled",
	L"RealTimeProtectionEnabled", L"AntivirusSignatureAge", L"AntivirusSignatureLastUpdated",
	NULL };

int
winpost_wsc_query(struct sbuf *out, char *why, size_t whylen)
{
	return wmi_query(L"ROOT\\SecurityCenter2", L"SELECT displayName, productState FROM "
	    L"AntiVirusProduct", wsc_props, out, why, whylen);
}

int
winpost_mp_query(struct sbuf *out, char *why, size_t whylen)
{
	return wmi_query(L"ROOT\\Microsoft\\Windows\\Defender", L"SELECT * FROM "
	    L"MSFT_MpComputerStatus", mp_props, out, why, whylen);
}

static void
wsc_check(struct av_provider *pv, av_done_fn done, void *arg)
{
	struct wsc_provider *w = (struct wsc_provider *)pv;
	struct wsc_product prods[WSC_MAX_PRODUCTS];
	struct mp_status mp;
	struct posture_av av;
	struct av_status st;
	struct sbuf b;
	const char *note;
	char why[256], *buf;
	size_t n = 0;

	memset(&st, 0, sizeof(st));
	memset(&mp, 0, sizeof(mp));
	st.running = st.realtime = UNKNOWN;
	if ((buf = malloc(ANSWER_MAX)) == NULL) {
		snprintf(st.why, sizeof(st.why), "out of memory");
		done(arg, &st);
		return;
	}
	sbuf_init(&b, buf, ANSWER_MAX);
	if (winpost_wsc_query(&b, why, sizeof(why)) < 0) {
		if (!w->said)
			log_info(_("Security Center does not answer (%s): the antivirus is "
			    "reported unknown."), why);
		w->said = 1;
		snprintf(st.why, sizeof(st.why), "Security Center does not answer: %s", why);
		free(buf);
		done(arg, &st);
		return;
	}
	n = wsc_parse(b.p, b.len, prods, WSC_MAX_PRODUCTS, NULL);
	sbuf_init(&b, buf, ANSWER_MAX);
	if (winpost_mp_query(&b, why, sizeof(why)) < 0 || mp_parse(b.p, b.len, &mp) != 0)
		memset(&mp, 0, sizeof(mp));
	free(buf);
	w->said = 0;
	if (wsc_choose(prods, n, &mp, &av, &note) != 0) {
		snprintf(w->product, sizeof(w->product), "none");
		st.running = NO;
		snprintf(st.why, sizeof(st.why), "Security Center knows no antivirus");
		done(arg, &st);
		return;
	}
	snprintf(w->product, sizeof(w->product), "%s", av.product);
	st.running = av.running;
	st.realtime = av.realtime;
	snprintf(st.version, sizeof(st.version), "%s", av.version);
	st.signatures_us = av.signatures_us;
	if (av.running == NO)
		snprintf(st.why, sizeof(st.why), "Security Center says it is off");
	if (*note != '\0')
		log_debug("Antivirus %s: signatures %s.", av.product, note);
	done(arg, &st);
}

static int
wsc_found(struct av_provider *pv, const char *line, size_t len, struct av_detection *d)
{
	return 0;                /* detections come from the Event Log: issue 14 */
}

static void
wsc_free(struct av_provider *pv)
{
	free(pv);
}

static struct av_provider *
wsc_open(struct event_base *base, const struct agent_conf_antivirus *conf, const char **log,
    char *err, size_t errlen)
{
	struct wsc_provider *w;
	char why[128];

	if ((w = calloc(1, sizeof(*w))) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return NULL;
	}
	if (wincom_init(why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		free(w);
		return NULL;
	}
	snprintf(w->product, sizeof(w->product), "Security Center");
	w->pv.product = w->product;
	w->pv.check = wsc_check;
	w->pv.found = wsc_found;
	w->pv.free = wsc_free;
	*log = "";
	return &w->pv;
}

const struct av_provider_driver av_provider_securitycenter = {
	.name = "securitycenter",
	.open = wsc_open,
};
