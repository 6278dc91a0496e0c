#include "input.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "args.h"

char *mt_read_text_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        cli_error(CLI_EXIT_USAGE, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) == 0 && S_ISREG(st.st_mode) && (uint64_t)st.st_size > MT_MAX_TEXT_BYTES) {
        cli_error(CLI_EXIT_USAGE, "%s: %lld bytes is more than the %u MiB moetop reads as text", path, (long long)st.st_size,
                  MT_MAX_TEXT_BYTES >> 20);
        fclose(f);
        return NULL;
    }
    size_t cap = 1 << 16, n = 0;
    char *buf = malloc(cap + 1);
    for (size_t got; buf && (got = fread(buf + n, 1, cap - n, f)) > 0;) {
        n += got;
        if (n == cap) {
            if (cap >= MT_MAX_TEXT_BYTES) { /* a pipe or device that keeps going */
                cli_error(CLI_EXIT_USAGE, "%s: more than the %u MiB moetop reads as text", path, MT_MAX_TEXT_BYTES >> 20);
                free(buf);
                fclose(f);
                return NULL;
            }
            char *p = realloc(buf, cap * 2 + 1);
            if (!p) break;
            buf = p;
            cap *= 2;
        }
    }
    bool failed = ferror(f) != 0;
    int why = errno; /* what the failed read said (a directory: EISDIR) */
    fclose(f);
    if (!buf || failed) {
        bool had_buf = buf != NULL;
        free(buf);
        if (had_buf) cli_error(CLI_EXIT_USAGE, "%s: cannot read: %s", path, strerror(why));
        else cli_error(CLI_EXIT_FAIL, "%s: out of memory", path);
        return NULL;
    }
    buf[n] = 0;
    *len = n;
    return buf;
}
