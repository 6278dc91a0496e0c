/* One character of a pre-tokenizer's input, with its class: shared by the
 * pre-tokenizers (pretok.c, pretok_gpt2.c); not a public interface. */
#ifndef MT_PRETOK_CHAR_H
#define MT_PRETOK_CHAR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "unicode_class.h"
#include "utf8.h"

typedef struct ch {
    uint32_t cp;  /* MT_UTF8_INVALID for an invalid subpart */
    uint8_t len;  /* bytes */
    uint8_t cls;  /* mt_uc_class */
} ch;

/* The character at byte i < n; an invalid subpart is one character of class
 * MT_UC_OTHER (as U+FFFD would be). */
static inline ch char_at(const uint8_t *s, size_t n, size_t i) {
    ch c;
    if (s[i] < 0x80) {
        c.cp = s[i];
        c.len = 1;
        c.cls = (uint8_t)mt_uc_ascii[s[i]];
        return c;
    }
    c.len = (uint8_t)mt_utf8_next(s + i, n - i, &c.cp);
    c.cls = (uint8_t)(c.cp == MT_UTF8_INVALID ? MT_UC_OTHER : mt_uc_class_of(c.cp));
    return c;
}

static inline bool pretok_is_letter(uint8_t cls) { return cls == MT_UC_UPPER || cls == MT_UC_LOWER || cls == MT_UC_LETTER; }
static inline bool pretok_is_crlf(uint32_t cp) { return cp == '\r' || cp == '\n'; }

/* A whitespace run at pos (a whitespace character), the end of the piece it
 * makes: \s*[\r\n]+ when crlf (the run's last CR or LF), else \s+(?!\S)
 * (all but the last space, unless the run is one character or ends the
 * text), else \s+. Shared by o200k, Qwen2 (crlf) and GPT-2 (no crlf). */
static inline size_t pretok_spaces(const uint8_t *s, size_t n, size_t pos, bool crlf) {
    size_t e = pos, last_crlf_end = 0, last_char = pos;
    int chars = 0;
    while (e < n) {
        ch c = char_at(s, n, e);
        if (c.cls != MT_UC_SPACE) break;
        last_char = e;
        e += c.len;
        chars++;
        if (pretok_is_crlf(c.cp)) last_crlf_end = e;
    }
    if (crlf && last_crlf_end) return last_crlf_end;
    if (e == n || chars == 1) return e;
    return last_char; /* leave the last space to the next piece */
}

#endif
