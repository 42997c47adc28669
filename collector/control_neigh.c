/*
 * The network's neighbours at the control socket (issue 15): the hosts
 * seen on an office network that have no agent and that nobody declared,
 * as lines of `vigilctl compliance`, and the MACs an operator marks "not a
 * PC" (the router, a printer, a phone) so that the list stays short enough
 * to read. The store decides what is unknown (store_unknown_hosts()).
 */
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

#include "vigil/clock.h"
#include "vigil/err.h"
#include "vigil/mac.h"

#include "collector.h"
#include "control_int.h"
#include "store.h"
#include "store_enroll.h"

/* Lines of unknown hosts in one answer; the rest are counted in the summary line. */
#define UNKNOWN_HOSTS_MAX 1000

struct unknown_walk {
	struct jw *w;
	long long count;
};

static int
unknown_line(void *arg, const struct store_unknown_host *h)
{
	struct unknown_walk *u = arg;
	unsigned char m[MAC_LEN];

	if (u->count++ >= UNKNOWN_HOSTS_MAX)
		return 0;
	jw_begin(u->w);
	jw_str(u->w, "type", "unknown_host");
	jw_str(u->w, "mac", h->mac);
	jw_str(u->w, "ip", h->ip);
	jw_str(u->w, "ifname", h->ifname);
	jw_time(u->w, "first_seen", h->first_us);
	jw_time(u->w, "last_seen", h->last_us);
	jw_str(u->w, "seen_by", h->agent);
	jw_str(u->w, "seen_by_host", h->hostname);
	jw_str(u->w, "unit", h->unit);
	/* A made-up MAC (virtual machine, phone's private address) says less about a device. */
	jw_bool(u->w, "local_mac", mac_parse(h->mac, m) == 0 && mac_is_local(m));
	jw_end(u->w);
	return 0;
}

int
compliance_unknown_hosts(struct jw *w, const char *unit)
{
	struct unknown_walk u = { w, 0 };

	if (store_unknown_hosts(w->ctl->c->store, unit, unknown_line, &u) != 0)
		return -1;
	/* Nothing to say: the answer stays as it was before neighbours were reported. */
	if (u.count == 0)
		return 0;
	jw_begin(w);
	jw_str(w, "type", "unknown_hosts");
	jw_int(w, "count", u.count);
	jw_int(w, "listed", u.count < UNKNOWN_HOSTS_MAX ? u.count : UNKNOWN_HOSTS_MAX);
	jw_end(w);
	return 0;
}

/* inventory-ignore mac=M [note=TEXT] [undo=1]: a MAC that is not a PC, or is again. */
int
cmd_inventory_ignore(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { "mac", "note", "undo", NULL };
	const char *mac = arg_get(args, nargs, "mac"), *note = arg_get(args, nargs, "note");
	const char *actor = w->conn != NULL ? w->conn->user : "unknown";
	char canon[MAC_STR_LEN + 1], detail[CTL_NOTE_MAX + 128];
	long long undo = 0;
	int rc;

	if (args_check(args, nargs, known, err, errlen) != 0 ||
	    num_arg(args, nargs, "undo", 0, 1, "0 or 1", &undo, err, errlen) != 0)
		return -1;
	if (mac == NULL || mac_normalize(mac, canon) != 0) {
		bad_arg(err, errlen, "mac", mac != NULL ? mac : "", "a MAC address (aa:bb:cc:dd:ee:ff)");
		return -1;
	}
	if (note != NULL && strlen(note) > CTL_NOTE_MAX) {
		bad_arg(err, errlen, "note", "", "a note of at most 2048 bytes");
		return -1;
	}
	rc = store_mac_ignore(w->ctl->c->store, canon, note, actor, clock_now_us(), (int)undo);
	if (rc == VIGIL_ERR_NOTFOUND) {
		snprintf(err, errlen, "%s is not marked as not a PC", canon);
		return -1;
	}
	if (rc != 0) {
		snprintf(err, errlen, "the mark cannot be stored: %s", store_errmsg(w->ctl->c->store));
		return -1;
	}
	snprintf(detail, sizeof(detail), undo ? "MAC %s may be a PC again" :
	    "MAC %s marked not a PC: %s", canon, note != NULL ? note : "");
	(void)store_audit_append(w->ctl->c->store, &(struct store_audit_entry){ clock_now_us(),
	    actor, 0, "inventory", detail });
	jw_begin(w);
	jw_str(w, "mac", canon);
	jw_str(w, "state", undo ? "may be a PC" : "not a PC");
	jw_end(w);
	return 0;
}

static int
ignored_line(void *arg, const char *mac, const char *note, int64_t set_us, const char *actor)
{
	struct jw *w = arg;

	jw_begin(w);
	jw_str(w, "mac", mac);
	jw_str(w, "note", note);
	jw_time(w, "set", set_us);
	jw_str(w, "by", actor);
	jw_end(w);
	return 0;
}

/* inventory-ignored: the MACs marked not a PC. */
int
cmd_inventory_ignored(struct jw *w, const struct ctl_arg *args, size_t nargs, char *err,
    size_t errlen)
{
	static const char *const known[] = { NULL };

	if (args_check(args, nargs, known, err, errlen) != 0)
		return -1;
	if (store_mac_ignored(w->ctl->c->store, ignored_line, w) != 0) {
		snprintf(err, errlen, "the marks cannot be read: %s", store_errmsg(w->ctl->c->store));
		return -1;
	}
	return 0;
}
