#include "harness.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const char *suite_name = "";
static const char *test_name = "";
static int failures_in_test, total_failed;
static bool skipped;
static char skip_reason[512];
static char tmpdir[256];

void t_begin(const char *suite) {
    suite_name = suite;
    setvbuf(stdout, NULL, _IOLBF, 0);
}

static void remove_tree(const char *dir) {
    char cmd[600];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    if (system(cmd) != 0) fprintf(stderr, "could not remove %s\n", dir);
}

int t_end(void) {
    if (tmpdir[0]) remove_tree(tmpdir);
    return total_failed ? 1 : 0;
}

void t_run(const char *name, void (*fn)(void)) {
    test_name = name;
    failures_in_test = 0;
    skipped = false;
    fn();
    if (failures_in_test) {
        total_failed++;
        if (failures_in_test > 5) printf("  ... %d failed checks in all\n", failures_in_test);
    } else if (skipped) {
        printf("SKIP %s/%s: %s\n", suite_name, name, skip_reason);
    } else {
        printf("PASS %s/%s\n", suite_name, name);
    }
    fflush(stdout);
}

bool t_checkf(bool ok, const char *file, int line, const char *fmt, ...) {
    if (ok) return true;
    char msg[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (failures_in_test == 0) printf("FAIL %s/%s: %s:%d: %s\n", suite_name, test_name, file, line, msg);
    else if (failures_in_test < 5) printf("  also %s:%d: %s\n", file, line, msg);
    failures_in_test++;
    return false;
}

void t_skip(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(skip_reason, sizeof skip_reason, fmt, ap);
    va_end(ap);
    skipped = true;
}

const char *t_shared_dir(void) {
    static char dir[512];
    static int state; /* 0 unknown, 1 found, 2 absent */
    if (state == 0) {
        const char *env = getenv("MOETOP_SHARED");
        snprintf(dir, sizeof dir, "%s", env && *env ? env : "../shared");
        struct stat st;
        state = stat(dir, &st) == 0 && S_ISDIR(st.st_mode) ? 1 : 2;
    }
    return state == 1 ? dir : NULL;
}

const char *t_shared_file(const char *relative) {
    static char paths[8][640];
    static int next;
    const char *dir = t_shared_dir();
    if (!dir) {
        t_skip("no shared/ directory beside the repository (set MOETOP_SHARED) for %s", relative);
        return NULL;
    }
    char *p = paths[next++ % 8];
    snprintf(p, 640, "%s/%s", dir, relative);
    if (access(p, R_OK) != 0) {
        t_skip("%s is absent", p);
        return NULL;
    }
    return p;
}

const char *t_bin(void) {
    const char *env = getenv("MOETOP_BIN");
    return env && *env ? env : "./moetop";
}

const char *t_tmpdir(void) {
    if (!tmpdir[0]) {
        snprintf(tmpdir, sizeof tmpdir, "%s/moetop-test-XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
        if (!mkdtemp(tmpdir)) {
            perror("mkdtemp");
            exit(2);
        }
    }
    return tmpdir;
}

char *t_read_file(const char *path, unsigned long *len) {
    FILE *f = fopen(path, "rb");
    if (!f) return NULL;
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    size_t got;
    while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
        n += got;
        if (n == cap) {
            char *p = realloc(buf, cap * 2 + 1);
            if (!p) { free(buf); buf = NULL; break; }
            buf = p;
            cap *= 2;
        }
    }
    fclose(f);
    if (!buf) return NULL;
    buf[n] = 0;
    if (len) *len = (unsigned long)n;
    return buf;
}

bool t_write_file(const char *path, const void *data, unsigned long len) {
    FILE *f = fopen(path, "wb");
    if (!f) return false;
    bool ok = fwrite(data, 1, len, f) == len;
    return fclose(f) == 0 && ok;
}
