#include "bytes.h"

#include <stdlib.h>
#include <string.h>

void mt_bytes_free(mt_bytes *b) {
    free(b->data);
    memset(b, 0, sizeof *b);
}

void mt_bytes_put(mt_bytes *b, const void *src, size_t n) {
    if (b->oom || n == 0) return;
    if (n > b->cap - b->len) {
        size_t cap = b->cap ? b->cap : 256;
        while (cap - b->len < n) {
            if (cap > SIZE_MAX / 2) { b->oom = true; return; }
            cap *= 2;
        }
        uint8_t *p = realloc(b->data, cap);
        if (!p) { b->oom = true; return; }
        b->data = p;
        b->cap = cap;
    }
    memcpy(b->data + b->len, src, n);
    b->len += n;
}

/* This project targets little-endian hosts (x86-64, arm64), as GGUF files are. */
void mt_bytes_u8(mt_bytes *b, uint8_t v) { mt_bytes_put(b, &v, 1); }
void mt_bytes_u32(mt_bytes *b, uint32_t v) { mt_bytes_put(b, &v, 4); }
void mt_bytes_u64(mt_bytes *b, uint64_t v) { mt_bytes_put(b, &v, 8); }
void mt_bytes_f32(mt_bytes *b, float v) { mt_bytes_put(b, &v, 4); }

void mt_bytes_str(mt_bytes *b, const char *s, size_t n) {
    mt_bytes_u64(b, n);
    mt_bytes_put(b, s, n);
}

void mt_bytes_cstr(mt_bytes *b, const char *s) { mt_bytes_str(b, s, strlen(s)); }

void mt_bytes_pad(mt_bytes *b, size_t align) {
    static const uint8_t zeros[64];
    while (b->len % align) {
        size_t n = align - b->len % align;
        mt_bytes_put(b, zeros, n < sizeof zeros ? n : sizeof zeros);
        if (b->oom) return;
    }
}
