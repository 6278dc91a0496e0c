#include "text.h"

#include <stdbool.h>
#include <string.h>

#include "engine/unicode_class.h"
#include "engine/utf8.h"

void mt_format_bytes(uint64_t n, char *out, size_t cap) {
    static const char *const unit[] = { "KiB", "MiB", "GiB", "TiB" };
    if (n < 1024) {
        snprintf(out, cap, "%llu B", (unsigned long long)n);
        return;
    }
    double v = (double)n / 1024.0;
    int u = 0;
    while (v >= 1024.0 && u < 3) {
        v /= 1024.0;
        u++;
    }
    snprintf(out, cap, v < 10 ? "%.2f %s" : v < 100 ? "%.1f %s" : "%.0f %s", v, unit[u]);
}

void mt_format_count(uint64_t n, char *out, size_t cap) {
    if (n < 10000) snprintf(out, cap, "%llu", (unsigned long long)n);
    else if (n < 1000000ull) snprintf(out, cap, "%.1f K", (double)n / 1e3);
    else if (n < 1000000000ull) snprintf(out, cap, "%.2f M", (double)n / 1e6);
    else snprintf(out, cap, "%.2f B", (double)n / 1e9);
}

void mt_format_topk(const double *per_layer, uint32_t n_layer, char *out, size_t cap) {
    bool same = true;
    for (uint32_t l = 1; l < n_layer; l++) same &= per_layer[l] == per_layer[0];
    size_t o = (size_t)snprintf(out, cap, same ? "top-" : "top-k per layer ");
    for (uint32_t l = 0; l < (same ? 1u : n_layer) && o < cap; l++)
        o += (size_t)snprintf(out + o, cap - o, "%s%.3g", l ? "," : "", n_layer ? per_layer[l] : 0.0);
}

size_t mt_print_escaped(FILE *f, const char *s, size_t n, size_t max_cols) {
    const uint8_t *u = (const uint8_t *)s;
    size_t cols = 0;
    bool all_blank = n > 0; /* nothing with ink of its own: spell the invisible characters out */
    for (size_t i = 0; i < n && all_blank;) {
        uint32_t cp;
        i += mt_utf8_next(u + i, n - i, &cp);
        all_blank = cp != MT_UTF8_INVALID && mt_uc_blank(cp);
    }
    for (size_t i = 0; i < n;) {
        if (cols >= max_cols) {
            fputs("...", f);
            return cols + 3;
        }
        uint32_t cp;
        size_t len = mt_utf8_next(u + i, n - i, &cp);
        if (cp == MT_UTF8_INVALID) {
            for (size_t k = 0; k < len; k++) cols += (size_t)fprintf(f, "\\x%02x", u[i + k]);
        } else if (cp == '"' || cp == '\\') cols += (size_t)fprintf(f, "\\%c", (char)cp);
        else if (cp == '\n') cols += (size_t)fprintf(f, "\\n");
        else if (cp == '\t') cols += (size_t)fprintf(f, "\\t");
        else if (cp == '\r') cols += (size_t)fprintf(f, "\\r");
        else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) cols += (size_t)fprintf(f, "\\x%02x", cp);
        else if (cp == 0x2028 || cp == 0x2029 || (all_blank && cp >= 0x80)) cols += (size_t)fprintf(f, "\\u%04x", cp);
        else {
            fwrite(u + i, 1, len, f);
            cols += (size_t)mt_uc_width(cp);
        }
        i += len;
    }
    return cols;
}

const char *mt_one_line(const char *s, char *out, size_t cap) {
    const uint8_t *u = (const uint8_t *)s;
    size_t n = strlen(s), o = 0;
    if (cap == 0) return out;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = mt_utf8_next(u + i, n - i, &cp);
        char piece[16];
        size_t plen;
        if (cp == MT_UTF8_INVALID) {
            plen = 0;
            for (size_t k = 0; k < len && plen + 4 < sizeof piece; k++) plen += (size_t)snprintf(piece + plen, sizeof piece - plen, "\\x%02x", u[i + k]);
        } else if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp < 0xa0)) {
            plen = (size_t)snprintf(piece, sizeof piece, "\\x%02x", cp);
        } else if (cp == 0x2028 || cp == 0x2029) {
            plen = (size_t)snprintf(piece, sizeof piece, "\\u%04x", cp);
        } else {
            memcpy(piece, u + i, len);
            plen = len;
        }
        if (o + plen >= cap) break;
        memcpy(out + o, piece, plen);
        o += plen;
        i += len;
    }
    out[o] = 0;
    return out;
}
