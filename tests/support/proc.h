/* Runs a command for the CLI tests: its stdout, stderr and exit status. */
#ifndef MT_PROC_H
#define MT_PROC_H

#include <stddef.h>

typedef struct proc_result {
    int status;      /* exit code, or 128 + signal number */
    char *out, *err; /* NUL-terminated, caller frees with proc_free */
    size_t out_len, err_len;
    int timed_out;   /* proc_run_deadline killed it */
} proc_result;

/* argv ends with NULL; stdin_data may be NULL (stdin is then empty). */
proc_result proc_run(const char *const *argv, const char *stdin_data);
/* The same, killing the command (SIGKILL) once it has run `seconds` (0: never):
 * a bound on a hang, never a measure of speed; then timed_out is set. */
proc_result proc_run_deadline(const char *const *argv, const char *stdin_data, int seconds);
/* proc_run with setup(arg) called in the child just before exec (a resource
 * limit, another user, a signal disposition); setup may be NULL. */
proc_result proc_run_with(const char *const *argv, const char *stdin_data, void (*setup)(void *), void *arg);
void proc_free(proc_result *r);
/* Lines in s (a final line without '\n' counts). */
int proc_count_lines(const char *s);

#endif
