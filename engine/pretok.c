#include "pretok.h"

#include <stdbool.h>

#include "pretok_char.h"

/* [\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}] */
static bool in_upper_run(uint8_t cls) { return cls == MT_UC_UPPER || cls == MT_UC_LETTER || cls == MT_UC_MARK; }
/* [\p{Ll}\p{Lm}\p{Lo}\p{M}] */
static bool in_lower_run(uint8_t cls) { return cls == MT_UC_LOWER || cls == MT_UC_LETTER || cls == MT_UC_MARK; }
/* [^\r\n\p{L}\p{N}]: the optional character before a word */
static bool is_word_prefix(ch c) { return !pretok_is_crlf(c.cp) && !pretok_is_letter(c.cls) && c.cls != MT_UC_NUMBER; }
/* [^\s\p{L}\p{N}]: punctuation, symbols, marks, controls, invalid bytes */
static bool is_punct(uint8_t cls) { return cls == MT_UC_OTHER || cls == MT_UC_MARK; }

/* (?i:'s|'t|'re|'ve|'m|'ll|'d) at pos: its length, or 0. Case-insensitive
 * with Unicode simple case folding: only 's' has a non-ASCII variant (U+017F). */
static size_t contraction(const uint8_t *s, size_t n, size_t pos) {
    if (pos >= n || s[pos] != '\'') return 0;
    static const char *const forms[] = { "s", "t", "re", "ve", "m", "ll", "d" };
    for (size_t f = 0; f < sizeof forms / sizeof *forms; f++) {
        size_t i = pos + 1;
        const char *p = forms[f];
        for (; *p && i < n; p++) {
            ch c = char_at(s, n, i);
            uint32_t lower = c.cp < 128 && c.cp >= 'A' && c.cp <= 'Z' ? c.cp + 32 : c.cp;
            if (lower == 0x17F) lower = 's';
            if (lower != (uint32_t)*p) break;
            i += c.len;
        }
        if (!*p) return i - pos;
    }
    return 0;
}

/* Alternatives 1 and 2: a word. upper_first selects alternative 2. */
static size_t word(const uint8_t *s, size_t n, size_t pos, bool upper_first) {
    ch c0 = char_at(s, n, pos);
    for (int with_prefix = is_word_prefix(c0) ? 1 : 0; with_prefix >= 0; with_prefix--) {
        size_t start = pos + (with_prefix ? c0.len : 0);
        /* the greedy [upper]* run, remembering its last character that is
         * also in [lower] (where backtracking would let [lower]+ begin) */
        size_t e = start, last_both = SIZE_MAX;
        while (e < n) {
            ch c = char_at(s, n, e);
            if (!in_upper_run(c.cls)) break;
            if (in_lower_run(c.cls)) last_both = e;
            e += c.len;
        }
        size_t lower_start;
        if (upper_first) {
            if (e == start) continue; /* [upper]+ needs one */
            lower_start = e;
        } else if (e < n && in_lower_run(char_at(s, n, e).cls)) {
            lower_start = e;
        } else if (last_both != SIZE_MAX) {
            lower_start = last_both;
        } else {
            continue; /* [lower]+ cannot match */
        }
        size_t end = lower_start;
        while (end < n) {
            ch c = char_at(s, n, end);
            if (!in_lower_run(c.cls)) break;
            end += c.len;
        }
        return end + contraction(s, n, end);
    }
    return 0;
}

size_t mt_pretok_o200k(const uint8_t *s, size_t n, size_t pos) {
    ch c0 = char_at(s, n, pos);
    size_t end;
    if ((end = word(s, n, pos, false)) || (end = word(s, n, pos, true))) return end;
    if (c0.cls == MT_UC_NUMBER) { /* 3: \p{N}{1,3} */
        end = pos;
        for (int k = 0; k < 3 && end < n; k++) {
            ch c = char_at(s, n, end);
            if (c.cls != MT_UC_NUMBER) break;
            end += c.len;
        }
        return end;
    }
    if (c0.cls != MT_UC_SPACE || (c0.cp == ' ' && pos + 1 < n && is_punct(char_at(s, n, pos + 1).cls))) {
        /* 4: " ?[^\s\p{L}\p{N}]+[\r\n/]*" */
        end = pos + (c0.cp == ' ' ? 1 : 0);
        size_t run_start = end;
        while (end < n) {
            ch c = char_at(s, n, end);
            if (!is_punct(c.cls)) break;
            end += c.len;
        }
        if (end > run_start) {
            while (end < n && (s[end] == '\r' || s[end] == '\n' || s[end] == '/')) end++;
            return end;
        }
    }
    /* 5, 6, 7: a whitespace run (\s*[\r\n]+, \s+(?!\S), \s+) */
    size_t run_end = pretok_spaces(s, n, pos, true);
    return run_end > pos ? run_end : pos + c0.len; /* (no run: unreachable, every class is covered above) */
}
