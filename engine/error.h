/* Error reporting for the engine: the engine never prints; it fills an mt_err
 * with one line "<what>: <why>" (what = the file, key, tensor or flag concerned)
 * and the caller decides where the line goes. */
#ifndef MT_ERROR_H
#define MT_ERROR_H

#include <stdarg.h>

#define MT_ERR_MAX 512

typedef struct mt_err {
    char msg[MT_ERR_MAX];
} mt_err;

/* Formats the message, truncated to MT_ERR_MAX - 1 bytes; err may be NULL. */
void mt_err_set(mt_err *err, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void mt_err_vset(mt_err *err, const char *fmt, va_list ap);

#endif
