/* Numbers under the user's locale: every command, the headless explorer and
 * the live one (in tmux, with --record and the X export) give byte for byte
 * the same output under a decimal-comma locale (de_DE.UTF-8, built into the
 * test's own directory with localedef: the system is not touched) as under
 * the C locale, and what they write parses, numbers with '.'. */
#include <ctype.h>
#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "support/cli_util.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define COMMA_LOCALE "de_DE.UTF-8"

static char locpath[600];
static const char *no_locale; /* why the decimal-comma locale is missing, or NULL once it works */

/* The first executable name on $PATH (or in /usr/sbin, /usr/bin), or NULL. */
static const char *find_program(const char *name, char *buf, size_t cap) {
    const char *path = getenv("PATH");
    char dirs[4096];
    snprintf(dirs, sizeof dirs, "%s:/usr/sbin:/usr/bin:/sbin:/bin", path ? path : "");
    for (char *save = NULL, *d = strtok_r(dirs, ":", &save); d; d = strtok_r(NULL, ":", &save)) {
        snprintf(buf, cap, "%s/%s", d, name);
        if (access(buf, X_OK) == 0) return buf;
    }
    return NULL;
}

/* printf("%.1f", 0.5) in a child under the locale given by the environment
 * (setlocale(LC_ALL, "")), or "" when setlocale refuses it. */
static void child_decimal(char *out, size_t cap) {
    int p[2];
    out[0] = 0;
    if (pipe(p) != 0) return;
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        char buf[32] = "";
        if (setlocale(LC_ALL, "")) snprintf(buf, sizeof buf, "%.1f", 0.5);
        if (write(p[1], buf, strlen(buf)) < 0) _exit(1);
        _exit(0);
    }
    close(p[1]);
    ssize_t n = read(p[0], out, cap - 1);
    out[n > 0 ? n : 0] = 0;
    close(p[0]);
    waitpid(pid, NULL, 0);
}

static void use_locale(bool comma) {
    if (comma) {
        setenv("LOCPATH", locpath, 1);
        setenv("LC_ALL", COMMA_LOCALE, 1);
    } else {
        unsetenv("LOCPATH");
        setenv("LC_ALL", "C", 1);
    }
}

/* Builds the locale once; false (and the test skipped, saying why) when it
 * cannot be built or does not give a decimal comma (then the test would prove nothing). */
static bool comma_locale(void) {
    static bool tried;
    if (!tried) {
        tried = true;
        char prog[600], out[700];
        snprintf(locpath, sizeof locpath, "%s/locale", t_tmpdir());
        mkdir(locpath, 0755);
        snprintf(out, sizeof out, "%s/" COMMA_LOCALE, locpath);
        if (!find_program("localedef", prog, sizeof prog)) no_locale = "no localedef on PATH (Debian's libc-bin has it)";
        else {
            const char *argv[] = { prog, "-i", "de_DE", "-f", "UTF-8", out, NULL };
            proc_result r = proc_run(argv, NULL);
            proc_free(&r);
            char dec[32];
            use_locale(true);
            child_decimal(dec, sizeof dec);
            use_locale(false);
            static char why[256];
            if (strcmp(dec, "0,5") != 0) {
                snprintf(why, sizeof why, "localedef could not build %s with a decimal comma (printf gave '%s'; its sources come with Debian's locales: sh tools/deps.sh installs it)",
                         COMMA_LOCALE, dec);
                no_locale = why;
            }
        }
    }
    if (no_locale) t_skip("%s", no_locale);
    return !no_locale;
}

/* The locale gives "0,5" where C gives "0.5": the runs below compare something. */
static void locale_has_decimal_comma(void) { comma_locale(); }

/* ---- commands --------------------------------------------------------------------------- */

/* A run's arguments: "@/NAME" is NAME in the run's own directory. */
static proc_result run_in(const char *dir, const char *const *args) {
    const char *argv[40] = { t_bin() };
    static char paths[40][1400];
    int n = 1;
    for (int i = 0; args[i] && n < 39; i++, n++) {
        if (strncmp(args[i], "@/", 2) == 0) {
            snprintf(paths[n], sizeof paths[n], "%s/%s", dir, args[i] + 2);
            argv[n] = paths[n];
        } else argv[n] = args[i];
    }
    argv[n] = NULL;
    return proc_run(argv, NULL);
}

static const char *run_dir(const char *name, bool comma, char *buf, size_t cap) {
    snprintf(buf, cap, "%s/%s-%s", t_tmpdir(), name, comma ? "comma" : "c");
    mkdir(buf, 0755);
    return buf;
}

