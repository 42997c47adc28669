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
 *   incidents [status=open|all|STATUS] [severity=NAME (or higher)] [category=NAME]
 *             [unit=U] [host=AGENT|HOSTNAME] [assignee=USER] [mine=1] [kind=KIND]
 *             [limit=N]
 *   incident  id=N
 *   incident-action id=N action=ack|assign|note|resolve|reopen|escalate
 *             [user=USER (assign)] [text=TEXT (note)] [resolution=R (resolve)]
 *             [level=N (escalate)]                             (operators only)
 *   audit-verify
 *   escalation-test category=NAME severity=NAME [unit=U] [host=H]
 *   compliance [unit=U]
 *   report-fill id=N field=F value=V                          (operators only)
 *   report-data id=N form=notice|initial|closing|breach
 *   report-reportable id=N [kinds=notice,initial,closing,breach] (operators only)
 *   report-submitted id=N kind=K to=WHOM ref=REFERENCE          (operators only)
 *   report-summary period=P [unit=U] [format=pdf|html|csv|docx]
 *   enroll-create unit=U [uses=N (default 1)] [expires=SECONDS (default 72 h)]  (admin)
 *   enroll-list                                                  (operators)
 *   enroll-cancel id=N                                           (admin)
 *   agent-revoke agent=ID reason=TEXT                            (admin)
 *   agent-retire agent=ID                                        (admin)
 *   pki-rotate [overlap=SECONDS (default 30 days)]               (admin)
 *   pki-rotate-status                                            (operators)
 *   pki-rotate-finish [force=1]                                  (admin)
 *   inventory-set unit=U count=N                                 (operators)
 *   inventory-pc unit=U name=PC [mac=M] [first=1 (the list is replaced)]  (operators)
 *   inventory-ignore mac=M [note=TEXT] [undo=1] (a MAC that is not a PC)  (operators)
 *   inventory-ignored                                            (viewers)
 *   backup dir=DIR (absolute, new)                               (admin)
 *   agent-reenroll agent=ID (a one-use token for ID's unit)      (admin)
 *
 * Any request may also carry zone=1: the answer then begins with
 * {"type":"zone","timezone":"Asia/Ho_Chi_Minh","utc_offset_min":420}, the
 * zone times are shown in to people (status says the same two members).
 *
 * Roles (collector/roles.h): root and the collector's own user may do
 * everything; members of operators_group may also run incident-action;
 * members of viewers_group may run the rest; anyone else is refused.
 *
 * Response: one JSON object per line, then the daemon closes the connection.
 * A failure is a single line {"error":"sentence"}. Field names are stable:
 *
 *   status:    {"version","pid","uptime_s","agents_known","agents_connected",
 *               "events_stored","incidents_open","counters":{name:number,...}}
 *   agents:    {"agent","hostname","unit","version","address","first_seen",
 *               "last_seen","last_seq","connected","av","signatures_age_days",
 *               "security_updates","reboot_required","compliant",
 *               once it has sent a posture also the agent's counters: "spool_depth",
 *               "dropped","lines_truncated","events_rejected","rule_evictions",
 *               "uevents_spoofed","uevents_lost"}
 *               (av: "ClamAV running|stopped|state unknown", "none", or null
 *               with no posture; the next three null when unknown)
 *   events:    {"agent","seq","time","received","source","category","severity",
 *               "rule","summary","raw","fields":{key:value,...}}   (oldest first)
 *   incidents: {"id","agent","rule","category","severity","status","title",
 *               "first_seen","last_seen","events","kind","unit","assignee",
 *               "resolution","opened","acknowledged","resolved"}; open ones first,
 *               by severity (highest first), then age
 *   incident:  the incident object, then its timeline, each line with a "type":
 *               event {"agent","seq","time",... as in events},
 *               notification {"notification","time","due","level","repeat",
 *               "manual","route","contact","channel","target","status",
 *               "attempts","done"}, each followed by its attempts
 *               {"notification","attempt","time","finished","ok","failure",
 *               "code","reason","next"}, then every action {"audit","time",
 *               "actor","action","detail"}, and for a correlation
 *               {"type":"machines","agents":"pc-01, pc-02"}
 *   incident-action: the incident object after the action; for escalate,
 *               then one {"type":"notified","level","route","contact","name",
 *               "channels"} per contact that level notifies
 *
 * A refusal of a request that is itself wrong (a bad value, an unknown
 * argument, a level no chain has) is {"error":"sentence","kind":"usage"}:
 * vigilctl exits 2 for it, as for a mistake it notices itself.
 *   audit-verify: {"ok","records","last_id","head"} and, when broken,
 *               {"fault_id","fault"} (a sentence naming the record)
 *   escalation-test: {"type":"text","text"}: escalate_explain()'s lines; then
 *               one {"type":"step","after_s","at","route","level","repeat",
 *               "contact","name","channel","address"} per notification it
 *               would send (level 0: at once), then {"type":"summary","routes",
 *               "steps","truncated"}
 *   compliance: one line per unit {"type":"unit","unit","machines","compliant",
 *               "percent","target":100}, then one line per non-compliant machine
 *               {"type":"machine","agent","unit","hostname","reasons"}; reasons is one string,
 *               the short sentences joined with "; " (the JSON has no arrays).
 *               percent is rounded, but 100 only when every machine complies.
 *   report-fill: {"id","field","value"}; audited as "report-fill"
 *   report-data: {"id","form","template","templates","shipped","renderer",
 *               "data"}: data is the report's data document (JSON, as a
 *               string), which vigilctl hands to the renderer it runs
 *   report-reportable, report-submitted: the incident's deadlines, one line
 *               each {"type":"deadline","id","kind","time","start","due",
 *               "near","state","provisional","uncovered","created_by",
 *               "submitted","submitted_by","submitted_to","reference"};
 *               incident show adds the same lines, and incidents the first
 *               pending one as "deadline", "deadline_due", "deadline_state"
 *   report-summary: {"form","template","templates","shipped","renderer",
 *               "data"}, as report-data, for the periodic summary
 *
 *   enroll-create: {"id","token","unit","unit_id","uses","expires","enroll_port"}
 *               (the token is shown here once; the collector keeps its hash)
 *   enroll-list: {"id","unit","uses","uses_max","created","expires","state",
 *               "created_by"}, newest first; state valid|used|expired|cancelled
 *   enroll-cancel: {"id","state"}
 *   agent-revoke, agent-retire: {"agent","state","sessions_closed"}
 *   pki-rotate, pki-rotate-status: {"state" (rotating|none),"started","overlap_end",
 *               "overlap_over","agents_old_ca","agents_new_ca","agents_with_bundle",
 *               "agents_untracked","bundles_pushed"}; pki-rotate-finish: {"state","ca"}
 *   inventory-set: {"unit","declared"}; inventory-pc: {"unit","name"}
 *   backup:    {"dir","database","bytes","ca","cert","key","ca_key"} (the PKI
 *               files for vigilctl to copy beside the database)
 *   compliance, for a unit with an inventory: the unit line also has
 *               "declared", and percent is compliant / declared (a list: only
 *               its PCs count as compliant); then {"agent":"","unit","hostname",
 *               "reasons":"not enrolled"} per declared PC with no agent (a count:
 *               one line, hostname "", reasons "N declared PCs have no agent (not
 *               enrolled)"), and each agent not in the list, "not in the inventory"
 *   compliance, last (issue 15): {"type":"unknown_host","mac","ip","ifname",
 *               "first_seen","last_seen","seen_by","seen_by_host","unit",
 *               "local_mac"} per host seen on the network with no agent, not
 *               declared and not marked not a PC (at most 1000), then
 *               {"type":"unknown_hosts","count","listed"} (none: no such line)
 *   inventory-ignore: {"mac","state"}; inventory-ignored: {"mac","note","set","by"} each
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

/*
 * The roles of the control socket (collector/roles.h says who has which),
 * lowest first: a request is served to a caller of at least its role.
 */
enum ctl_role {
	CTL_ROLE_NONE = 0,
	CTL_ROLE_VIEWER,
	CTL_ROLE_OPERATOR,
	CTL_ROLE_ADMIN,
};

/*
 * The protocol's requests and the role each needs: the one place it is
 * written. The collector checks a caller against it (control.c) and vigilctl
 * says in each command's --help what it needs (vigilctl.c's command table
 * names the request a command sends).
 */
struct ctl_request_def {
	const char *name;              /* "incident-action" */
	enum ctl_role need;
};

/* The request called name, or NULL. */
const struct ctl_request_def *ctl_request_find(const char *name);
/* "viewer", "operator", "admin"; "none". */
const char *ctl_role_name(enum ctl_role r);

#endif
