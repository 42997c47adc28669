/*
 * What the renderer's own files share: running LibreOffice (soffice.c) and
 * the process's limits (limits.c). Not a library interface: the collector
 * talks to the renderer through its command line (README, "Reports").
 */
#ifndef VIGIL_REPORT_RENDER_H
#define VIGIL_REPORT_RENDER_H

#include <stddef.h>
#include <sys/types.h>

#include "vigil/buf.h"

/* The renderer's exit codes. */
enum render_exit {
	RENDER_OK = 0,
	RENDER_EDATA = 1,     /* the data is not valid JSON, or a field is missing or wrong */
	RENDER_EUSAGE = 2,    /* wrong arguments */
	RENDER_ETEMPLATE = 3, /* the template cannot be found, read or understood */
	RENDER_ELIMIT = 4,    /* a limit was reached: size, time or memory */
	RENDER_EPDF = 5,      /* LibreOffice is missing or failed */
	RENDER_EOUTPUT = 6,   /* the output cannot be written */
};

struct limits {
	unsigned seconds;        /* wall clock and CPU time of the whole run */
	unsigned long memory_mb; /* address space, LibreOffice included */
	unsigned long output_mb; /* the largest file written */
};

/*
 * Cap this process (and what it starts): RLIMIT_AS, RLIMIT_CPU, RLIMIT_FSIZE,
 * no core files, and an alarm after l->seconds that stops LibreOffice's
 * process group and exits with RENDER_ELIMIT. SIGTERM and SIGINT stop
 * LibreOffice too before the renderer dies of them.
 */
int limits_apply(const struct limits *l, char *err, size_t errlen);

/*
 * What to kill when a limit is reached or the renderer is stopped: a process
 * (pid > 0), a process group (pid < 0: -pgid), or nothing (0).
 */
void limits_watch(pid_t pid);

/*
 * Convert a DOCX to PDF with LibreOffice (soffice, headless) in a private
 * temporary directory with a private profile (or profile, when not NULL, a
 * directory the caller keeps to save LibreOffice's first start of about a
 * second). When soffice is the launcher script, the program beside it
 * (soffice.bin) is run directly, so that it is this process's own child and
 * dies with it. Stops it after timeout_s seconds. Returns 0,
 * VIGIL_ERR_NOTFOUND (no soffice), VIGIL_ERR_TOOBIG (timed out, or the PDF
 * over pdf's cap) or VIGIL_ERR_SYS with err saying what LibreOffice said.
 */
int soffice_pdf(const char *soffice, const char *profile, const void *docx, size_t len,
                unsigned timeout_s, struct buf *pdf, char *err, size_t errlen);

#endif
