/* A token's bytes as a short visible label: a space shows as a middle dot,
 * a newline as a return arrow, a tab as a right arrow, other controls as
 * \xNN, bytes that are not UTF-8 alone in hex (\xNN), wide glyphs as they
 * are; U+2028 and U+2029 always as \u2028, \u2029. A token made only of
 * code points that show no ink (zero-width, format, invisible or separator
 * characters: U+200B, U+200D, U+FEFF, U+FE0F, U+202E, U+00A0, a lone
 * combining mark ...; engine/unicode_class.h's mt_uc_blank) spells each
 * non-ASCII one as \uXXXX (lowercase hex), so no label is ever blank. With
 * ascii set, only ASCII comes out (spaces as '_', the rest as \uXXXX). */
#ifndef MT_LABEL_H
#define MT_LABEL_H

#include <stdbool.h>
#include <stddef.h>

/* Writes a NUL-terminated label of at most max_cells display cells (ending in
 * an ellipsis when cut) into out (cap bytes). */
void mt_token_label(const char *bytes, size_t len, bool ascii, int max_cells, char *out, size_t cap);

#endif
