/* The GPT-2 and Qwen2 pre-tokenizers (see pretok.h for their patterns). */
#include <stdbool.h>

#include "pretok.h"
#include "pretok_char.h"

/* [^\s\p{L}\p{N}]: punctuation, symbols, marks, controls, invalid bytes */
static bool is_other(uint8_t cls) { return cls == MT_UC_OTHER || cls == MT_UC_MARK; }

/* '[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD] at pos (ASCII only;
 * any_case false: lower case only, GPT-2's 's|'t|...): its length, or 0. */
static size_t contraction(const uint8_t *s, size_t n, size_t pos, bool any_case) {
    if (pos + 1 >= n || s[pos] != '\'') return 0;
    static const char *const forms[] = { "s", "t", "re", "ve", "m", "ll", "d" };
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        size_t i = pos + 1;
        const char *p = forms[f];
        for (; *p && i < n; p++, i++) {
            uint8_t c = s[i];
            if (any_case && c >= 'A' && c <= 'Z') c = (uint8_t)(c + 32);
            if (c != (uint8_t)*p) break;
        }
        if (!*p) return i - pos;
    }
    return 0;
}

/* The end of the run of characters from pos whose class passes keep. */
static size_t run(const uint8_t *s, size_t n, size_t pos, bool (*keep)(uint8_t)) {
    while (pos < n) {
        ch c = char_at(s, n, pos);
        if (!keep(c.cls)) break;
        pos += c.len;
    }
    return pos;
}

static bool is_number(uint8_t cls) { return cls == MT_UC_NUMBER; }

size_t mt_pretok_qwen2(const uint8_t *s, size_t n, size_t pos) {
    size_t end = contraction(s, n, pos, true);
    if (end) return pos + end;
    ch c0 = char_at(s, n, pos);
    if (pretok_is_letter(c0.cls)) return run(s, n, pos + c0.len, pretok_is_letter);
    if (!pretok_is_crlf(c0.cp) && c0.cls != MT_UC_NUMBER && pos + c0.len < n && pretok_is_letter(char_at(s, n, pos + c0.len).cls))
        return run(s, n, pos + c0.len, pretok_is_letter); /* [^\r\n\p{L}\p{N}]?\p{L}+ */
    if (c0.cls == MT_UC_NUMBER) return pos + c0.len;
    size_t start = pos + (c0.cp == ' ' ? 1 : 0);
    if (start < n && is_other(char_at(s, n, start).cls)) {
        end = run(s, n, start, is_other); /*  ?[^\s\p{L}\p{N}]+[\r\n]* */
        while (end < n && (s[end] == '\r' || s[end] == '\n')) end++;
        return end;
    }
    return pretok_spaces(s, n, pos, true);
}

size_t mt_pretok_gpt2(const uint8_t *s, size_t n, size_t pos) {
    size_t end = contraction(s, n, pos, false);
    if (end) return pos + end;
    ch c0 = char_at(s, n, pos);
    size_t start = pos + (c0.cp == ' ' && pos + 1 < n ? 1 : 0);
    ch c1 = start < n ? char_at(s, n, start) : c0;
    if (start == pos || c1.cls != MT_UC_SPACE) {
        /* " ?" takes the space only when what follows can complete the alternative */
        if (pretok_is_letter(c1.cls)) return run(s, n, start, pretok_is_letter);       /*  ?\p{L}+ */
        if (c1.cls == MT_UC_NUMBER) return run(s, n, start, is_number);  /*  ?\p{N}+ */
        if (is_other(c1.cls)) return run(s, n, start, is_other);          /*  ?[^\s\p{L}\p{N}]+ */
    }
    if (c0.cls != MT_UC_SPACE) return pos + c0.len; /* unreachable: every class is covered */
    return pretok_spaces(s, n, pos, false);
}
