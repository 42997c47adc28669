/*
 * Protocol v1 messages: limits and validation. Every message from outside
 * goes through wire_validate() before anything else looks at it.
 */
#ifndef VIGIL_WIRE_H
#define VIGIL_WIRE_H

#include <stddef.h>
#include <stdint.h>

#include "vigil.pb-c.h"

#define WIRE_PROTO_MAJOR 1
/* 1: Goodbye (agent) and Welcome.proto_minor (collector). 2: CA rotation (CaBundle). */
#define WIRE_PROTO_MINOR 2
/* The first minor version whose agent takes a CaBundle frame (issue 15, CA rotation). */
#define WIRE_MINOR_CA_BUNDLE 2
/* The first minor version whose collector understands Goodbye. */
#define WIRE_MINOR_GOODBYE 1

/* Hard limits on what a message may carry (bytes, not characters). */
#define WIRE_MAX_HOSTNAME 255
#define WIRE_MAX_VERSION 64
#define WIRE_MAX_OS 128
#define WIRE_MAX_AUDIT 255           /* Posture.audit_policy */
#define WIRE_MAX_UNIT 128
#define WIRE_MAX_SOURCE 128
#define WIRE_MAX_RULE 64
#define WIRE_MAX_SUMMARY 1024
#define WIRE_MAX_RAW 4096
#define WIRE_MAX_FIELDS 32
#define WIRE_MAX_FIELD_KEY 64
#define WIRE_MAX_FIELD_VALUE 1024
#define WIRE_MAX_REASON 512
#define WIRE_MAX_TOKEN 128           /* EnrollRequest.token */
#define WIRE_MAX_PEM 8192            /* a CSR or a certificate in PEM */
#define WIRE_MAX_CA_BUNDLE (2 * WIRE_MAX_PEM) /* the old and the new CA, PEM */
#define WIRE_MAX_MACHINE_ID 64       /* SHA-256 in hex */
#define WIRE_MAX_GOODBYE_DETAIL 256
#define WIRE_MAX_SENSORS_DOWN 16     /* Heartbeat.sensors_unavailable */
#define WIRE_MAX_SENSOR_COUNTERS 64  /* Heartbeat.sensor_counters */
#define WIRE_MAX_COUNTER_NAME 64     /* a sensor's or a counter's name */
#define WIRE_MAX_SENSOR_REASON 256
#define WIRE_MAX_NEIGHBOURS 256     /* NetworkReport.neighbours (the agent counts the cut) */
#define WIRE_MAX_OWN_MACS 32        /* NetworkReport.own_macs */
#define WIRE_MAX_IP 64              /* an address as text: IPv6 with a zone fits */
#define WIRE_MAX_IFNAME 64          /* an interface name, escaped */
#define WIRE_MAX_BATCH 1000          /* events in one EventBatch */
#define WIRE_MAX_SEQ INT64_MAX       /* seq and spool_high_seq: stores keep signed 64 bits */

/*
 * Check one decoded frame: exactly one message kind set; required fields
 * present (Hello: proto_major; Event: 0 < seq <= WIRE_MAX_SEQ, time_us > 0, rule, summary;
 * Welcome: nothing beyond types; Goodbye: a known reason, time_us >= 0); enums
 * within their declared range and not UNSPECIFIED for Event.category/severity
 * and Goodbye.reason; every string within its limit and
 * valid UTF-8 (no NUL); batch non-empty, at most WIRE_MAX_BATCH events, with
 * strictly increasing seq. Returns 0 or a negative vigil_err; when `why` is
 * not NULL a sentence naming the field is written there.
 */
int wire_validate(const Vigil__V1__Frame *f, char *why, size_t whylen);

/* The same for a single event (used by the agent before it spools one). */
int wire_validate_event(const Vigil__V1__Event *ev, char *why, size_t whylen);

#endif
