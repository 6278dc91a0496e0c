#include "proc.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static void append(char **buf, size_t *len, size_t *cap, const char *src, size_t n) {
    if (*len + n + 1 > *cap) {
        *cap = (*len + n + 1) * 2;
        *buf = realloc(*buf, *cap);
        if (!*buf) abort();
    }
    memcpy(*buf + *len, src, n);
    *len += n;
    (*buf)[*len] = 0;
}

static long long now_ms(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

static proc_result run(const char *const *argv, const char *stdin_data, int seconds, void (*setup)(void *), void *arg);

proc_result proc_run(const char *const *argv, const char *stdin_data) { return run(argv, stdin_data, 0, NULL, NULL); }

proc_result proc_run_deadline(const char *const *argv, const char *stdin_data, int seconds) {
    return run(argv, stdin_data, seconds, NULL, NULL);
}

proc_result proc_run_with(const char *const *argv, const char *stdin_data, void (*setup)(void *), void *arg) {
    return run(argv, stdin_data, 0, setup, arg);
}

static proc_result run(const char *const *argv, const char *stdin_data, int seconds, void (*setup)(void *), void *arg) {
    proc_result r = { 0 };
    long long deadline = seconds > 0 ? now_ms() + (long long)seconds * 1000 : 0;
    int out_pipe[2], err_pipe[2], in_pipe[2];
    if (pipe(out_pipe) || pipe(err_pipe) || pipe(in_pipe)) abort();
    pid_t pid = fork();
    if (pid < 0) abort();
    if (pid == 0) {
        dup2(in_pipe[0], 0);
        dup2(out_pipe[1], 1);
        dup2(err_pipe[1], 2);
        /* only 0, 1 and 2 stay open: a daemon the command starts (tmux's
         * server) must not hold the pipes, or their end never comes */
        close(in_pipe[0]); close(in_pipe[1]); close(out_pipe[0]); close(out_pipe[1]); close(err_pipe[0]); close(err_pipe[1]);
        int argc = 0;
        while (argv[argc]) argc++;
        char **copy = calloc((size_t)argc + 1, sizeof *copy);
        for (int i = 0; copy && i < argc; i++) copy[i] = strdup(argv[i]);
        if (setup) setup(arg);
        if (copy) execv(copy[0], copy);
        fprintf(stderr, "exec %s failed\n", argv[0]);
        _exit(127);
    }
    close(in_pipe[0]); close(out_pipe[1]); close(err_pipe[1]);
    signal(SIGPIPE, SIG_IGN);
    if (stdin_data) {
        size_t n = strlen(stdin_data);
        if (write(in_pipe[1], stdin_data, n) != (ssize_t)n) { /* the child may not read: fine */ }
    }
    close(in_pipe[1]);
    size_t out_cap = 0, err_cap = 0;
    append(&r.out, &r.out_len, &out_cap, "", 0);
    append(&r.err, &r.err_len, &err_cap, "", 0);
    struct pollfd fds[2] = { { out_pipe[0], POLLIN, 0 }, { err_pipe[0], POLLIN, 0 } };
    int open_fds = 2;
    while (open_fds > 0) {
        int wait_ms = -1;
        if (deadline && !r.timed_out) {
            long long left = deadline - now_ms();
            if (left <= 0) {
                kill(pid, SIGKILL); /* its pipes close as it dies */
                r.timed_out = 1;
            } else wait_ms = left > 1000000 ? 1000000 : (int)left;
        }
        int ready = poll(fds, 2, wait_ms);
        if (ready < 0) break;
        if (ready == 0) continue;
        for (int i = 0; i < 2; i++) {
            if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP | POLLERR))) continue;
            char buf[65536];
            ssize_t n = read(fds[i].fd, buf, sizeof buf);
            if (n <= 0) {
                close(fds[i].fd);
                fds[i].fd = -1;
                open_fds--;
            } else if (i == 0) append(&r.out, &r.out_len, &out_cap, buf, (size_t)n);
            else append(&r.err, &r.err_len, &err_cap, buf, (size_t)n);
        }
    }
    int st;
    waitpid(pid, &st, 0);
    r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    return r;
}

void proc_free(proc_result *r) {
    free(r->out);
    free(r->err);
    r->out = r->err = NULL;
}

int proc_count_lines(const char *s) {
    int n = 0;
    const char *p = s;
    for (; *p; p++)
        if (*p == '\n') n++;
    if (p > s && p[-1] != '\n') n++;
    return n;
}
