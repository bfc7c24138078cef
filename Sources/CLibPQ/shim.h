#ifndef DATAHEALTH_CLIBPQ_SHIM_H
#define DATAHEALTH_CLIBPQ_SHIM_H

#include <libpq-fe.h>

/* The PG_DIAG_* field codes are character macros; Swift sees them through these. */
static inline int dh_pq_diag_severity(void) { return PG_DIAG_SEVERITY_NONLOCALIZED; }
static inline int dh_pq_diag_sqlstate(void) { return PG_DIAG_SQLSTATE; }
static inline int dh_pq_diag_message_primary(void) { return PG_DIAG_MESSAGE_PRIMARY; }
static inline int dh_pq_diag_message_detail(void) { return PG_DIAG_MESSAGE_DETAIL; }
static inline int dh_pq_diag_message_hint(void) { return PG_DIAG_MESSAGE_HINT; }
static inline int dh_pq_diag_schema_name(void) { return PG_DIAG_SCHEMA_NAME; }
static inline int dh_pq_diag_table_name(void) { return PG_DIAG_TABLE_NAME; }
static inline int dh_pq_diag_column_name(void) { return PG_DIAG_COLUMN_NAME; }
static inline int dh_pq_diag_constraint_name(void) { return PG_DIAG_CONSTRAINT_NAME; }

/* Server notices (e.g. "relation already exists, skipping") would otherwise be printed on
   stderr by libpq's default processor; DataHealth drops them. */
static void dh_pq_ignore_notice(void *argument, const char *message) {
    (void)argument;
    (void)message;
}

static inline void dh_pq_silence_notices(PGconn *connection) {
    PQsetNoticeProcessor(connection, dh_pq_ignore_notice, (void *)0);
}

/* Process helpers for the embedded cluster (DHStorage is this shim's only user). glibc declares
   these two GNU extensions only under _GNU_SOURCE, which Swift's Glibc module does not set;
   glibc 2.34 and later provide them. */
#include <spawn.h>
extern int posix_spawn_file_actions_addclosefrom_np(posix_spawn_file_actions_t *actions, int from);
extern int posix_spawn_file_actions_addchdir_np(posix_spawn_file_actions_t *actions, const char *path);

static inline int dh_spawn_actions_close_from(posix_spawn_file_actions_t *actions, int from) {
    return posix_spawn_file_actions_addclosefrom_np(actions, from);
}

static inline int dh_spawn_actions_chdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

#endif
