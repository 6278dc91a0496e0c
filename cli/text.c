#include "text.h"

#include <stdbool.h>

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
        else {
            fwrite(u + i, 1, len, f);
            cols++;
        }
        i += len;
    }
    return cols;
}
