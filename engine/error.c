#include "error.h"

#include <stdio.h>

void mt_err_vset(mt_err *err, const char *fmt, va_list ap) {
    if (!err) return;
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
}

void mt_err_set(mt_err *err, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    mt_err_vset(err, fmt, ap);
    va_end(ap);
}
