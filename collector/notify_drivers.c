/*
 * The notification channels, by enum notify_channel (the values escalation
 * uses). A new channel is a file defining its struct notify_driver and a
 * line here; the dispatcher (notify.c) names none.
 */
#include <stddef.h>

#include "notify.h"

const struct notify_driver *const notify_drivers[NOTIFY_CHANNEL_COUNT] = {
	[NOTIFY_EMAIL] = &notify_email,         /* SMTP through libcurl */
	[NOTIFY_WEBHOOK] = &notify_webhook,     /* HTTPS POST through libcurl */
	[NOTIFY_EXEC] = &notify_exec,           /* a command, no shell */
	[NOTIFY_SMS] = &notify_sms,             /* a file in gammu-smsd's outbox */
};
