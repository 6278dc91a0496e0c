/* A token's bytes as a short visible label: a space shows as a middle dot,
 * a newline as a return arrow, a tab as a right arrow, other controls as
 * \xNN, bytes that are not UTF-8 alone in hex (\xNN), wide glyphs as they
 * are. With ascii set, only ASCII comes out (spaces as '_'). */
#ifndef MT_LABEL_H
#define MT_LABEL_H

#include <stdbool.h>
#include <stddef.h>

/* Writes a NUL-terminated label of at most max_cells display cells (ending in
 * an ellipsis when cut) into out (cap bytes). */
void mt_token_label(const char *bytes, size_t len, bool ascii, int max_cells, char *out, size_t cap);

#endif
