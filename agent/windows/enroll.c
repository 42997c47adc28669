/*
 * vigil-agent.exe [-f FILE] --enroll HOST[:PORT] --token T: Windows' part of
 * enroll_main() (agent/enroll.c, the portable command), and the writer of a
 * renewed key and certificate (agent_set_identity_writer()).
 *
 * The key is created with its access list in the same call (the security
 * attributes of CreateFileW): full control to SYSTEM and Administrators,
 * nothing inherited, nobody else, from the first byte. Setting it after the
 * file exists would leave a moment in which the folder's list, or a
 * careless one, lets another account open it. A renewed key is written the
 * same way to KEY.new and moved over the old one (a move keeps the moved
 * file's list). The certificate and the CA are public: they take the
 * folder's list, the CA bundle of a rotation (win_save_ca) too.
 *
 * The machine's id is HKLM\SOFTWARE\Microsoft\Cryptography\MachineGuid,
 * read from the 64-bit view (a 32-bit exe on 64-bit Windows would otherwise
 * read WOW6432Node, which lacks it), sent as its SHA-256 hex. Windows sets it
 * at setup; a disk image cloned without sysprep keeps it, so clones share it.
 */
#include <winsock2.h>
#include <windows.h>
#include <sddl.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "vigil/enroll.h"
#include "vigil/i18n.h"
#include "vigil/log.h"
#include "../agent.h"
#include "../enroll.h"
#include "winagent.h"
#include "../../common/windows/utf16.h"

#define KEY_SDDL L"D:P(A;;FA;;;SY)(A;;FA;;;BA)"
#define GUID_KEY L"SOFTWARE\\Microsoft\\Cryptography"
#define GUID_NAME "HKLM\\SOFTWARE\\Microsoft\\Cryptography\\MachineGuid"
#define STATE_KEY L"SOFTWARE\\Microsoft\\Windows\\CurrentVersion\\Setup\\State"

static void
win_err(char *err, size_t errlen, const char *what, DWORD e)
{
	snprintf(err, errlen, _("%s failed (Windows error %lu)"), what, (unsigned long)e);
}

/*
 * Create path (never over an existing file) with data; the key's access
 * list when key, else the folder's; flushed to the disk. 0, or -1 with err.
 */
static int
create_file(const wchar_t *path, const char *data, size_t len, int key, char *err,
    size_t errlen)
{
	SECURITY_ATTRIBUTES sa = { sizeof(sa), NULL, FALSE };
	PSECURITY_DESCRIPTOR sd = NULL;
	HANDLE h;
	DWORD n, e;
	int rc = -1;

	if (key && !ConvertStringSecurityDescriptorToSecurityDescriptorW(KEY_SDDL,
	    SDDL_REVISION_1, &sd, NULL)) {
		win_err(err, errlen, "ConvertStringSecurityDescriptorToSecurityDescriptorW",
		    GetLastError());
		return -1;
	}
	sa.lpSecurityDescriptor = sd;
	h = CreateFileW(path, GENERIC_WRITE, 0, key ? &sa : NULL, CREATE_NEW,
	    FILE_ATTRIBUTE_NORMAL, NULL);
	if (h == INVALID_HANDLE_VALUE) {
		win_err(err, errlen, "CreateFileW", GetLastError());
		goto out;
	}
	if (len > 0xffffffffu || !WriteFile(h, data, (DWORD)len, &n, NULL) || n != len ||
	    !FlushFileBuffers(h)) {
		e = GetLastError();
		CloseHandle(h);
		DeleteFileW(path);
		win_err(err, errlen, "WriteFile", e);
		goto out;
	}
	CloseHandle(h);
	rc = 0;
out:
	LocalFree(sd);
	return rc;
}

/*
 * path replaced by data, atomically: PATH.new created, then moved over it
 * (enroll_replace_fn; key: the key's list, else the folder's).
 */
static int
replace_file(const char *path, const char *data, size_t len, int key, char *err, size_t errlen)
{
	wchar_t *w = win_wide(path), *tmp = NULL;
	size_t n;
	int rc = -1;

	if (w == NULL || (tmp = calloc((n = wcslen(w) + 5), sizeof(*tmp))) == NULL) {
		snprintf(err, errlen, "%s", _("Out of memory."));
		goto out;
	}
	_snwprintf(tmp, n, L"%ls.new", w);
	/* A leftover would keep its own list: CREATE_NEW gives the new file ours. */
	DeleteFileW(tmp);
	if (create_file(tmp, data, len, key, err, errlen) != 0)
		goto out;
	if (!MoveFileExW(tmp, w, MOVEFILE_REPLACE_EXISTING | MOVEFILE_WRITE_THROUGH)) {
		win_err(err, errlen, "MoveFileExW", GetLastError());
		DeleteFileW(tmp);
		goto out;
	}
	rc = 0;
out:
	free(tmp);
	free(w);
	return rc;
}

static int
write_key(const char *path, const char *pem, size_t len, char *err, size_t errlen)
{
	wchar_t *w = win_wide(path);
	int rc;

	if (w == NULL) {
		snprintf(err, errlen, "%s", _("Out of memory."));
		return -1;
	}
	rc = create_file(w, pem, len, 1, err, errlen);
	free(w);
	return rc;
}

