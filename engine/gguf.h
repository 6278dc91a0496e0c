/* GGUF reader: the file is mmap'd read-only and everything in it is checked
 * once, at open, with overflow-safe arithmetic against the file size. After a
 * successful open every pointer handed out lies inside the mapping, so callers
 * never re-check bounds.
 *
 * Layout (little-endian; versions 2 and 3 share it):
 *   "GGUF" u32 version, u64 n_tensors, u64 n_kv
 *   n_kv x   { string key, u32 value_type, value }
 *   n_tensors x { string name, u32 n_dims, u64 ne[n_dims], u32 type, u64 offset }
 *   padding to general.alignment (default 32), then the data section;
 *   each tensor's offset is relative to the data section and aligned.
 *   A string is u64 length + bytes (no terminator); an array is u32 element
 *   type + u64 count + elements (arrays may nest). */
#ifndef MT_GGUF_H
#define MT_GGUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

/* Limits that bound what a hostile file can make the reader do. Counts need no
 * separate cap: each entry occupies bytes of the file, so a count is checked
 * against the bytes left before anything is allocated for it. */
#define MT_GGUF_MAX_DIMS 4
#define MT_GGUF_MAX_ARRAY_DEPTH 8      /* arrays of arrays of ... */
#define MT_GGUF_MAX_KEY_LEN 65535      /* the GGUF specification's limit */
#define MT_GGUF_MAX_NAME_LEN 255       /* tensor names (llama.cpp writes < 64) */
#define MT_GGUF_DEFAULT_ALIGNMENT 32

enum mt_gguf_type {
    MT_GGUF_UINT8 = 0,
    MT_GGUF_INT8 = 1,
    MT_GGUF_UINT16 = 2,
    MT_GGUF_INT16 = 3,
    MT_GGUF_UINT32 = 4,
    MT_GGUF_INT32 = 5,
    MT_GGUF_FLOAT32 = 6,
    MT_GGUF_BOOL = 7,
    MT_GGUF_STRING = 8,
    MT_GGUF_ARRAY = 9,
    MT_GGUF_UINT64 = 10,
    MT_GGUF_INT64 = 11,
    MT_GGUF_FLOAT64 = 12,
    MT_GGUF_TYPE_COUNT
};

/* "uint32", "string", ... ; "?" for an unknown id. */
const char *mt_gguf_type_name(uint32_t type);

/* Bytes in the mapping: not NUL-terminated, not necessarily valid UTF-8. */
typedef struct mt_str {
    const char *ptr;
    uint64_t len;
} mt_str;

bool mt_str_eq(mt_str s, const char *cstr);

typedef struct mt_gguf_array {
    uint32_t elem_type;
    uint64_t count;
    const uint8_t *data; /* first element's bytes */
    uint64_t nbytes;     /* all elements' bytes */
} mt_gguf_array;

typedef struct mt_gguf_value {
    uint32_t type;
    union {
        uint64_t u;   /* UINT8..UINT64 */
        int64_t i;    /* INT8..INT64 */
        double f;     /* FLOAT32, FLOAT64 */
        bool b;       /* BOOL */
        mt_str str;   /* STRING */
        mt_gguf_array arr;
    } v;
} mt_gguf_value;

typedef struct mt_gguf_kv {
    mt_str key;
    mt_gguf_value value;
} mt_gguf_kv;

typedef struct mt_gguf_tensor {
    mt_str name;
    uint32_t type;    /* ggml type id (quant.h) */
    uint32_t n_dims;
    uint64_t ne[MT_GGUF_MAX_DIMS]; /* GGUF order: ne[0] is contiguous; unused dims are 1 */
    uint64_t n_elements;
    uint64_t offset;  /* from the start of the data section */
    uint64_t nbytes;
    const void *data; /* inside the mapping */
} mt_gguf_tensor;

typedef struct mt_gguf mt_gguf;

/* Opens and validates path. NULL on failure, with err set to
 * "<path>: <why>" naming the key or tensor concerned. */
mt_gguf *mt_gguf_open(const char *path, mt_err *err);
/* Same checks over bytes the caller owns (kept alive until close); name is
 * used in messages. Used by the fuzzers and tests. */
mt_gguf *mt_gguf_open_memory(const void *bytes, size_t size, const char *name, mt_err *err);
void mt_gguf_close(mt_gguf *g);
/* Moves an opened file's bytes into memory backed by huge pages, at the same
 * addresses (mapping.h: every pointer from this reader stays valid). False,
 * with why set and nothing changed, when it cannot (or for open_memory). */
bool mt_gguf_to_huge_pages(mt_gguf *g, char *why, size_t why_len);
/* Bytes of the file's memory that huge pages back now (0 when unknown). */
uint64_t mt_gguf_huge_bytes(const mt_gguf *g);

const char *mt_gguf_path(const mt_gguf *g);
uint32_t mt_gguf_version(const mt_gguf *g);
uint64_t mt_gguf_file_size(const mt_gguf *g);
uint32_t mt_gguf_alignment(const mt_gguf *g);
uint64_t mt_gguf_data_offset(const mt_gguf *g); /* absolute */

uint64_t mt_gguf_kv_count(const mt_gguf *g);
const mt_gguf_kv *mt_gguf_kv_at(const mt_gguf *g, uint64_t i);
const mt_gguf_kv *mt_gguf_find(const mt_gguf *g, const char *key);

uint64_t mt_gguf_tensor_count(const mt_gguf *g);
const mt_gguf_tensor *mt_gguf_tensor_at(const mt_gguf *g, uint64_t i);
const mt_gguf_tensor *mt_gguf_find_tensor(const mt_gguf *g, const char *name);

/* Value conversions: false when the value's type cannot represent the request
 * (a string as a number, a negative as unsigned, an integer too large). */
bool mt_gguf_value_u64(const mt_gguf_value *v, uint64_t *out);
bool mt_gguf_value_i64(const mt_gguf_value *v, int64_t *out);
bool mt_gguf_value_f64(const mt_gguf_value *v, double *out); /* floats and integers */

/* Typed getters with defaults: the default when the key is absent or its value
 * does not convert. */
uint64_t mt_gguf_get_u64(const mt_gguf *g, const char *key, uint64_t def);
int64_t mt_gguf_get_i64(const mt_gguf *g, const char *key, int64_t def);
double mt_gguf_get_f64(const mt_gguf *g, const char *key, double def);
bool mt_gguf_get_bool(const mt_gguf *g, const char *key, bool def);
mt_str mt_gguf_get_str(const mt_gguf *g, const char *key, mt_str def);
/* False when absent or not an array. */
bool mt_gguf_get_array(const mt_gguf *g, const char *key, mt_gguf_array *out);

/* Walks an array's elements in order (the file was validated at open). */
typedef struct mt_gguf_iter {
    mt_gguf_array arr;
    uint64_t index;
    const uint8_t *pos;
} mt_gguf_iter;

mt_gguf_iter mt_gguf_array_iter(const mt_gguf_array *arr);
bool mt_gguf_iter_next(mt_gguf_iter *it, mt_gguf_value *out);

#endif
