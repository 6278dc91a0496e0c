#include "utf8.h"

size_t mt_utf8_next(const uint8_t *s, size_t n, uint32_t *cp) {
    uint8_t b0 = s[0];
    if (b0 < 0x80) {
        *cp = b0;
        return 1;
    }
    size_t len;
    uint32_t c;
    uint8_t lo = 0x80, hi = 0xbf; /* allowed range of the second byte */
    if (b0 >= 0xc2 && b0 <= 0xdf) { len = 2; c = b0 & 0x1f; }
    else if (b0 >= 0xe0 && b0 <= 0xef) {
        len = 3; c = b0 & 0x0f;
        if (b0 == 0xe0) lo = 0xa0;      /* no overlong forms */
        else if (b0 == 0xed) hi = 0x9f; /* no surrogates */
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
        len = 4; c = b0 & 0x07;
        if (b0 == 0xf0) lo = 0x90;
        else if (b0 == 0xf4) hi = 0x8f; /* nothing above U+10FFFF */
    } else {
        *cp = MT_UTF8_INVALID;
        return 1;
    }
    for (size_t i = 1; i < len; i++) {
        uint8_t b = i < n ? s[i] : 0;
        uint8_t min = i == 1 ? lo : 0x80, max = i == 1 ? hi : 0xbf;
        if (i >= n || b < min || b > max) {
            *cp = MT_UTF8_INVALID; /* the maximal subpart is s[0..i) */
            return i;
        }
        c = (c << 6) | (b & 0x3f);
    }
    *cp = c;
    return len;
}

size_t mt_utf8_encode(uint32_t cp, char out[4]) {
    if (cp < 0x80) { out[0] = (char)cp; return 1; }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}
