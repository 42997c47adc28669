/*
 * The control protocol between vigilctl and vigil-collector, over a Unix
 * stream socket. The daemon learns the caller from SO_PEERCRED.
 *
 * Request: one line of at most CTL_MAX_REQUEST bytes, fields separated by a
 * TAB, ending in "\n": the command, then key=value arguments:
 *
 *   status
 *   agents
 *   events    [since=UNIX_US] [until=UNIX_US] [agent=ID] [category=NAME]
 *             [severity=NAME (this or higher)] [limit=N (default 100, max 100000)]
 *   incidents [status=open|all]
 *   incident  id=N
 *
 * Response: one JSON object per line, then the daemon closes the connection.
 * A failure is a single line {"error":"sentence"}. Field names are stable:
 *
 *   status:    {"version","pid","uptime_s","agents_known","agents_connected",
 *               "events_stored","incidents_open","counters":{name:number,...}}
 *   agents:    {"agent","hostname","unit","version","address","first_seen",
 *               "last_seen","last_seq","connected"}
 *   events:    {"agent","seq","time","received","source","category","severity",
 *               "rule","summary","raw","fields":{key:value,...}}   (oldest first)
 *   incidents: {"id","agent","rule","category","severity","status","title",
 *               "first_seen","last_seen","events"}
 *   incident:  the incident object, then one events object per linked event
 *
 * Times are RFC 3339 UTC strings; category and severity are names
 * (names.h). Strings are escaped per JSON; vigilctl escapes control
 * characters again when it prints tables.
 */
#ifndef VIGIL_CTL_H
#define VIGIL_CTL_H

#define CTL_SOCKET_DEFAULT "/run/vigil/control.sock"
#define CTL_MAX_REQUEST 4096
#define CTL_MAX_LIMIT 100000

#endif
