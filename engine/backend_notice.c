/* mt_backend_notice (backend.h): the lines a backend leaves for its caller to show. */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "backend.h"

void mt_backend_notice(mt_backend *b, const char *fmt, ...) {
    char line[sizeof b->notice];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    size_t used = strlen(b->notice);
    if (n < 0 || (size_t)n + 2 > sizeof b->notice - used) return; /* the line and its newline, whole or not at all */
    memcpy(b->notice + used, line, (size_t)n);
    b->notice[used + (size_t)n] = '\n';
    b->notice[used + (size_t)n + 1] = '\0';
}
