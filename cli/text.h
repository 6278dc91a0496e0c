/* Small helpers for human-readable output. */
#ifndef MT_TEXT_H
#define MT_TEXT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* "3.1 MiB", "812 B" */
void mt_format_bytes(uint64_t n, char *out, size_t cap);
/* "3.93 M", "20.9 B" (parameters) */
void mt_format_count(uint64_t n, char *out, size_t cap);
/* The selection count as people say it: "top-4" when every layer selects
 * the same number of experts per token (per_layer[l]: selections / tokens at
 * layer l, what interventions made of the model's k), else "top-k per layer
 * 2,4,4" (a layer whose tokens differ shows its mean, %.3g). */
void mt_format_topk(const double *per_layer, uint32_t n_layer, char *out, size_t cap);
/* Writes s[0..n) for a terminal: valid printable UTF-8 as is, control
 * characters and invalid bytes as \n, \t, \xNN, U+2028 and U+2029 as
 * \u2028, \u2029, quotes and backslashes escaped; text made only of
 * characters with no ink (zero-width, format, separators: tui/label.h) has
 * each non-ASCII one as \uXXXX. Stops after max_cols display cells with
 * "...". Returns the cells written. */
size_t mt_print_escaped(FILE *f, const char *s, size_t n, size_t max_cols);

/* s as one line of text for a message, a table or a chart: C0 and C1
 * controls (newlines too) and invalid bytes as \xNN, U+2028 and U+2029 as
 * \u2028, \u2029, everything else as it is; cut to fit cap (NUL included).
 * Returns out. */
const char *mt_one_line(const char *s, char *out, size_t cap);

#endif