/* Files a and b equal from the first occurrence of from (NULL: the whole file). */
static bool same_file(const char *a, const char *b, const char *from) {
    unsigned long na, nb;
    char *x = t_read_file(a, &na), *y = t_read_file(b, &nb);
    bool ok = x && y;
    if (ok && from) {
        char *px = strstr(x, from), *py = strstr(y, from);
        ok = px && py && strcmp(px, py) == 0;
    } else if (ok) ok = na == nb && memcmp(x, y, na) == 0;
    free(x);
    free(y);
    return ok;
}

static bool parses(const char *text, size_t n) {
    char err[256];
    jv *v = jv_parse(text, n, err, sizeof err);
    jv_free(v);
    return v != NULL;
}

/* Every line of a JSON Lines text parses. */
static bool lines_parse(const char *text) {
    for (const char *p = text; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        if (n && !parses(p, n)) return false;
        p += n + (end ? 1 : 0);
    }
    return true;
}

/* A digit, a comma, a digit: a decimal comma (in text that has no list of bare numbers). */
static bool has_decimal_comma(const char *s) {
    for (const char *p = s; p[0] && p[1] && p[2]; p++)
        if (isdigit((unsigned char)p[0]) && p[1] == ',' && isdigit((unsigned char)p[2])) return true;
    return false;
}

typedef enum { OUT_TEXT, OUT_JSON, OUT_JSONL } out_kind;

typedef struct cmd_case {
    const char *name;
    const char *args[24];
    out_kind out;
    bool timed;                /* times in the output: parsed, not compared */
    const char *files[6];      /* written into the run's directory, compared */
    const char *from;          /* compare files from this text on (before it: times) */
    const char *dir;           /* the run's directory is that of this case (NULL: its own) */
} cmd_case;

static void run_case(const cmd_case *c) {
    char dirs[2][600];
    proc_result r[2];
    for (int i = 0; i < 2; i++) {
        run_dir(c->dir ? c->dir : c->name, i == 1, dirs[i], sizeof dirs[i]);
        use_locale(i == 1);
        r[i] = run_in(dirs[i], c->args);
    }
    use_locale(false);
    CHECKF(r[0].status == 0 && r[1].status == 0, "%s: exit %d and %d: %s", c->name, r[0].status, r[1].status, r[1].err);
    if (!c->timed)
        CHECKF(r[0].out_len == r[1].out_len && memcmp(r[0].out, r[1].out, r[0].out_len) == 0, "%s: stdout differs under %s", c->name,
               COMMA_LOCALE);
    if (c->out == OUT_JSON) CHECKF(parses(r[1].out, r[1].out_len), "%s: not JSON: %.200s", c->name, r[1].out);
    if (c->out == OUT_JSONL) CHECKF(lines_parse(r[1].out), "%s: not JSON Lines", c->name);
    for (int f = 0; c->files[f]; f++) {
        char a[700], b[700];
        snprintf(a, sizeof a, "%s/%s", dirs[0], c->files[f]);
        snprintf(b, sizeof b, "%s/%s", dirs[1], c->files[f]);
        CHECKF(same_file(a, b, c->from), "%s: %s differs under %s", c->name, c->files[f], COMMA_LOCALE);
    }
    proc_free(&r[0]);
    proc_free(&r[1]);
}

static const char *write_prompt_set(char *dir, size_t cap) {
    char path[700];
    snprintf(dir, cap, "%s/prompts", t_tmpdir());
    mkdir(dir, 0755);
    snprintf(path, sizeof path, "%s/code.txt", dir);
    const char *code = "def f(x):\n    return x * 2\n\nint main(void) { return 0; }\n", *math = "127 * 89 = 11303\n\n42 + 17 = 59\n";
    t_write_file(path, code, strlen(code));
    snprintf(path, sizeof path, "%s/math.txt", dir);
    t_write_file(path, math, strlen(math));
    return dir;
}

/* trace, generate (decimal flags), info, sweep (JSON, CSV, SVG), entropy,
 * export (CSV, JSON Lines), profile and merge-profiles, bench: the same
 * bytes under the decimal-comma locale as under C (times aside), and parseable. */
