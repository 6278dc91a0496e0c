/* Numbers for machines, in the C locale whatever the caller's.
 *
 * The rule (README, "Numbers and the locale"): every number moetop writes for
 * a machine (JSON, CSV, SVG, asciicast, frame files, profiles) and every
 * number it reads (flags, configuration, JSON) uses '.' as the decimal point
 * and no digit grouping. The program never takes LC_NUMERIC from the
 * environment (the explorer takes LC_CTYPE only, for wide characters:
 * tui/term.c); and these functions switch the calling thread to the C locale
 * for the one call (uselocale), so the library holds the rule even inside a
 * program that has set a decimal-comma locale. Integers need none of this
 * (%d, %u, strtol are the same in every locale). */
#ifndef MT_LOCALE_C_H
#define MT_LOCALE_C_H

#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>

/* snprintf / vsnprintf / fprintf in the C locale: the same return values
 * (characters that would be written, negative on an error). */
int mt_c_snprintf(char *buf, size_t cap, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int mt_c_vsnprintf(char *buf, size_t cap, const char *fmt, va_list ap) __attribute__((format(printf, 3, 0)));
int mt_c_fprintf(FILE *f, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* strtod / strtof in the C locale ("0.5" is one half everywhere; "0,5" stops
 * at the comma), errno as strtod sets it. */
double mt_c_strtod(const char *s, char **end);
float mt_c_strtof(const char *s, char **end);

#endif
