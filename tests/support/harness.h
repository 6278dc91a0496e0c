/* The test harness: each test binary runs its tests in order and prints one
 * line per test, which tests/run.sh counts:
 *   PASS suite/name
 *   FAIL suite/name: file:line: what went wrong   (then up to 4 more details)
 *   SKIP suite/name: why it could not run
 * A check that fails does not stop its test, so one run shows every problem. */
#ifndef MT_HARNESS_H
#define MT_HARNESS_H

#include <stdbool.h>

void t_begin(const char *suite);
void t_run(const char *name, void (*fn)(void));
/* Exit status for main: 1 when any test failed. */
int t_end(void);

bool t_checkf(bool ok, const char *file, int line, const char *fmt, ...) __attribute__((format(printf, 4, 5)));
#define CHECK(cond) t_checkf((cond), __FILE__, __LINE__, "%s", #cond)
#define CHECKF(cond, ...) t_checkf((cond), __FILE__, __LINE__, __VA_ARGS__)
/* Marks the running test skipped (unless it already failed). */
void t_skip(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#define RUN(fn) t_run(#fn, fn)

/* shared/ beside the repository (or $MOETOP_SHARED); NULL when absent. */
const char *t_shared_dir(void);
/* A path under shared/, or NULL (and the test is skipped, saying which file)
 * when it does not exist. */
const char *t_shared_file(const char *relative);
/* The moetop binary under test ($MOETOP_BIN, default ./moetop). */
const char *t_bin(void);
/* A fresh directory for this test binary's files (removed at t_end). */
const char *t_tmpdir(void);
/* Reads a whole file; NULL if unreadable. Caller frees. */
char *t_read_file(const char *path, unsigned long *len);
bool t_write_file(const char *path, const void *data, unsigned long len);

#endif
