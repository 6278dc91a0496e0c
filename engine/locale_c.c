#include "locale_c.h"

#include <errno.h>
#include <locale.h>
#include <stdlib.h>

/* The C locale made current for this thread; *old is what to restore. glibc
 * hands out a static object for "C" (newlocale allocates nothing and cannot
 * fail); elsewhere a failure leaves the thread's locale as it was. */
static locale_t enter_c(locale_t *old) {
    int saved = errno;
    locale_t c = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    *old = c ? uselocale(c) : (locale_t)0;
    errno = saved;
    return c;
}

static void leave_c(locale_t c, locale_t old) {
    if (!c) return;
    int saved = errno;
    uselocale(old);
    freelocale(c);
    errno = saved;
}

int mt_c_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) {
    locale_t old, c = enter_c(&old);
    int n = vsnprintf(buf, cap, fmt, ap);
    leave_c(c, old);
    return n;
}

int mt_c_snprintf(char *buf, size_t cap, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    int n = mt_c_vsnprintf(buf, cap, fmt, ap);
    va_end(ap);
    return n;
}

int mt_c_fprintf(FILE *f, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    locale_t old, c = enter_c(&old);
    int n = vfprintf(f, fmt, ap);
    leave_c(c, old);
    va_end(ap);
    return n;
}

double mt_c_strtod(const char *s, char **end) {
    locale_t old, c = enter_c(&old);
    double v = strtod(s, end);
    leave_c(c, old);
    return v;
}

float mt_c_strtof(const char *s, char **end) {
    locale_t old, c = enter_c(&old);
    float v = strtof(s, end);
    leave_c(c, old);
    return v;
}
