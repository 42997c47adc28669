/*
 * vigil-collector: disk space kept for the alarm of a full disk (reserve.c).
 */
#ifndef VIGIL_RESERVE_H
#define VIGIL_RESERVE_H

#include "collector.h"

/* ---- reserve.c: disk space kept for the alarm of a full disk ---------------- */

/* Keep database_reserve bytes in DATABASE.reserve (a warning if the disk has not the room). */
void reserve_make(struct collector *c);
/* Give them up: the disk is full and the incident saying so needs the room. */
void reserve_release(struct collector *c);

#endif