static void commands_under_decimal_comma(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a || !comma_locale()) return;
    char set_buf[600], data[700];
    const char *set = write_prompt_set(set_buf, sizeof set_buf);
    snprintf(data, sizeof data, "%s/docs.jsonl", t_tmpdir());
    const char *docs = "{\"text\": \"one two three\"}\n{\"text\": \"2.5 + 0.5 = 3\"}\n";
    t_write_file(data, docs, strlen(docs));
    const char *p = "127 * 89 = 11303, and 0.5";
    const cmd_case cases[] = {
        { "info", { "info", "--json", "-m", a }, OUT_JSON, false, { NULL }, NULL, NULL },
        { "trace", { "trace", "-m", a, "--prompt", p, "--router-logits", "--json" }, OUT_JSON, false, { NULL }, NULL, NULL },
        { "generate", { "generate", "-m", a, "--prompt", p, "-n", "6", "--temp", "0.8", "--top-p", "0.95", "--seed", "7", "--json" }, OUT_JSON,
          false, { NULL }, NULL, NULL },
        { "sweep-json", { "sweep", "-m", a, "--prompts", set, "--json" }, OUT_JSON, false, { NULL }, NULL, NULL },
        { "sweep-csv-svg", { "sweep", "-m", a, "--prompts", set, "--csv", "--svg", "@/sweep.svg" }, OUT_TEXT, false, { "sweep.svg" }, NULL, NULL },
        { "entropy", { "entropy", "-m", a, "--prompt", p, "--json" }, OUT_JSON, false, { NULL }, NULL, NULL },
        { "export-csv", { "export", "-m", a, "--prompts", set, "-o", "@/routing.csv" }, OUT_TEXT, false, { "routing.csv" }, NULL, NULL },
        { "export-jsonl", { "export", "-m", a, "--prompts", set, "--format", "jsonl" }, OUT_JSONL, false, { NULL }, NULL, NULL },
        { "profile", { "profile", "-m", a, "--data", data, "-o", "@/p.json" }, OUT_TEXT, true, { "p.json" }, "\"layers\"", NULL },
        { "merge", { "merge-profiles", "-o", "@/m.json", "@/p.json", "@/p.json" }, OUT_TEXT, false, { "m.json" }, "\"layers\"", "profile" },
        { "bench", { "bench", "-m", a, "-p", "8", "-n", "4", "--json" }, OUT_JSON, true, { NULL }, NULL, NULL },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        char dir[700];
        run_case(&cases[i]);
        if (!strcmp(cases[i].name, "profile") || !strcmp(cases[i].name, "merge")) { /* the times too: '.' and JSON */
            char path[800];
            snprintf(path, sizeof path, "%s/%s", run_dir(cases[i].dir ? cases[i].dir : cases[i].name, true, dir, sizeof dir), cases[i].files[0]);
            unsigned long n;
            char *text = t_read_file(path, &n);
            CHECKF(text && parses(text, n) && strstr(text, "\"seconds\":"), "%s", path);
            free(text);
        }
    }
    /* the decimal flags were read as decimals: the sampled text differs from greedy decoding */
    use_locale(true);
    proc_result s = run_moetop("generate", "-m", a, "--prompt", p, "-n", "6", "--temp", "0.8", "--seed", "7", "--json", NULL);
    proc_result g = run_moetop("generate", "-m", a, "--prompt", p, "-n", "6", "--json", NULL);
    use_locale(false);
    CHECK(s.status == 0 && g.status == 0 && strcmp(s.out, g.out) != 0);
    proc_free(&s);
    proc_free(&g);
    use_locale(true);
    proc_result bad = run_moetop("generate", "-m", a, "--prompt", p, "--temp", "0,8", NULL);
    use_locale(false);
    CHECKF(is_clean_usage_error(&bad) && strstr(bad.err, "--temp: '0,8' is not a number"), "%s", bad.err);
    proc_free(&bad);
}

/* The explorer headless: frames (.txt, .ansi, .svg), X's export, the
 * recording, a configuration with decimals: the same under both locales. */
