#include "label.h"

#include <stdio.h>
#include <string.h>

#include "engine/unicode_class.h"
#include "engine/utf8.h"

/* True when no code point of the token shows ink of its own (invalid bytes
 * do: they are spelt in hex): its label spells the invisible ones out. */
static bool all_blank(const uint8_t *s, size_t len) {
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += mt_utf8_next(s + i, len - i, &cp);
        if (cp == MT_UTF8_INVALID || !mt_uc_blank(cp)) return false;
    }
    return true;
}

/* Line and paragraph separators (and the C0/C1 controls, spelt \xNN) would
 * break a line of the screen or of a frame file: always spelt out. */
static bool line_breaking(uint32_t cp) { return cp == 0x2028 || cp == 0x2029; }

void mt_token_label(const char *bytes, size_t len, bool ascii, int max_cells, char *out, size_t cap) {
    size_t o = 0;
    int cells = 0;
    const uint8_t *s = (const uint8_t *)bytes;
    bool spell_blank = all_blank(s, len);
    out[0] = 0;
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        size_t n = mt_utf8_next(s + i, len - i, &cp);
        char piece[32];
        int w;
        if (cp == MT_UTF8_INVALID) {
            int k = 0;
            for (size_t b = 0; b < n; b++) k += snprintf(piece + k, sizeof piece - (size_t)k, "\\x%02x", s[i + b]);
            w = k;
        } else if (cp == ' ') {
            snprintf(piece, sizeof piece, "%s", ascii ? "_" : "\xc2\xb7");
            w = 1;
        } else if (cp == '\n') {
            snprintf(piece, sizeof piece, "%s", ascii ? "\\n" : "\xe2\x86\xb5");
            w = ascii ? 2 : 1;
        } else if (cp == '\t') {
            snprintf(piece, sizeof piece, "%s", ascii ? "\\t" : "\xe2\x86\x92");
            w = ascii ? 2 : 1;
        } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            w = snprintf(piece, sizeof piece, "\\x%02x", cp);
        } else if ((ascii && cp >= 0x80) || line_breaking(cp) || (spell_blank && cp >= 0x80)) {
            w = snprintf(piece, sizeof piece, "\\u%04x", cp);
        } else {
            memcpy(piece, s + i, n);
            piece[n] = 0;
            w = mt_uc_width(cp);
        }
        size_t plen = strlen(piece);
        bool last_fits = cells + w <= max_cells && i + n == len;
        if (cells + w > max_cells - 1 && !last_fits) { /* leave room for the ellipsis */
            const char *dots = ascii ? "~" : "\xe2\x80\xa6";
            if (o + strlen(dots) < cap && cells < max_cells) memcpy(out + o, dots, strlen(dots) + 1);
            return;
        }
        if (o + plen >= cap) return;
        memcpy(out + o, piece, plen + 1);
        o += plen;
        cells += w;
        i += n;
    }
}
