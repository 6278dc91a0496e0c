#include "tmux.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "harness.h"
#include "proc.h"

#define SESSION "moetop"
#define POLL_NS 20000000L /* between two looks at the screen */

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

static void pause_poll(void) {
    struct timespec d = { 0, POLL_NS };
    nanosleep(&d, NULL);
}

/* Runs `tmux -S socket ARGS...` (up to 43 arguments, NULL-ended). */
static proc_result run_tmux(const tmux_pane *p, const char *const *args) {
    const char *argv[48] = { "/usr/bin/env", "tmux", "-S", p->socket };
    int n = 4;
    for (int i = 0; args[i] && n < 47; i++) argv[n++] = args[i];
    argv[n] = NULL;
    return proc_run(argv, NULL);
}

static bool tmux_ok(const tmux_pane *p, const char *what, const char *const *args) {
    proc_result r = run_tmux(p, args);
    bool ok = CHECKF(r.status == 0, "tmux %s: exit %d: %.300s", what, r.status, r.err);
    proc_free(&r);
    return ok;
}

bool tmux_require(void) {
    return CHECKF(system("command -v tmux >/dev/null 2>&1") == 0, "tmux is not installed (Debian package tmux: sh tools/deps.sh installs it)");
}

bool tmux_open(tmux_pane *p, int width, int height, const char *const *argv) {
    static int next;
    memset(p, 0, sizeof *p);
    snprintf(p->socket, sizeof p->socket, "%s/tmux-%d.sock", t_tmpdir(), next++);
    snprintf(p->status, sizeof p->status, "%s.status", p->socket);
    /* the pane stays when the program exits: its last screen can be read */
    char conf[600], w[16], h[16], cwd[1024];
    if (!CHECK(getcwd(cwd, sizeof cwd) != NULL)) return false;
    snprintf(conf, sizeof conf, "%s.conf", p->socket);
    const char *settings = "set-option -g remain-on-exit on\n";
    if (!CHECK(t_write_file(conf, settings, strlen(settings)))) return false;
    snprintf(w, sizeof w, "%d", width);
    snprintf(h, sizeof h, "%d", height);
    /* a shell writes the program's exit status into a file (whole, by a
     * rename): tmux's own #{pane_dead_status} was seen never to come under
     * load, the program left a zombie the server never reaped (a SIGCHLD
     * lost to libutempter's handler, as in tmux/tmux#311) */
    const char *args[48] = { "-f", conf, "new-session", "-d", "-s", SESSION, "-x", w, "-y", h, "-c", cwd, "--",
                             "/bin/sh", "-c", "\"$@\"; echo $? > \"$0.tmp\" && mv \"$0.tmp\" \"$0\"", p->status };
    int n = 17;
    for (int i = 0; argv[i] && n < 43; i++) args[n++] = argv[i];
    args[n] = NULL;
    return tmux_ok(p, "new-session", args);
}

bool tmux_keys(tmux_pane *p, bool literal, const char *keys) {
    if (literal) return tmux_ok(p, "send-keys -l", (const char *const[]){ "send-keys", "-t", SESSION, "-l", "--", keys, NULL });
    /* key names, separated by spaces */
    char copy[1024];
    snprintf(copy, sizeof copy, "%s", keys);
    const char *args[40] = { "send-keys", "-t", SESSION };
    int n = 3;
    for (char *save = NULL, *k = strtok_r(copy, " ", &save); k && n < 39; k = strtok_r(NULL, " ", &save)) args[n++] = k;
    args[n] = NULL;
    return tmux_ok(p, "send-keys", args);
}

bool tmux_resize(tmux_pane *p, int width, int height) {
    char w[16], h[16];
    snprintf(w, sizeof w, "%d", width);
    snprintf(h, sizeof h, "%d", height);
    return tmux_ok(p, "resize-window", (const char *const[]){ "resize-window", "-t", SESSION, "-x", w, "-y", h, NULL });
}

