/* One character of a pre-tokenizer's input, with its class: shared by the
 * pre-tokenizers (pretok.c, pretok_gpt2.c); not a public interface. */
#ifndef MT_PRETOK_CHAR_H
#define MT_PRETOK_CHAR_H

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

#endif
