/*
 * A store on a real SQLite file in a fresh temporary directory, for the unit
 * tests of the store and of what is built on it, and a second connection to
 * the same file "as another tool would" open it. Include after cmocka.h,
 * sqlite3.h and collector/store.h.
 */
#ifndef VIGIL_TEST_STORE_FIXTURE_H
#define VIGIL_TEST_STORE_FIXTURE_H

struct fixture {
	char dir[64];
	char path[128];
	struct store *st;
};

static inline struct fixture *
fixture_new(const char *name)
{
	struct fixture *fx = calloc(1, sizeof(*fx));
	char err[256] = "";

	assert_non_null(fx);
	snprintf(fx->dir, sizeof(fx->dir), "/tmp/vigil-%s.XXXXXX", name);
	assert_non_null(mkdtemp(fx->dir));
	snprintf(fx->path, sizeof(fx->path), "%s/collector.db", fx->dir);
	if ((fx->st = store_open(fx->path, err, sizeof(err))) == NULL)
		fail_msg("store_open: %s", err);
	return fx;
}

static inline int
teardown(void **state)
{
	struct fixture *fx = *state;
	static const char *const suffix[] = { "", "-wal", "-shm" };
	char p[160];

	store_free(fx->st);
	for (size_t i = 0; i < 3; i++) {
		snprintf(p, sizeof(p), "%s%s", fx->path, suffix[i]);
		unlink(p);
	}
	rmdir(fx->dir);
	free(fx);
	return 0;
}

/* Run one statement on the file through a second connection, as another tool would. */
static inline void
raw_sql(const char *path, const char *sql)
{
	sqlite3 *db;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	sqlite3_busy_timeout(db, 5000);
	if (sqlite3_exec(db, sql, NULL, NULL, NULL) != SQLITE_OK)
		fail_msg("%s: %s", sql, sqlite3_errmsg(db));
	sqlite3_close(db);
}

static inline int64_t
raw_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *s;
	int64_t v;

	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return v;
}

/* The agent's row from a Hello naming unit, stored at recv_us. */
static inline void
fixture_hello(struct store *st, char *agent, char *unit, int64_t recv_us)
{
	Vigil__V1__Hello h = VIGIL__V1__HELLO__INIT;
	struct store_batch sb;

	h.proto_major = 1;
	h.hostname = agent;
	h.unit = unit;
	memset(&sb, 0, sizeof(sb));
	sb.kind = STORE_HELLO;
	sb.agent = agent;
	sb.hello = &h;
	sb.recv_us = recv_us;
	assert_int_equal(store_commit(st, &sb, 1), 0);
}

/*
 * A heartbeat of agent stored at recv_us: store_commit's answer; *refused,
 * when not NULL, says whether this item alone was refused.
 */
static inline int
fixture_heartbeat(struct store *st, const char *agent, Vigil__V1__Heartbeat *hb, int64_t recv_us,
    int *refused)
{
	struct store_batch sb;
	int rc;

	memset(&sb, 0, sizeof(sb));
	sb.kind = STORE_POSTURE;
	sb.agent = agent;
	sb.heartbeat = hb;
	sb.recv_us = recv_us;
	rc = store_commit(st, &sb, 1);
	if (refused != NULL)
		*refused = sb.refused;
	return rc;
}

#endif
