/* UTF-8 decoding with the Unicode "maximal subpart" rule for invalid input:
 * each maximal prefix of a well-formed sequence that is cut short, and each
 * byte that cannot start one, is one error (one U+FFFD when displayed), the
 * same as Python's decode(errors="replace") and WHATWG's decoder. */
#ifndef MT_UTF8_H
#define MT_UTF8_H

#include <stddef.h>
#include <stdint.h>

#define MT_UTF8_REPLACEMENT 0xFFFDu

/* Decodes one code point from s[0..n) (n >= 1). Returns the bytes consumed
 * (1..4); *cp is the code point, or MT_UTF8_INVALID for an invalid subpart. */
#define MT_UTF8_INVALID 0xFFFFFFFFu
size_t mt_utf8_next(const uint8_t *s, size_t n, uint32_t *cp);

/* Encodes cp (<= 0x10FFFF) into out; returns 1..4. */
size_t mt_utf8_encode(uint32_t cp, char out[4]);

#endif
