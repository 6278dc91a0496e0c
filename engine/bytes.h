/* A growable byte buffer with little-endian GGUF encoders: the GGUF writer
 * builds values with it, and tests build deliberately malformed files with it. */
#ifndef MT_BYTES_H
#define MT_BYTES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mt_bytes {
    uint8_t *data;
    size_t len, cap;
    bool oom; /* an append failed; later appends are ignored */
} mt_bytes;

void mt_bytes_free(mt_bytes *b);
void mt_bytes_put(mt_bytes *b, const void *src, size_t n);
void mt_bytes_u8(mt_bytes *b, uint8_t v);
void mt_bytes_u32(mt_bytes *b, uint32_t v);
void mt_bytes_u64(mt_bytes *b, uint64_t v);
void mt_bytes_f32(mt_bytes *b, float v);
/* A GGUF string: u64 length, then the bytes. */
void mt_bytes_str(mt_bytes *b, const char *s, size_t n);
void mt_bytes_cstr(mt_bytes *b, const char *s);
/* Zero bytes up to the next multiple of align. */
void mt_bytes_pad(mt_bytes *b, size_t align);

#endif