static void headless_explorer_under_decimal_comma(void) {
    const char *a = fixture_path('a', ".gguf");
    if (!a || !comma_locale()) return;
    for (int i = 0; i < 2; i++) {
        char dir[600], path[700], text[1400];
        run_dir("headless", i == 1, dir, sizeof dir);
        snprintf(path, sizeof path, "%s/x.ini", dir);
        int n = snprintf(text, sizeof text, "[explorer]\ntemperature = 0.8\ntop_p = 0.9\nexport_format = svg\nexport_dir = %s\n", dir);
        t_write_file(path, text, (unsigned long)n);
        snprintf(path, sizeof path, "%s/keys", dir);
        n = snprintf(text, sizeof text, "j\nl\nX\nframe %s/f.ansi\nTab\nframe %s/f.svg\nwait 1500\nS-Tab\n", dir, dir);
        t_write_file(path, text, (unsigned long)n);
    }
    const cmd_case c = { "headless",
                         { "-m", a, "--headless", "--size", "100x24", "--config", "@/x.ini", "--script", "@/keys", "--prompt",
                           "The quick brown fox", "--export-frame", "@/final.txt", "--record", "@/s.cast" },
                         OUT_TEXT, false, { "final.txt", "f.ansi", "f.svg", "moetop-frame-1.svg", NULL }, NULL, NULL };
    run_case(&c);
    char dirs[2][600], path[1400];
    char *cast[2];
    for (int i = 0; i < 2; i++) {
        snprintf(path, sizeof path, "%s/s.cast", run_dir("headless", i == 1, dirs[i], sizeof dirs[i]));
        cast[i] = t_read_file(path, NULL);
    }
    /* the recordings: the same after the header (whose timestamp is the wall clock), every line JSON */
    const char *body0 = cast[0] ? strchr(cast[0], '\n') : NULL, *body1 = cast[1] ? strchr(cast[1], '\n') : NULL;
    CHECKF(body0 && body1 && strcmp(body0, body1) == 0, "the recording differs under %s", COMMA_LOCALE);
    CHECK(cast[1] && lines_parse(cast[1]) && strstr(cast[1], "\n[0.000, \"o\", "));
    free(cast[0]);
    free(cast[1]);
    snprintf(path, sizeof path, "%s/final.txt", dirs[1]);
    char *frame = t_read_file(path, NULL);
    CHECKF(frame && strstr(frame, "T 0.8 seed") && !has_decimal_comma(frame), "%s", frame ? frame : "(none)");
    free(frame);
}

/* ---- the live explorer -------------------------------------------------------------------- */

/* tmux on a server of the test's own (-L), so nothing else's sessions matter. */
static char tmux_socket[64];

static char *tmux_screen(const char *session) {
    char cmd[300];
    snprintf(cmd, sizeof cmd, "tmux -L %s capture-pane -p -t %s 2>/dev/null", tmux_socket, session);
    FILE *p = popen(cmd, "r");
    if (!p) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - 1 - n, p)) > 0;) n += got;
    pclose(p);
    if (buf) buf[n] = 0;
    return buf;
}

