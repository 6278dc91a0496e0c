/* mt_backend_notice (backend.h): the lines a backend leaves for its caller to show. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"

void mt_backend_notice(mt_backend *b, const char *fmt, ...) {
    char line[sizeof b->notice], one[sizeof b->notice];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof line) return; /* whole lines only */
    /* one line whatever the arguments hold (an environment variable's value may hold a newline):
     * each newline as \x0a, as the command line writes every other control character */
    size_t o = 0;
    const char *p = line;
    for (; *p && o + 5 < sizeof one; p++) {
        if (*p == '\n') memcpy(one + o, "\\x0a", 4), o += 4;
        else one[o++] = *p;
    }
    size_t used = strlen(b->notice);
    if (*p || o + 2 > sizeof b->notice - used) return; /* the line and its newline, whole or not at all */
    memcpy(b->notice + used, one, o);
    b->notice[used + o] = '\n';
    b->notice[used + o + 1] = '\0';
}
