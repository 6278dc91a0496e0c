/* A JSON writer into a memory buffer: the command builds its whole answer and
 * writes it at once, so a failure never leaves half a JSON document on stdout.
 * Commas are placed automatically; keys and values alternate inside objects. */
#ifndef MT_JSON_H
#define MT_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "engine/bytes.h"

#define MT_JSON_MAX_DEPTH 32

typedef struct mt_json {
    mt_bytes out;
    int depth;
    bool need_comma[MT_JSON_MAX_DEPTH];
    bool after_key;
} mt_json;

void mt_json_begin_object(mt_json *j);
void mt_json_end_object(mt_json *j);
void mt_json_begin_array(mt_json *j);
void mt_json_end_array(mt_json *j);
void mt_json_key(mt_json *j, const char *key);
/* A key from bytes (invalid UTF-8 becomes U+FFFD, as in strings). */
void mt_json_key_n(mt_json *j, const char *key, size_t n);
/* Bytes as a JSON string: invalid UTF-8 becomes U+FFFD per maximal subpart. */
void mt_json_string_n(mt_json *j, const char *s, size_t n);
void mt_json_string(mt_json *j, const char *s);
/* Bytes as a string of lowercase hex digits, two per byte. */
void mt_json_hex(mt_json *j, const void *bytes, size_t n);
void mt_json_u64(mt_json *j, uint64_t v);
void mt_json_i64(mt_json *j, int64_t v);
/* Shortest decimal that reads back as the same float32 / float64; NaN and
 * infinities (not JSON) as null. */
void mt_json_f32(mt_json *j, float v);
void mt_json_f64(mt_json *j, double v);
void mt_json_bool(mt_json *j, bool v);
void mt_json_null(mt_json *j);
/* A key and its value in one call (the usual pair inside an object). */
void mt_json_kv_u64(mt_json *j, const char *key, uint64_t v);
void mt_json_kv_f64(mt_json *j, const char *key, double v);
void mt_json_kv_str(mt_json *j, const char *key, const char *s);
/* Writes the document and a newline to stdout and frees it: 0, or exit
 * code 1 after printing the error when the write failed. */
int mt_json_finish(mt_json *j);
/* The same into a file (replaced whole, never half-written); path NULL or "-": stdout. */
int mt_json_finish_to(mt_json *j, const char *path);
void mt_json_free(mt_json *j);

/* True when s[0..n) has an invalid UTF-8 sequence. */
bool mt_json_has_invalid_utf8(const char *s, size_t n);

#endif