static int
write_public(const char *path, const char *pem, char *err, size_t errlen)
{
	return replace_file(path, pem, strlen(pem), 0, err, errlen);
}

int
win_file_exists(const char *path)
{
	wchar_t *w = win_wide(path);
	DWORD a;

	if (w == NULL)
		return 0;
	a = GetFileAttributesW(w);
	free(w);
	return a != INVALID_FILE_ATTRIBUTES;
}

static void
remove_file(const char *path)
{
	wchar_t *w = win_wide(path);

	if (w != NULL)
		DeleteFileW(w);
	free(w);
}

static void
hostname(char *buf, size_t cap)
{
	wchar_t w[256];
	DWORD n = sizeof(w) / sizeof(w[0]);
	char *u;

	snprintf(buf, cap, "pc");
	if (GetComputerNameExW(ComputerNameDnsHostname, w, &n) && n > 0 &&
	    (u = win_utf8(w)) != NULL) {
		snprintf(buf, cap, "%s", u);
		free(u);
	}
}

void
win_machine_id(char *hex, size_t cap)
{
	wchar_t w[128];
	DWORD type = 0, size = sizeof(w) - sizeof(w[0]);
	HKEY k;
	char *u = NULL;
	LONG rc;

	hex[0] = '\0';
	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, GUID_KEY, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &k);
	if (rc == ERROR_SUCCESS) {
		rc = RegQueryValueExW(k, L"MachineGuid", NULL, &type, (BYTE *)w, &size);
		RegCloseKey(k);
	}
	if (rc == ERROR_SUCCESS && type == REG_SZ) {
		w[size / sizeof(w[0])] = L'\0';
		u = win_utf8(w);
	}
	if (u == NULL || *u == '\0') {
		free(u);
		log_warnx(_("The machine id %s cannot be read; enrolling without it."), GUID_NAME);
		return;
	}
	enroll_machine_hash(u, hex, cap);
	free(u);
}

/*
 * Setup's ImageState (64-bit view): anything but IMAGE_STATE_COMPLETE is an
 * image being generalised or not yet specialised (enroll_image_pending()).
 * Absent (Windows before Vista, Wine): a machine started for real.
 */
static int
image(const char *idfile, char *why, size_t whylen)
{
	wchar_t w[128];
	DWORD type = 0, size = sizeof(w) - sizeof(w[0]);
	HKEY k;
	char *u = NULL;
	LONG rc;
	int pending;

	(void)idfile;
	rc = RegOpenKeyExW(HKEY_LOCAL_MACHINE, STATE_KEY, 0, KEY_QUERY_VALUE | KEY_WOW64_64KEY, &k);
	if (rc != ERROR_SUCCESS)
		return 0;
	rc = RegQueryValueExW(k, L"ImageState", NULL, &type, (BYTE *)w, &size);
	RegCloseKey(k);
	if (rc != ERROR_SUCCESS || type != REG_SZ)
		return 0;
	w[size / sizeof(w[0])] = L'\0';
	if ((u = win_utf8(w)) == NULL)
		return 0;
	pending = enroll_image_pending(&(struct enroll_image){ NULL, u }, why, whylen);
	free(u);
	return pending;
}

static volatile LONG stop_asked;

void
win_enroll_stop(void)
{
	InterlockedExchange(&stop_asked, 1);
}

/* A second at a time, so that a stop asked meanwhile is heard. */
static int
pause_s(unsigned sec)
{
	for (unsigned i = 0; i < sec && !InterlockedCompareExchange(&stop_asked, 0, 0); i++)
		Sleep(1000);
	return InterlockedCompareExchange(&stop_asked, 0, 0) != 0;
}

int
win_save_identity(void *arg, const char *key_path, const char *key_pem, size_t key_len,
    const char *cert_path, const char *cert_pem)
{
	(void)arg;
	return enroll_write_identity(replace_file, key_path, key_pem, key_len, cert_path,
	    cert_pem);
}

int
win_save_ca(void *arg, const char *ca_path, const char *pem)
{
	(void)arg;
	return enroll_write_ca(replace_file, ca_path, pem);
}

static void
platform(struct enroll_platform *p, const char *default_file)
{
	memset(p, 0, sizeof(*p));
	p->default_file = default_file;
	p->usage = N_("usage: vigil-agent.exe [-f FILE] --enroll HOST[:PORT] --token TOKEN "
	    "[--machine-id-file FILE]\n");
	p->load = win_load;
	p->exists = win_file_exists;
	p->hostname = hostname;
	p->machine_id = win_machine_id;
	p->write_key = write_key;
	p->write_public = write_public;
	p->remove = remove_file;
	p->image = image;
	p->pause = pause_s;
}

int
win_enroll_main(int argc, char *argv[], const char *default_file)
{
	struct enroll_platform p;

	platform(&p, default_file);
	return enroll_main(argc, argv, &p);
}

int
win_enroll_run(const char *file, const char *target, const char *token)
{
	struct enroll_platform p;

	platform(&p, file);
	return enroll_run(&p, file, target, token, NULL);
}

int
win_enroll_deferred(const char *file)
{
	struct enroll_platform p;

	platform(&p, file);
	return enroll_deferred(&p, file);
}
