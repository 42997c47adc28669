/*
 * The USB sensor: kernel uevents -> the device's identity from sysfs -> class
 * and policy -> authorized=0 when blocked -> events in the spool.
 *
 * Trust: a uevent is believed only when the kernel sent it (netlink port id
 * 0, credentials uid 0); the devpath it names is checked before it is joined
 * to the sysfs root, every directory on the way is opened without following
 * symlinks, and every string read from sysfs (which the device itself
 * supplies) is bounded and cleaned before it reaches a log or the wire.
 *
 * Timing: the kernel announces a usb_device before its interfaces exist.
 * A device whose interfaces are not all there yet waits ("pending") for its
 * "bind", an interface of its own, or USB_SETTLE_MS, whichever comes first,
 * so that the class and the policy see every interface.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/netlink.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "vigil/err.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "vigil/text.h"
#include "vigil/wire.h"
#include "../ingest.h"
#include "../posture.h"
#include "usb.h"

#define USB_ATTR_MAX 256           /* bytes read from one sysfs attribute */
#define USB_DIR_ENTRIES_MAX 4096   /* entries of a device directory looked at */
#define USB_DEPTH_MAX 64           /* components of a devpath */
#define USB_SETTLE_MS 5000         /* the last resort when no bind comes */
#define USB_RECV_BATCH 64          /* messages per wakeup before yielding to the loop */
#define USB_RCVBUF (1024 * 1024)


/* ---- sysfs ---------------------------------------------------------------- */

/*
 * The device directory root + devpath, every component opened with
 * O_NOFOLLOW: sysfs has no symlinks on a /devices path, so one there is a
 * trick. Returns a directory fd or -1 (errno set).
 */