/* The last line of s holding anything but spaces (no colour sequences). */
static bool last_line_has(const char *s, const char *text) {
    const char *line = NULL;
    for (const char *at = s; *at;) {
        size_t n = strcspn(at, "\n");
        if (strspn(at, " ") < n) line = at;
        at += n + (at[n] == '\n');
    }
    if (!line) return false;
    const char *hit = strstr(line, text);
    return hit && hit < line + strcspn(line, "\n");
}

/* Keeps the screen's non-blank lines, without trailing spaces, for a failure message. */
static void keep_screen(tmux_pane *p, const char *screen) {
    size_t used = 0;
    for (const char *at = screen; *at && used + 2 < sizeof p->last;) {
        size_t n = strcspn(at, "\n"), len = n;
        while (len > 0 && at[len - 1] == ' ') len--;
        if (len > 0) used += (size_t)snprintf(p->last + used, sizeof p->last - used, "\n%.*s", (int)len, at);
        if (used >= sizeof p->last) used = sizeof p->last - 1;
        at += n + (at[n] == '\n');
    }
    p->last[used] = 0;
}

char *tmux_wait_for(tmux_pane *p, const char *text, bool colours, bool bottom) {
    /* the screen, then one line saying whether the program has exited (no
     * use waiting then: its last screen says why) */
    const char *with_colours[] = { "capture-pane", "-t", SESSION, "-p", "-e", ";", "display-message", "-p", "-t", SESSION, "#{pane_dead}", NULL };
    const char *plain[] = { "capture-pane", "-t", SESSION, "-p", ";", "display-message", "-p", "-t", SESSION, "#{pane_dead}", NULL };
    double start = now_s(), deadline = start + TMUX_DEADLINE_S;
    for (;;) {
        proc_result r = run_tmux(p, colours ? with_colours : plain);
        bool dead = false;
        if (r.status == 0 && r.out_len >= 2) { /* split off the last line, "0\n" or "1\n" */
            char *flag = r.out + r.out_len - 2;
            while (flag > r.out && flag[-1] != '\n') flag--;
            dead = *flag == '1';
            *flag = 0;
            keep_screen(p, r.out);
        }
        bool seen = r.status == 0 && (bottom ? last_line_has(r.out, text) : strstr(r.out, text) != NULL);
        if (seen) {
            p->waited = now_s() - start;
            free(r.err);
            return r.out; /* handed to the caller, who frees it */
        }
        proc_free(&r);
        if (dead || now_s() > deadline) {
            char when[64];
            if (dead) snprintf(when, sizeof when, "before the program exited");
            else snprintf(when, sizeof when, "in %.0f s", TMUX_DEADLINE_S);
            CHECKF(false, "no screen showed '%s'%s %s; the last: %s", text, bottom ? " on its last line" : "", when, p->last);
            return NULL;
        }
        pause_poll();
    }
}

int tmux_wait_exit(tmux_pane *p) {
    double start = now_s(), deadline = start + TMUX_DEADLINE_S;
    for (;;) {
        char *text = t_read_file(p->status, NULL);
        if (text) {
            int status = atoi(text);
            free(text);
            p->waited = now_s() - start;
            return status;
        }
        if (now_s() > deadline) {
            proc_result s = run_tmux(p, (const char *const[]){ "capture-pane", "-t", SESSION, "-p", NULL });
            keep_screen(p, s.out ? s.out : "");
            CHECKF(false, "the program did not exit in %.0f s; its screen: %s", TMUX_DEADLINE_S, p->last);
            proc_free(&s);
            return -1;
        }
        pause_poll();
    }
}

void tmux_close(tmux_pane *p) {
    proc_result r = run_tmux(p, (const char *const[]){ "kill-server", NULL });
    proc_free(&r);
}

bool tmux_paste(tmux_pane *p, const char *text) {
    char file[600];
    snprintf(file, sizeof file, "%s.paste", p->socket);
    if (!CHECK(t_write_file(file, text, strlen(text)))) return false;
    return tmux_ok(p, "load-buffer", (const char *const[]){ "load-buffer", "-b", "mt-paste", file, NULL }) &&
           tmux_ok(p, "paste-buffer", (const char *const[]){ "paste-buffer", "-p", "-d", "-b", "mt-paste", "-t", SESSION, NULL });
}