static double now_s(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* Waits until the screen shows all of want (NULL-terminated) and two
 * captures in a row are the same (the explorer has finished drawing it: the
 * markers can show while the rest is still being painted, as under the
 * sanitizers on a busy machine), or until the file done exists when want is
 * NULL; gives up after 120 s. The last screen in *last. */
static bool wait_for(const char *session, const char *const *want, const char *done, char **last) {
    struct timespec tick = { 0, 20000000 };
    char *previous = NULL;
    bool ok = false;
    for (double t0 = now_s(); now_s() - t0 < 120; nanosleep(&tick, NULL)) {
        if (done) {
            if (access(done, F_OK) == 0) return true;
            continue;
        }
        free(*last);
        *last = tmux_screen(session);
        bool all = *last != NULL;
        for (int i = 0; all && want[i]; i++) all = strstr(*last, want[i]) != NULL;
        if (all && previous && strcmp(previous, *last) == 0) {
            ok = true;
            break;
        }
        free(previous);
        previous = all ? strdup(*last) : NULL;
    }
    free(previous);
    return ok;
}

/* One live session: the prompt evaluated, X, q; under env (a LC_ALL=...
 * assignment). Files land in the run's directory; the screen before X in screen. */
static bool live_session(const char *env, const char *dir, char **screen) {
    const char *a = fixture_path('a', ".gguf");
    char ini[700], cast[700], status[700], cmd[4096], text[1024];
    snprintf(ini, sizeof ini, "%s/x.ini", dir);
    snprintf(cast, sizeof cast, "%s/live.cast", dir);
    snprintf(status, sizeof status, "%s/status", dir);
    unlink(status);
    int n = snprintf(text, sizeof text, "[explorer]\ntemperature = 0.8\nexport_format = svg\nexport_dir = %s\n", dir);
    t_write_file(ini, text, (unsigned long)n);
    const char *session = "locale";
    snprintf(cmd, sizeof cmd,
             "tmux -L %s new-session -d -s %s -x 100 -y 30 \"env %s %s -m %s --config %s --record %s --prompt 'The quick brown fox'; "
             "echo \\$? > %s.tmp; mv %s.tmp %s\"",
             tmux_socket, session, env, t_bin(), a, ini, cast, status, status, status);
    if (!CHECK(system(cmd) == 0)) return false;
    static const char *const ready[] = { " dashboard |", "ick", "margin", "T 0.8 seed", NULL }, *const written[] = { "frame written to", NULL };
    bool ok = wait_for(session, ready, NULL, screen);
    CHECKF(ok, "never ready: %s", *screen ? *screen : "(no screen)");
    char *after = NULL;
    if (ok) {
        snprintf(cmd, sizeof cmd, "tmux -L %s send-keys -t %s X", tmux_socket, session);
        ok = CHECK(system(cmd) == 0) && wait_for(session, written, NULL, &after);
        CHECKF(ok, "X wrote nothing: %s", after ? after : "");
    }
    snprintf(cmd, sizeof cmd, "tmux -L %s send-keys -t %s q", tmux_socket, session);
    if (system(cmd) != 0) ok = false;
    bool quit = wait_for(session, NULL, status, &after);
    ok = CHECKF(quit, "the explorer did not quit") && ok;
    free(after);
    char *rc = t_read_file(status, NULL);
    ok = CHECKF(rc && atoi(rc) == 0, "exit status %s", rc ? rc : "(none)") && ok;
    free(rc);
    snprintf(cmd, sizeof cmd, "tmux -L %s kill-server 2>/dev/null", tmux_socket);
    if (system(cmd) != 0) { /* already gone with its last session */ }
    return ok;
}

/* The example: under LC_ALL=de_DE.UTF-8 the live explorer's
 * --record wrote "[4,004, "o", ...]" and X's SVG width="672,0". Now the
 * screen, the X export and the recording read the same as under C.UTF-8. */
static void live_explorer_under_decimal_comma(void) {
    if (!fixture_path('a', ".gguf") || !comma_locale()) return;
    if (system("command -v tmux >/dev/null 2>&1") != 0) {
        t_skip("tmux is not installed (sh tools/deps.sh installs it)");
        return;
    }
    snprintf(tmux_socket, sizeof tmux_socket, "moetop-locale-%d", (int)getpid());
    char dirs[2][600], env[800], *screen[2] = { NULL, NULL };
    /* the baseline is C.UTF-8, so both sessions draw the same (UTF-8) glyphs */
    run_dir("live", false, dirs[0], sizeof dirs[0]);
    bool ok = live_session("LC_ALL=C.UTF-8", dirs[0], &screen[0]);
    snprintf(env, sizeof env, "LOCPATH=%s LC_ALL=" COMMA_LOCALE, locpath);
    run_dir("live", true, dirs[1], sizeof dirs[1]);
    ok = live_session(env, dirs[1], &screen[1]) && ok;
    if (ok) {
        CHECKF(strcmp(screen[0], screen[1]) == 0, "the screens differ:\n%s\n%s", screen[0], screen[1]);
        CHECKF(strstr(screen[1], "T 0.8 seed") && !has_decimal_comma(screen[1]), "%s", screen[1]);
        char a[700], b[700];
        snprintf(a, sizeof a, "%s/moetop-frame-1.svg", dirs[0]);
        snprintf(b, sizeof b, "%s/moetop-frame-1.svg", dirs[1]);
        CHECKF(same_file(a, b, NULL), "X's SVG differs under %s", COMMA_LOCALE);
        char *svg = t_read_file(b, NULL);
        CHECKF(svg && strstr(svg, "width=\"840.0\"") && !strstr(svg, ",0\""), "%.300s", svg ? svg : "(none)");
        free(svg);
        snprintf(b, sizeof b, "%s/live.cast", dirs[1]);
        char *cast = t_read_file(b, NULL);
        CHECK(cast && lines_parse(cast));
        int events = 0;
        for (const char *line = cast ? strchr(cast, '\n') : NULL; line && line[1]; line = strchr(line + 1, '\n')) {
            const char *p = line + 2; /* after "\n[" */
            size_t digits = strspn(p, "0123456789");
            bool good = line[1] == '[' && digits > 0 && p[digits] == '.' && strspn(p + digits + 1, "0123456789") == 3 &&
                        strncmp(p + digits + 4, ", \"o\", ", 7) == 0;
            if (!CHECKF(good, "event %d: %.40s", events, line + 1)) break;
            events++;
        }
        CHECKF(events >= 2, "%d events", events);
        free(cast);
    }
    free(screen[0]);
    free(screen[1]);
}

int main(void) {
    t_begin("locale");
    RUN(locale_has_decimal_comma);
    RUN(commands_under_decimal_comma);
    RUN(headless_explorer_under_decimal_comma);
    RUN(live_explorer_under_decimal_comma);
    return t_end();
}