static int
open_devdir(const char *root, const char *devpath)
{
	char comp[NAME_MAX + 1];
	const char *p = devpath + 1, *e;
	int fd, next, depth = 0;
	size_t n;

	if ((fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return -1;
	while (*p != '\0') {
		for (e = p; *e != '\0' && *e != '/'; e++)
			;
		n = (size_t)(e - p);
		if (n == 0 || n > NAME_MAX || ++depth > USB_DEPTH_MAX) {
			close(fd);
			errno = EINVAL;
			return -1;
		}
		memcpy(comp, p, n);
		comp[n] = '\0';
		next = openat(fd, comp, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		close(fd);
		if (next < 0)
			return -1;
		fd = next;
		p = *e == '/' ? e + 1 : e;
	}
	return fd;
}

/*
 * One attribute into buf[cap] (NUL-terminated, trailing whitespace cut).
 * Returns its length or -1 (errno set). A FIFO or device planted in a test
 * tree cannot hang us: O_NONBLOCK and regular files only.
 */
static ssize_t
read_attr(int dirfd, const char *name, char *buf, size_t cap)
{
	struct stat st;
	ssize_t n;
	int fd;

	buf[0] = '\0';
	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		close(fd);
		errno = EINVAL;
		return -1;
	}
	do
		n = read(fd, buf, cap - 1);
	while (n < 0 && errno == EINTR);
	close(fd);
	if (n < 0)
		return -1;
	while (n > 0 && (buf[n - 1] == '\n' || buf[n - 1] == ' ' || buf[n - 1] == '\t' ||
	    buf[n - 1] == '\r'))
		n--;
	buf[n] = '\0';
	return n;
}

/* A string the device supplies: valid UTF-8, no control characters. */
static void
attr_string(int dirfd, const char *name, char *out, size_t cap)
{
	char raw[USB_ATTR_MAX];
	ssize_t n;

	out[0] = '\0';
	if ((n = read_attr(dirfd, name, raw, sizeof(raw))) <= 0)
		return;
	usb_string_clean(out, cap, raw, (size_t)n);
}

static int
attr_int(int dirfd, const char *name, int base, int def)
{
	char raw[32], *end;
	const char *p;
	long v;

	if (read_attr(dirfd, name, raw, sizeof(raw)) < 0)
		return def;
	for (p = raw; *p == ' '; p++)
		;
	if (*p == '\0')
		return 0;   /* present but empty: bNumInterfaces of an unconfigured device */
	errno = 0;
	v = strtol(p, &end, base);
	if (errno != 0 || *end != '\0' || v < 0 || v > 0xffff)
		return def;
	return (int)v;
}

static void
attr_hex4(int dirfd, const char *name, char out[5])
{
	char raw[16];
	ssize_t n;
	size_t i;

	out[0] = '\0';
	if ((n = read_attr(dirfd, name, raw, sizeof(raw))) != 4)
		return;
	for (i = 0; i < 4; i++) {
		char ch = raw[i];

		if (ch >= 'A' && ch <= 'F')
			ch = (char)(ch - 'A' + 'a');
		if (!((ch >= '0' && ch <= '9') || (ch >= 'a' && ch <= 'f'))) {
			out[0] = '\0';
			return;
		}
		out[i] = ch;
	}
	out[4] = '\0';
}

/* Each "<devname>:<config>.<interface>" directory's bInterfaceClass. */
static void
read_ifaces(int devfd, const char *devname, struct usb_device *d)
{
	struct dirent *de;
	size_t seen = 0, n = strlen(devname);
	DIR *dir;
	int dfd, ifd, cls;

	d->nifaces = 0;
	if ((dfd = dup(devfd)) < 0)
		return;
	if ((dir = fdopendir(dfd)) == NULL) {
		close(dfd);
		return;
	}
	while ((de = readdir(dir)) != NULL && seen++ < USB_DIR_ENTRIES_MAX &&
	    d->nifaces < USB_MAX_IFACES) {
		if (strncmp(de->d_name, devname, n) != 0 || de->d_name[n] != ':')
			continue;
		ifd = openat(devfd, de->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (ifd < 0)
			continue;
		cls = attr_int(ifd, "bInterfaceClass", 16, -1);
		close(ifd);
		if (cls >= 0 && cls <= 0xff)
			d->iface_class[d->nifaces++] = (uint8_t)cls;
	}
	closedir(dir);
}

int
usb_sysfs_read(const char *root, const char *devpath, struct usb_device *d)
{
	const char *devname;
	int fd;

	memset(d, 0, sizeof(*d));
	d->device_class = -1;
	d->num_ifaces = -1;
	d->authorized = -1;
	if (!uevent_devpath_valid(devpath))
		return VIGIL_ERR_INVAL;
	snprintf(d->devpath, sizeof(d->devpath), "%s", devpath);
	if ((fd = open_devdir(root, devpath)) < 0)
		return errno == ENOENT || errno == ENOTDIR ? VIGIL_ERR_NOTFOUND : VIGIL_ERR_SYS;
	devname = strrchr(devpath, '/') + 1;
	attr_hex4(fd, "idVendor", d->vendor);
	attr_hex4(fd, "idProduct", d->product);
	attr_string(fd, "serial", d->serial, sizeof(d->serial));
	attr_string(fd, "manufacturer", d->manufacturer, sizeof(d->manufacturer));
	attr_string(fd, "product", d->product_name, sizeof(d->product_name));
	attr_string(fd, "busnum", d->busnum, sizeof(d->busnum));
	attr_string(fd, "devnum", d->devnum, sizeof(d->devnum));
	d->device_class = attr_int(fd, "bDeviceClass", 16, -1);
	d->num_ifaces = attr_int(fd, "bNumInterfaces", 10, -1);
	d->authorized = attr_int(fd, "authorized", 10, -1);
	read_ifaces(fd, devname, d);
	close(fd);
	return 0;
}

int
usb_sysfs_deauthorize(const char *root, const char *devpath)
{
	ssize_t n;
	int dfd, fd, saved;

	if (!uevent_devpath_valid(devpath))
		return VIGIL_ERR_INVAL;
	if ((dfd = open_devdir(root, devpath)) < 0)
		return VIGIL_ERR_SYS;
	fd = openat(dfd, "authorized", O_WRONLY | O_TRUNC | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	saved = errno;
	close(dfd);
	if (fd < 0) {
		errno = saved;
		return VIGIL_ERR_SYS;
	}
	do
		n = write(fd, "0\n", 2);
	while (n < 0 && errno == EINTR);
	saved = errno;
	close(fd);
	errno = saved;
	return n == 2 ? 0 : VIGIL_ERR_SYS;
}

static int
devpath_cmp(const void *a, const void *b)
{
	return strcmp(((const struct usb_device *)a)->devpath,
	    ((const struct usb_device *)b)->devpath);
}

int
usb_sysfs_scan(const char *root, struct usb_device *out, size_t max)
{
	char dir[PATH_MAX], target[PATH_MAX], devpath[UEVENT_MAX_DEVPATH];
	struct dirent *de;
	const char *t;
	size_t n = 0, seen = 0;
	ssize_t len;
	DIR *d;

	snprintf(dir, sizeof(dir), "%s/bus/usb/devices", root);
	if ((d = opendir(dir)) == NULL)
		return errno == ENOENT ? 0 : VIGIL_ERR_SYS;
	while ((de = readdir(d)) != NULL && n < max && seen++ < USB_DIR_ENTRIES_MAX) {
		/* Interfaces ("1-1:1.0") are listed here too; devices have no ':'. */
		if (de->d_name[0] == '.' || strchr(de->d_name, ':') != NULL)
			continue;
		if ((len = readlinkat(dirfd(d), de->d_name, target, sizeof(target) - 1)) <= 0)
			continue;
		target[len] = '\0';
		for (t = target; strncmp(t, "../", 3) == 0; t += 3)
			;
		if (strncmp(t, "devices/", 8) != 0 || strlen(t) + 2 > sizeof(devpath))
			continue;
		devpath[0] = '/';
		memcpy(devpath + 1, t, strlen(t) + 1);
		if (usb_sysfs_read(root, devpath, &out[n]) == 0)
			n++;
	}
	closedir(d);
	qsort(out, n, sizeof(out[0]), devpath_cmp);
	return (int)n;
}

int
usb_list_main(int argc, char *argv[], FILE *out)
{
	const char *root = "/sys";
	struct usb_device *devs;
	struct usb_class c;
	char line[USB_STR_MAX + 16], desc[1024];
	int i, n;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--sysfs-root") == 0 && i + 1 < argc)
			root = argv[++i];
		else {
			fprintf(stderr, "usage: vigil-agent --list-usb [--sysfs-root DIR]\n");
			return 1;
		}
	}
	if ((devs = calloc(USB_MAX_PRESENT, sizeof(*devs))) == NULL) {
		fprintf(stderr, "vigil-agent: out of memory\n");
		return 1;
	}
	if ((n = usb_sysfs_scan(root, devs, USB_MAX_PRESENT)) < 0) {
		fprintf(stderr, "vigil-agent: cannot list %s/bus/usb/devices: %s\n", root,
		    strerror(errno));
		free(devs);
		return 1;
	}
	fprintf(out, "# USB devices present under %s, as [usb] allow-list entries.\n", root);
	for (i = 0; i < n; i++) {
		usb_classify(&devs[i], &c);
		usb_allow_line(&devs[i], line, sizeof(line));
		usb_describe(&devs[i], &c, desc, sizeof(desc));
		fprintf(out, "# %s\n%s\n", desc, line);
	}
	free(devs);
	return 0;
}

/* ---- the sensor ----------------------------------------------------------- */

struct present {
	struct usb_device d;
	bool used;
	bool pending;               /* added, waiting for its interfaces */
	long long since_ms;
};

struct usb_sensor {
	struct event_base *base;
	struct spool *spool;
	char root[PATH_MAX];
	struct usb_allow *allow;
	struct usb_rules rules;
	bool test_sender;
	void (*appended)(void *arg);
	void *arg;

	int fd;
	struct event *rev;
	struct event *settle;
	struct present *table;      /* USB_MAX_PRESENT */
	struct uevent ue;
	char msg[UEVENT_MAX_MSG + 1];

	struct ingest *ing;         /* the events' way into the spool */
	struct usb_report *report;  /* the events of the device being decided */
	uint64_t spoofed, blocked, lost, malformed;
};


static long long
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void
commit(struct usb_sensor *u, const char *what)
{
	int rc;

	if ((rc = spool_commit(u->spool)) != 0) {
		log_warnx(_("The spool cannot commit the USB events of %s: %s."), what,
		    vigil_strerror(rc));
		spool_rollback(u->spool);
		return;
	}
	if (u->appended != NULL)
		u->appended(u->arg);
}

/* Append a report's events in one spool transaction. */
static void
report_append(struct usb_sensor *u, const struct usb_report *r, const char *devpath)
{
	uint64_t seq = 0;
	int rc;

	if ((rc = spool_begin(u->spool)) != 0) {
		log_warnx(_("The spool cannot start a transaction for a USB event: %s."),
		    vigil_strerror(rc));
		return;
	}
	for (size_t i = 0; i < r->n; i++) {
		if ((rc = ingest_append(u->ing, &r->ev[i], &seq)) < 0) {
			spool_rollback(u->spool);
			return;
		}
		if (rc > 0)
			log_debug("USB event %s spooled as seq %llu: %s", r->ev[i].rule,
			    (unsigned long long)seq, r->ev[i].summary);
	}
	commit(u, devpath);
}

/*
 * The decision on one device, its block, and its events. gone: it left
 * before its interfaces settled; it is reported, not blocked.
 */
static void
settle(struct usb_sensor *u, struct present *p, bool gone)
{
	const struct usb_device *d = &p->d;
	struct usb_class c;
	struct usb_verdict v;
	const char *badusb;
	char failure[128] = "";
	bool blocked = false, failed = false;

	p->pending = false;
	usb_classify(d, &c);
	usb_decide(&u->rules, d, &c, &v);

	/* Block first: every millisecond counts before the disk is there. */
	if (v.action == USB_ACT_BLOCK && !gone) {
		if (usb_sysfs_deauthorize(u->root, d->devpath) == 0) {
			blocked = true;
			u->blocked++;
		} else {
			failed = true;
			snprintf(failure, sizeof(failure), "%s", strerror(errno));
		}
	}
	usb_report_inserted(u->report, d, &c, &v, u->rules.policy, blocked,
	    failed ? failure : NULL);
	badusb = _("; it presents storage and keyboard interfaces (BadUSB pattern).");

	if (failed)
		log_info(_("USB %s %s inserted at %s: %s; NOT blocked: %s%s"), usb_kind_phrase(c.kind),
		    u->report->id, d->devpath, _(v.reason), failure, c.badusb ? badusb : ".");
	else
		log_info(_("USB %s %s inserted at %s: %s; %s%s"), usb_kind_phrase(c.kind),
		    u->report->id, d->devpath, _(v.reason), blocked ? _("blocked") :
		    v.action == USB_ACT_SPARE ? _("spared") : _("allowed"),
		    c.badusb ? badusb : ".");
	report_append(u, u->report, d->devpath);
}

static struct present *
find(struct usb_sensor *u, const char *devpath)
{
	size_t i;

	for (i = 0; i < USB_MAX_PRESENT; i++)
		if (u->table[i].used && strcmp(u->table[i].d.devpath, devpath) == 0)
			return &u->table[i];
	return NULL;
}

static struct present *
slot_new(struct usb_sensor *u)
{
	size_t i;

	for (i = 0; i < USB_MAX_PRESENT; i++) {
		if (!u->table[i].used) {
			memset(&u->table[i], 0, sizeof(u->table[i]));
			u->table[i].used = true;
			return &u->table[i];
		}
	}
	return NULL;
}

static bool
ifaces_complete(const struct usb_device *d)
{
	/* -1: no bNumInterfaces file at all (a sparse tree); take what is there. */
	return d->num_ifaces < 0 || (d->num_ifaces > 0 && d->nifaces >= (size_t)d->num_ifaces);
}

static void
arm_settle(struct usb_sensor *u)
{
	struct timeval tv = { USB_SETTLE_MS / 1000, (USB_SETTLE_MS % 1000) * 1000 };

	if (!evtimer_pending(u->settle, NULL))
		evtimer_add(u->settle, &tv);
}

/* Identity from the uevent alone, when sysfs has nothing (the device is gone). */
static void
from_uevent(const struct uevent *ue, struct usb_device *d)
{
	const char *s;

	memset(d, 0, sizeof(*d));
	d->device_class = -1;
	d->num_ifaces = -1;
	d->authorized = -1;
	snprintf(d->devpath, sizeof(d->devpath), "%s", ue->devpath);
	uevent_product(uevent_get(ue, "PRODUCT"), d->vendor, d->product);
	if ((s = uevent_get(ue, "BUSNUM")) != NULL)
		text_utf8_clean(d->busnum, sizeof(d->busnum), s, strnlen(s, 7));
	if ((s = uevent_get(ue, "DEVNUM")) != NULL)
		text_utf8_clean(d->devnum, sizeof(d->devnum), s, strnlen(s, 7));
}

static void
device_added(struct usb_sensor *u, const struct uevent *ue)
{
	struct present *p, tmp;
	int rc;

	if ((p = find(u, ue->devpath)) == NULL && (p = slot_new(u)) == NULL) {
		log_warnx(_("More than %d USB devices are present; %s is decided but its removal "
		    "will be reported without its identity."), USB_MAX_PRESENT, ue->devpath);
		memset(&tmp, 0, sizeof(tmp));
		p = &tmp;
	}
	p->since_ms = mono_ms();
	rc = usb_sysfs_read(u->root, ue->devpath, &p->d);
	if (rc == VIGIL_ERR_NOTFOUND || rc == VIGIL_ERR_SYS) {
		log_debug("The sysfs directory of USB device %s cannot be read (%s); its uevent "
		    "alone identifies it.", ue->devpath, strerror(errno));
		from_uevent(ue, &p->d);
		settle(u, p, rc == VIGIL_ERR_NOTFOUND);
	} else if (rc == 0 && !ifaces_complete(&p->d) && p != &tmp) {
		if (p->d.num_ifaces == 0)
			log_info(_("USB device %s is not configured yet; it is decided when its "
			    "interfaces arrive."), ue->devpath);
		else
			log_info(_("USB device %s has %zu of %d interfaces; it is decided when the "
			    "rest arrive."), ue->devpath, p->d.nifaces, p->d.num_ifaces);
		p->pending = true;
		arm_settle(u);
	} else
		settle(u, p, false);
}

/* A pending device looks again: settle it when its interfaces are all there. */
static void
recheck(struct usb_sensor *u, struct present *p, bool force)
{
	struct usb_device d;

	if (usb_sysfs_read(u->root, p->d.devpath, &d) == 0)
		p->d = d;
	if (force || ifaces_complete(&p->d))
		settle(u, p, false);
}

static void
settle_cb(evutil_socket_t fd, short what, void *arg)
{
	struct usb_sensor *u = arg;
	long long now = mono_ms();
	bool left = false;
	size_t i;

	for (i = 0; i < USB_MAX_PRESENT; i++) {
		struct present *p = &u->table[i];

		if (!p->used || !p->pending)
			continue;
		if (now - p->since_ms >= USB_SETTLE_MS - 10)
			recheck(u, p, true);
		else
			left = true;
	}
	if (left)
		arm_settle(u);
}

static void
device_removed(struct usb_sensor *u, const struct uevent *ue)
{
	struct present *p = find(u, ue->devpath);
	struct usb_device d;
	struct usb_class c;

	if (p != NULL && p->pending)
		settle(u, p, true);
	if (p != NULL)
		d = p->d;
	else
		from_uevent(ue, &d);
	if (p != NULL)
		p->used = false;
	usb_classify(&d, &c);
	usb_report_removed(u->report, &d, &c);
	log_info(_("USB %s %s removed from %s."), usb_kind_phrase(c.kind), u->report->id, d.devpath);
	report_append(u, u->report, d.devpath);
}

static void
handle(struct usb_sensor *u, const struct uevent *ue)
{
	struct present *p;
	char parent[UEVENT_MAX_DEVPATH], *slash;

	if (strcmp(ue->subsystem, "usb") != 0 || ue->devtype == NULL)
		return;
	if (strcmp(ue->devtype, "usb_device") == 0) {
		if (strcmp(ue->action, "add") == 0)
			device_added(u, ue);
		else if (strcmp(ue->action, "remove") == 0)
			device_removed(u, ue);
		else if (strcmp(ue->action, "bind") == 0 && (p = find(u, ue->devpath)) != NULL &&
		    p->pending)
			/* The generic driver has set the configuration: every interface exists. */
			recheck(u, p, true);
		return;
	}
	if (strcmp(ue->devtype, "usb_interface") == 0 && (strcmp(ue->action, "add") == 0 ||
	    strcmp(ue->action, "bind") == 0)) {
		snprintf(parent, sizeof(parent), "%s", ue->devpath);
		if ((slash = strrchr(parent, '/')) == NULL || slash == parent)
			return;
		*slash = '\0';
		if ((p = find(u, parent)) != NULL && p->pending)
			recheck(u, p, false);
	}
}

static void
resync(struct usb_sensor *u);

static void
spoofed(struct usb_sensor *u, const char *why, unsigned int port, long uid)
{
	u->spoofed++;
	/* The first few, then a reminder now and then: a flood must not flood the log too. */
	if (u->spoofed <= 10 || u->spoofed % 1000 == 0)
		log_warnx(_("A uevent %s (port id %u, uid %ld) was dropped: only the kernel's are "
		    "believed; %llu dropped so far."), why, port, uid,
		    (unsigned long long)u->spoofed);
}

static void
read_cb(evutil_socket_t fd, short what, void *arg)
{
	struct usb_sensor *u = arg;
	union {
		struct cmsghdr h;
		char buf[CMSG_SPACE(sizeof(struct ucred))];
	} cbuf;
	struct sockaddr_nl sa;
	struct iovec iov;
	struct msghdr mh;
	struct cmsghdr *cm;
	const struct ucred *cred;
	ssize_t n;
	int i, rc;

	for (i = 0; i < USB_RECV_BATCH; i++) {
		memset(&sa, 0, sizeof(sa));
		memset(&mh, 0, sizeof(mh));
		iov.iov_base = u->msg;
		iov.iov_len = sizeof(u->msg);
		mh.msg_name = &sa;
		mh.msg_namelen = sizeof(sa);
		mh.msg_iov = &iov;
		mh.msg_iovlen = 1;
		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		if ((n = recvmsg(u->fd, &mh, MSG_DONTWAIT)) < 0) {
			if (errno == EINTR)
				continue;
			if (errno == ENOBUFS) {
				u->lost++;
				log_warnx(_("The kernel dropped uevents (the socket overran); "
				    "the USB devices present are read again from sysfs."));
				resync(u);
				continue;
			}
			if (errno != EAGAIN)
				log_warn(_("Reading a uevent failed"));
			return;
		}
		cred = NULL;
		for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
			if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_CREDENTIALS &&
			    cm->cmsg_len >= CMSG_LEN(sizeof(struct ucred)))
				cred = (const struct ucred *)(const void *)CMSG_DATA(cm);
		if (mh.msg_namelen < sizeof(sa) || sa.nl_family != AF_NETLINK) {
			spoofed(u, "without a netlink address", 0, -1);
			continue;
		}
		if (cred == NULL || cred->uid != 0) {
			spoofed(u, "not from root", sa.nl_pid,
			    cred != NULL ? (long)cred->uid : -1);
			continue;
		}
		if (sa.nl_pid != 0) {
			if (!u->test_sender) {
				spoofed(u, "from a process, not the kernel", sa.nl_pid,
				    (long)cred->uid);
				continue;
			}
			log_debug("A uevent from port id %u is believed (accept_test_sender).",
			    sa.nl_pid);
		}
		if ((mh.msg_flags & MSG_TRUNC) || (size_t)n > UEVENT_MAX_MSG) {
			u->malformed++;
			log_warnx(_("A uevent longer than %d bytes was dropped."), UEVENT_MAX_MSG);
			continue;
		}
		if ((rc = uevent_parse(u->msg, (size_t)n, &u->ue)) != 0) {
			if (rc != VIGIL_ERR_PROTO) {
				u->malformed++;
				log_debug("A malformed uevent was dropped: %s.",
				    vigil_strerror(rc));
			}
			continue;
		}
		handle(u, &u->ue);
	}
	/* More may be waiting: let the loop run others first, then come back. */
	event_active(u->rev, EV_READ, 0);
}

/*
 * Devices present when we start (or after an overrun): remembered so their
 * removal has an identity. At start nothing is reported; after an overrun
 * the differences are reported as if their uevents had arrived.
 */
static void
learn_present(struct usb_sensor *u, bool report)
{
	struct usb_device *devs;
	struct uevent *fake;
	struct present *p;
	struct usb_class c;
	struct usb_verdict v;
	size_t i;
	char entries[64];
	int n;

	if ((devs = calloc(USB_MAX_PRESENT, sizeof(*devs))) == NULL)
		return;
	if ((n = usb_sysfs_scan(u->root, devs, USB_MAX_PRESENT)) < 0) {
		log_warn(_("The USB devices under %s/bus/usb/devices cannot be listed"), u->root);
		free(devs);
		return;
	}
	if (report && (fake = calloc(1, sizeof(*fake))) != NULL) {
		for (i = 0; i < USB_MAX_PRESENT; i++) {
			int j, still = 0;

			if (!u->table[i].used)
				continue;
			for (j = 0; j < n && !still; j++)
				still = strcmp(devs[j].devpath, u->table[i].d.devpath) == 0;
			if (!still) {
				snprintf(fake->buf, sizeof(fake->buf), "%s", u->table[i].d.devpath);
				fake->devpath = fake->buf;
				device_removed(u, fake);
			}
		}
		free(fake);
	}
	for (i = 0; i < (size_t)n; i++) {
		if (find(u, devs[i].devpath) != NULL)
			continue;
		if ((p = slot_new(u)) == NULL)
			break;
		p->d = devs[i];
		if (report) {
			settle(u, p, false);
			continue;
		}
		/*
		 * A stick plugged in while the agent was stopped is judged now; one
		 * already deauthorized (by us before a restart) is left as it is.
		 */
		usb_classify(&p->d, &c);
		usb_decide(&u->rules, &p->d, &c, &v);
		if (v.action == USB_ACT_BLOCK && p->d.authorized != 0)
			settle(u, p, false);
	}
	if (!report) {
		snprintf(entries, sizeof(entries), i18n_ntext("%zu allow-list entry",
		    "%zu allow-list entries", u->rules.nallow), u->rules.nallow);
		log_info(i18n_ntext("USB sensor: %d device present under %s; policy %s, %s.",
		    "USB sensor: %d devices present under %s; policy %s, %s.", (unsigned long)n), n,
		    u->root, usb_policy_name(u->rules.policy), entries);
	}
	free(devs);
}

static void
resync(struct usb_sensor *u)
{
	learn_present(u, true);
}

struct usb_sensor *
usb_new(struct event_base *base, struct spool *spool, const struct usb_opts *o, char *err,
    size_t errlen)
{
	struct sockaddr_nl sa;
	struct usb_sensor *u;
	int one = 1, bufsz = USB_RCVBUF;
	char why[256];

	if ((u = calloc(1, sizeof(*u))) == NULL ||
	    (u->table = calloc(USB_MAX_PRESENT, sizeof(*u->table))) == NULL ||
	    (u->allow = calloc(USB_MAX_ALLOW, sizeof(*u->allow))) == NULL ||
	    (u->report = calloc(1, sizeof(*u->report))) == NULL ||
	    (u->ing = ingest_new(spool, NULL)) == NULL) {
		snprintf(err, errlen, _("out of memory"));
		goto fail;
	}
	u->fd = -1;
	u->base = base;
	u->spool = spool;
	u->appended = o->appended;
	u->arg = o->arg;
	u->test_sender = o->accept_test_sender;
	snprintf(u->root, sizeof(u->root), "%s", o->sysfs_root);
	u->rules.policy = o->policy;
	u->rules.block_hid = o->block_hid;
	u->rules.allow = u->allow;
	if (usb_allow_parse(o->allow != NULL ? o->allow : "", u->allow, USB_MAX_ALLOW,
	    &u->rules.nallow, why, sizeof(why)) != 0) {
		snprintf(err, errlen, "%s", why);
		goto fail;
	}

	if ((u->fd = socket(AF_NETLINK, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    NETLINK_KOBJECT_UEVENT)) < 0) {
		snprintf(err, errlen, _("the uevent socket cannot be opened: %s"), strerror(errno));
		goto fail;
	}
	memset(&sa, 0, sizeof(sa));
	sa.nl_family = AF_NETLINK;
	sa.nl_groups = 1;     /* the kernel's uevents; group 2 is libudev's */
	if (bind(u->fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
		snprintf(err, errlen, _("the uevent socket cannot join the kernel's group: %s"),
		    strerror(errno));
		goto fail;
	}
	if (setsockopt(u->fd, SOL_SOCKET, SO_PASSCRED, &one, sizeof(one)) != 0) {
		snprintf(err, errlen, _("SO_PASSCRED cannot be set on the uevent socket: %s"),
		    strerror(errno));
		goto fail;
	}
	/* A burst of hot-plugs must not overrun us; FORCE passes rmem_max as root. */
	if (setsockopt(u->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bufsz, sizeof(bufsz)) != 0)
		(void)setsockopt(u->fd, SOL_SOCKET, SO_RCVBUF, &bufsz, sizeof(bufsz));

	if ((u->rev = event_new(base, u->fd, EV_READ | EV_PERSIST, read_cb, u)) == NULL ||
	    (u->settle = evtimer_new(base, settle_cb, u)) == NULL || event_add(u->rev, NULL) != 0) {
		snprintf(err, errlen, _("the uevent socket cannot join the event loop"));
		goto fail;
	}
	if (u->test_sender)
		log_warnx(_("USB sensor: accept_test_sender is on: uevents from any local root "
		    "process are believed. This is for tests only; never on a real machine."));
	learn_present(u, false);
	return u;
fail:
	usb_free(u);
	return NULL;
}

void
usb_free(struct usb_sensor *u)
{
	if (u == NULL)
		return;
	if (u->rev != NULL)
		event_free(u->rev);
	if (u->settle != NULL)
		event_free(u->settle);
	if (u->fd >= 0)
		close(u->fd);
	free(u->table);
	free(u->allow);
	free(u->report);
	ingest_free(u->ing);
	free(u);
}

uint64_t
usb_dropped_spoofed(const struct usb_sensor *u)
{
	return u->spoofed;
}

uint64_t
usb_blocked_count(const struct usb_sensor *u)
{
	return u->blocked;
}

uint64_t
usb_lost(const struct usb_sensor *u)
{
	return u->lost;
}

uint64_t
usb_events_rejected(const struct usb_sensor *u)
{
	return ingest_rejected(u->ing);
}

/* ---- the [usb] sensor -------------------------------------------------------- */

/* The sensor and what keeps the posture's count of blocks current. */
struct usb_driver {
	struct usb_sensor *u;
	struct posture *p;
	void (*appended)(void *arg);
	void *arg;
};

static int
usb_check(const char *path, const struct agent_conf *conf, char *err, size_t errlen)
{
	const struct agent_conf_usb *u = &conf->usb;
	struct usb_allow *allow;
	enum usb_policy p;
	char why[256];
	size_t n;
	int rc;

	if (usb_policy_parse(u->policy, &p) != 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "usb", NULL,
		    "policy"), _("policy \"%.32s\" is not off, alert or block"), u->policy);
	if ((allow = calloc(USB_MAX_ALLOW, sizeof(*allow))) == NULL)
		return err_at(err, errlen, VIGIL_ERR_NOMEM, path, 0, "%s", _("out of memory"));
	rc = usb_allow_parse(u->allow, allow, USB_MAX_ALLOW, &n, why, sizeof(why));
	free(allow);
	if (rc != 0)
		return err_at(err, errlen, VIGIL_ERR_CONFIG, path, agent_conf_line(path, "usb", NULL,
		    "allow"), "%s", why);
	return 0;
}

/* A block is an event: the posture's count follows every commit. */
static void
usb_appended(void *arg)
{
	struct usb_driver *d = arg;

	d->appended(d->arg);
	if (d->u != NULL)
		posture_set_usb_blocked(d->p, (uint32_t)usb_blocked_count(d->u));
}

static void *
usb_start(const struct sensor_env *env, char *err, size_t errlen)
{
	const struct agent_conf_usb *c = &env->conf->usb;
	struct usb_driver *d;
	struct usb_opts uso;
	enum usb_policy pol = USB_POLICY_ALERT;

	if (!c->enabled)
		return NULL;
	if ((d = calloc(1, sizeof(*d))) == NULL) {
		snprintf(err, errlen, "%s", _("out of memory"));
		return NULL;
	}
	d->p = env->posture;
	d->appended = env->appended;
	d->arg = env->arg;
	(void)usb_policy_parse(c->policy, &pol);   /* checked by usb_check */
	memset(&uso, 0, sizeof(uso));
	uso.sysfs_root = c->sysfs_root;
	uso.policy = pol;
	uso.block_hid = c->block_hid != 0;
	uso.allow = c->allow;
	uso.accept_test_sender = c->insecure_accept_test_sender != 0;
	uso.appended = usb_appended;
	uso.arg = d;
	if ((d->u = usb_new(env->base, env->spool, &uso, err, errlen)) == NULL) {
		free(d);
		return NULL;
	}
	/*
	 * A running sensor reports its part of the posture at once, so the
	 * heartbeat carries posture and counters (spoofed and lost uevents)
	 * from the start, not only after the first block.
	 */
	posture_set_usb_blocked(d->p, (uint32_t)usb_blocked_count(d->u));
	return d;
}

static void
usb_stop(void *state)
{
	struct usb_driver *d = state;

	usb_free(d->u);
	free(d);
}

static void
usb_count(const void *state, struct sensor_counters *c)
{
	const struct usb_driver *d = state;

	c->uevents_spoofed += usb_dropped_spoofed(d->u);
	c->uevents_lost += usb_lost(d->u);
	c->events_rejected += usb_events_rejected(d->u);
}

const struct sensor_driver sensor_usb = {
	.name = "usb",
	.check = usb_check,
	.failure = N_("The USB sensor cannot start"),
	.start = usb_start,
	.stop = usb_stop,
	.count = usb_count,
};
