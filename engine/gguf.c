/* GGUF reader: validation at open (see gguf.h), then lookups. */
#include "gguf.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "checked.h"
#include "mapping.h"
#include "name_index.h"
#include "quant.h"

struct mt_gguf {
    char *path;
    const uint8_t *base;
    uint64_t size;
    void *map;   /* our mmap of the file, or NULL for caller-owned memory */
    uint32_t version;
    uint32_t alignment;
    uint64_t data_offset;
    uint64_t n_kv, n_tensors;
    mt_gguf_kv *kvs;
    mt_gguf_tensor *tensors;
    mt_name_index kv_index, tensor_index;
};

static const char *const type_names[MT_GGUF_TYPE_COUNT] = {
    "uint8", "int8", "uint16", "int16", "uint32", "int32", "float32",
    "bool", "string", "array", "uint64", "int64", "float64",
};

/* Bytes of one scalar of each type; 0 for string and array (variable). */
static const uint8_t scalar_size[MT_GGUF_TYPE_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

const char *mt_gguf_type_name(uint32_t type) {
    return type < MT_GGUF_TYPE_COUNT ? type_names[type] : "?";
}

bool mt_str_eq(mt_str s, const char *cstr) {
    size_t n = strlen(cstr);
    return s.len == n && memcmp(s.ptr, cstr, n) == 0;
}

/* ---- parsing ------------------------------------------------------------------ */

typedef struct parser {
    const uint8_t *base;
    uint64_t size;
    uint64_t pos;
    const char *file;
    mt_err *err;
    char what[160]; /* what is being read, for messages: "key 'x'", "tensor 'y'" */
} parser;

/* Copies a name from the file for a message: printable ASCII as is, other bytes
 * as \xNN, cut at ~60 characters. */
static void printable_name(mt_str s, char *out, size_t cap) {
    size_t o = 0;
    for (uint64_t i = 0; i < s.len && o + 5 < cap; i++) {
        unsigned char c = (unsigned char)s.ptr[i];
        if (o > 60) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
        if (c >= 0x20 && c < 0x7f && c != '\'') out[o++] = (char)c;
        else o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
    }
    out[o] = 0;
}

__attribute__((format(printf, 2, 3))) static bool fail(parser *p, const char *fmt, ...) {
    char why[MT_ERR_MAX];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    if (p->what[0]) mt_err_set(p->err, "%s: %s: %s", p->file, p->what, why);
    else mt_err_set(p->err, "%s: %s", p->file, why);
    return false;
}

static bool need(parser *p, uint64_t n, const char *field) {
    if (n > p->size - p->pos)
        return fail(p, "%s (%llu bytes at offset %llu) runs past the end of the file (%llu bytes): truncated?",
                    field, (unsigned long long)n, (unsigned long long)p->pos, (unsigned long long)p->size);
    return true;
}

static bool read_u32(parser *p, uint32_t *out, const char *field) {
    if (!need(p, 4, field)) return false;
    memcpy(out, p->base + p->pos, 4);
    p->pos += 4;
    return true;
}

static bool read_u64(parser *p, uint64_t *out, const char *field) {
    if (!need(p, 8, field)) return false;
    memcpy(out, p->base + p->pos, 8);
    p->pos += 8;
    return true;
}

static bool read_str(parser *p, mt_str *out, uint64_t max_len, const char *field) {
    uint64_t len;
    if (p->size - p->pos < 8) {
        char lenfield[64]; /* built only on failure: this runs for every string */
        snprintf(lenfield, sizeof lenfield, "%s length", field);
        return need(p, 8, lenfield);
    }
    memcpy(&len, p->base + p->pos, 8);
    p->pos += 8;
    if (len > max_len)
        return fail(p, "%s is %llu bytes long, more than the %llu allowed", field, (unsigned long long)len,
                    (unsigned long long)max_len);
    if (!need(p, len, field)) return false;
    out->ptr = (const char *)p->base + p->pos;
    out->len = len;
    p->pos += len;
    return true;
}

static bool parse_value(parser *p, uint32_t type, int depth, mt_gguf_value *out);

/* An array's elements are walked (strings and nested arrays have their own
 * lengths) or, for scalars, bounds-checked as one block. */
static bool parse_array(parser *p, int depth, mt_gguf_array *arr) {
    if (depth >= MT_GGUF_MAX_ARRAY_DEPTH)
        return fail(p, "arrays nested more than %d deep", MT_GGUF_MAX_ARRAY_DEPTH);
    if (!read_u32(p, &arr->elem_type, "array element type")) return false;
    if (arr->elem_type >= MT_GGUF_TYPE_COUNT)
        return fail(p, "unknown array element type %u", arr->elem_type);
    if (!read_u64(p, &arr->count, "array length")) return false;
    /* the smallest encoding of one element: a scalar's size, an empty string's
     * length field, an empty array's type and count */
    uint64_t min_elem = scalar_size[arr->elem_type] ? scalar_size[arr->elem_type]
                        : arr->elem_type == MT_GGUF_STRING ? 8 : 12;
    uint64_t min_bytes;
    if (!mt_mul_u64(arr->count, min_elem, &min_bytes) || min_bytes > p->size - p->pos)
        return fail(p, "array of %llu %s elements needs at least %llu bytes per element, more than the %llu bytes left",
                    (unsigned long long)arr->count, mt_gguf_type_name(arr->elem_type), (unsigned long long)min_elem,
                    (unsigned long long)(p->size - p->pos));
    arr->data = p->base + p->pos;
    uint64_t start = p->pos;
    if (scalar_size[arr->elem_type]) {
        p->pos += min_bytes;
    } else {
        for (uint64_t i = 0; i < arr->count; i++) {
            mt_gguf_value elem;
            if (!parse_value(p, arr->elem_type, depth + 1, &elem)) return false;
        }
    }
    arr->nbytes = p->pos - start;
    return true;
}

static bool parse_value(parser *p, uint32_t type, int depth, mt_gguf_value *out) {
    out->type = type;
    if (type >= MT_GGUF_TYPE_COUNT) return fail(p, "unknown value type %u", type);
    if (type == MT_GGUF_STRING) return read_str(p, &out->v.str, UINT64_MAX, "string");
    if (type == MT_GGUF_ARRAY) return parse_array(p, depth, &out->v.arr);
    uint64_t n = scalar_size[type];
    if (!need(p, n, mt_gguf_type_name(type))) return false;
    const uint8_t *b = p->base + p->pos;
    p->pos += n;
    switch (type) {
    case MT_GGUF_UINT8: out->v.u = b[0]; break;
    case MT_GGUF_INT8: out->v.i = (int8_t)b[0]; break;
    case MT_GGUF_UINT16: { uint16_t x; memcpy(&x, b, 2); out->v.u = x; break; }
    case MT_GGUF_INT16: { int16_t x; memcpy(&x, b, 2); out->v.i = x; break; }
    case MT_GGUF_UINT32: { uint32_t x; memcpy(&x, b, 4); out->v.u = x; break; }
    case MT_GGUF_INT32: { int32_t x; memcpy(&x, b, 4); out->v.i = x; break; }
    case MT_GGUF_UINT64: memcpy(&out->v.u, b, 8); break;
    case MT_GGUF_INT64: memcpy(&out->v.i, b, 8); break;
    case MT_GGUF_FLOAT32: { float x; memcpy(&x, b, 4); out->v.f = x; break; }
    case MT_GGUF_FLOAT64: memcpy(&out->v.f, b, 8); break;
    case MT_GGUF_BOOL:
        if (b[0] > 1) return fail(p, "bool value is %u, not 0 or 1", b[0]);
        out->v.b = b[0] != 0;
        break;
    default: break;
    }
    return true;
}

static bool parse_header(parser *p, mt_gguf *g) {
    if (p->size < 4 || memcmp(p->base, "GGUF", 4) != 0) {
        if (p->size >= 4 && memcmp(p->base, "FUGG", 4) == 0) return fail(p, "byte-swapped GGUF (big-endian) is not supported");
        return fail(p, "not a GGUF file (the first 4 bytes are not \"GGUF\")");
    }
    p->pos = 4;
    if (!read_u32(p, &g->version, "version")) return false;
    if (g->version == 1) return fail(p, "GGUF version 1 is not supported (files from before August 2023: convert them again)");
    if (g->version > 0xffff && (g->version & 0xffff) == 0) return fail(p, "big-endian GGUF (version %u byte-swapped) is not supported", __builtin_bswap32(g->version));
    if (g->version != 2 && g->version != 3) return fail(p, "unknown GGUF version %u (2 and 3 are supported)", g->version);
    if (!read_u64(p, &g->n_tensors, "tensor count")) return false;
    if (!read_u64(p, &g->n_kv, "metadata count")) return false;
    return true;
}

/* Smallest encodings, to bound counts by the bytes left before allocating:
 * a key/value is a length, 1 key byte, a type and a 1-byte value; a tensor info
 * is a length, 1 name byte, n_dims, 1 dim, type and offset. */
#define MIN_KV_BYTES (8 + 1 + 4 + 1)
#define MIN_TENSOR_INFO_BYTES (8 + 1 + 4 + 8 + 4 + 8)

static bool parse_metadata(parser *p, mt_gguf *g) {
    uint64_t min_bytes;
    if (!mt_mul_u64(g->n_kv, MIN_KV_BYTES, &min_bytes) || min_bytes > p->size - p->pos)
        return fail(p, "header claims %llu metadata entries, more than the %llu bytes left can hold: truncated or corrupt?",
                    (unsigned long long)g->n_kv, (unsigned long long)(p->size - p->pos));
    g->kvs = calloc(g->n_kv ? g->n_kv : 1, sizeof *g->kvs);
    if (!g->kvs || !mt_name_index_init(&g->kv_index, g->n_kv)) return fail(p, "out of memory for %llu metadata entries", (unsigned long long)g->n_kv);
    for (uint64_t i = 0; i < g->n_kv; i++) {
        mt_gguf_kv *kv = &g->kvs[i];
        snprintf(p->what, sizeof p->what, "metadata entry %llu", (unsigned long long)i);
        if (!read_str(p, &kv->key, MT_GGUF_MAX_KEY_LEN, "key")) return false;
        if (kv->key.len == 0) return fail(p, "empty key");
        char name[96];
        printable_name(kv->key, name, sizeof name);
        snprintf(p->what, sizeof p->what, "key '%s'", name);
        if (mt_name_index_find(&g->kv_index, g->kvs, sizeof *g->kvs, kv->key) != MT_NAME_NONE) return fail(p, "duplicate key");
        mt_name_index_add(&g->kv_index, g->kvs, sizeof *g->kvs, i);
        uint32_t type;
        if (!read_u32(p, &type, "value type")) return false;
        if (!parse_value(p, type, 0, &kv->value)) return false;
    }
    p->what[0] = 0;
    const mt_gguf_kv *align = mt_gguf_find(g, "general.alignment");
    g->alignment = MT_GGUF_DEFAULT_ALIGNMENT;
    if (align) {
        uint64_t a;
        snprintf(p->what, sizeof p->what, "key 'general.alignment'");
        if (!mt_gguf_value_u64(&align->value, &a)) return fail(p, "is a %s, not an unsigned integer", mt_gguf_type_name(align->value.type));
        if (a == 0 || (a & (a - 1)) || a > (1u << 20)) return fail(p, "alignment %llu is not a power of two up to 1 MiB", (unsigned long long)a);
        g->alignment = (uint32_t)a;
        p->what[0] = 0;
    }
    return true;
}

static bool parse_tensor_info(parser *p, mt_gguf *g, uint64_t i) {
    mt_gguf_tensor *t = &g->tensors[i];
    snprintf(p->what, sizeof p->what, "tensor %llu", (unsigned long long)i);
    if (!read_str(p, &t->name, MT_GGUF_MAX_NAME_LEN, "name")) return false;
    if (t->name.len == 0) return fail(p, "empty name");
    char name[96];
    printable_name(t->name, name, sizeof name);
    snprintf(p->what, sizeof p->what, "tensor '%s'", name);
    if (mt_name_index_find(&g->tensor_index, g->tensors, sizeof *g->tensors, t->name) != MT_NAME_NONE) return fail(p, "duplicate tensor name");
    mt_name_index_add(&g->tensor_index, g->tensors, sizeof *g->tensors, i);
    if (!read_u32(p, &t->n_dims, "dimension count")) return false;
    if (t->n_dims < 1 || t->n_dims > MT_GGUF_MAX_DIMS) return fail(p, "has %u dimensions (1 to %d allowed)", t->n_dims, MT_GGUF_MAX_DIMS);
    t->n_elements = 1;
    for (uint32_t d = 0; d < MT_GGUF_MAX_DIMS; d++) {
        t->ne[d] = 1;
        if (d >= t->n_dims) continue;
        if (!read_u64(p, &t->ne[d], "dimension")) return false;
        if (t->ne[d] == 0) return fail(p, "dimension %u is 0", d);
        if (!mt_mul_u64(t->n_elements, t->ne[d], &t->n_elements) || t->n_elements > (uint64_t)INT64_MAX)
            return fail(p, "shape's element count overflows 63 bits");
    }
    if (!read_u32(p, &t->type, "type")) return false;
    const mt_type_info *info = mt_type_get(t->type);
    if (!info) return fail(p, "unknown tensor type %u", t->type);
    if (t->ne[0] % info->block_size)
        return fail(p, "first dimension %llu is not a multiple of %s's block size %u", (unsigned long long)t->ne[0], info->name, info->block_size);
    uint64_t rows = t->n_elements / t->ne[0];
    if (!mt_mul_u64(mt_row_bytes(t->type, t->ne[0]), rows, &t->nbytes)) return fail(p, "byte size overflows 64 bits");
    if (!read_u64(p, &t->offset, "data offset")) return false;
    if (t->offset % g->alignment) return fail(p, "data offset %llu is not a multiple of the alignment %u", (unsigned long long)t->offset, g->alignment);
    p->what[0] = 0;
    return true;
}

static bool parse_tensors(parser *p, mt_gguf *g) {
    uint64_t min_bytes;
    if (!mt_mul_u64(g->n_tensors, MIN_TENSOR_INFO_BYTES, &min_bytes) || min_bytes > p->size - p->pos)
        return fail(p, "header claims %llu tensors, more than the %llu bytes left can describe: truncated or corrupt?",
                    (unsigned long long)g->n_tensors, (unsigned long long)(p->size - p->pos));
    g->tensors = calloc(g->n_tensors ? g->n_tensors : 1, sizeof *g->tensors);
    if (!g->tensors || !mt_name_index_init(&g->tensor_index, g->n_tensors)) return fail(p, "out of memory for %llu tensors", (unsigned long long)g->n_tensors);
    for (uint64_t i = 0; i < g->n_tensors; i++)
        if (!parse_tensor_info(p, g, i)) return false;

    /* the data section starts at the next multiple of the alignment */
    if (!mt_align_up_u64(p->pos, g->alignment, &g->data_offset)) return fail(p, "data section offset overflows");
    if (g->n_tensors && g->data_offset > p->size)
        return fail(p, "data section would start at %llu, past the end of the file (%llu bytes): truncated?",
                    (unsigned long long)g->data_offset, (unsigned long long)p->size);
    uint64_t data_size = g->data_offset <= p->size ? p->size - g->data_offset : 0;
    for (uint64_t i = 0; i < g->n_tensors; i++) {
        mt_gguf_tensor *t = &g->tensors[i];
        char name[96];
        printable_name(t->name, name, sizeof name);
        snprintf(p->what, sizeof p->what, "tensor '%s'", name);
        uint64_t end;
        if (!mt_add_u64(t->offset, t->nbytes, &end) || end > data_size)
            return fail(p, "data (offset %llu, %llu bytes) runs past the end of the data section (%llu bytes): truncated?",
                        (unsigned long long)t->offset, (unsigned long long)t->nbytes, (unsigned long long)data_size);
        t->data = p->base + g->data_offset + t->offset;
    }
    p->what[0] = 0;
    return true;
}

static mt_gguf *open_bytes(mt_gguf *g, mt_err *err) {
    parser p = { .base = g->base, .size = g->size, .file = g->path, .err = err };
    if (parse_header(&p, g) && parse_metadata(&p, g) && parse_tensors(&p, g)) return g;
    mt_gguf_close(g);
    return NULL;
}

static mt_gguf *new_gguf(const char *name, mt_err *err) {
    mt_gguf *g = calloc(1, sizeof *g);
    if (g) g->path = strdup(name);
    if (!g || !g->path) {
        free(g);
        mt_err_set(err, "%s: out of memory", name);
        return NULL;
    }
    return g;
}

mt_gguf *mt_gguf_open_memory(const void *bytes, size_t size, const char *name, mt_err *err) {
    mt_gguf *g = new_gguf(name, err);
    if (!g) return NULL;
    g->base = bytes;
    g->size = size;
    return open_bytes(g, err);
}

mt_gguf *mt_gguf_open(const char *path, mt_err *err) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK); /* a FIFO is refused below, not waited on for a writer */
    if (fd < 0) {
        mt_err_set(err, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        mt_err_set(err, "%s: not a regular file", path);
        close(fd);
        return NULL;
    }
    if (st.st_size == 0) {
        mt_err_set(err, "%s: empty file, not a GGUF file", path);
        close(fd);
        return NULL;
    }
    void *map = mt_map_file(fd, (uint64_t)st.st_size);
    int mmap_errno = errno;
    close(fd);
    if (map == MAP_FAILED) {
        mt_err_set(err, "%s: cannot map: %s", path, strerror(mmap_errno));
        return NULL;
    }
    mt_gguf *g = new_gguf(path, err);
    if (!g) {
        munmap(map, (size_t)st.st_size);
        return NULL;
    }
    g->base = map;
    g->size = (uint64_t)st.st_size;
    g->map = map;
    return open_bytes(g, err);
}

bool mt_gguf_to_huge_pages(mt_gguf *g, char *why, size_t why_len) {
    if (!g->map) {
        snprintf(why, why_len, "not a mapped file");
        return false;
    }
    return mt_map_to_huge_pages(g->map, g->size, why, why_len);
}

uint64_t mt_gguf_huge_bytes(const mt_gguf *g) { return g->map ? mt_map_huge_bytes(g->map, g->size) : 0; }

void mt_gguf_close(mt_gguf *g) {
    if (!g) return;
    if (g->map) munmap(g->map, (size_t)g->size);
    mt_name_index_free(&g->kv_index);
    mt_name_index_free(&g->tensor_index);
    free(g->kvs);
    free(g->tensors);
    free(g->path);
    free(g);
}

/* ---- accessors ------------------------------------------------------------------ */

const char *mt_gguf_path(const mt_gguf *g) { return g->path; }
uint32_t mt_gguf_version(const mt_gguf *g) { return g->version; }
uint64_t mt_gguf_file_size(const mt_gguf *g) { return g->size; }
uint32_t mt_gguf_alignment(const mt_gguf *g) { return g->alignment; }
uint64_t mt_gguf_data_offset(const mt_gguf *g) { return g->data_offset; }
uint64_t mt_gguf_kv_count(const mt_gguf *g) { return g->n_kv; }
uint64_t mt_gguf_tensor_count(const mt_gguf *g) { return g->n_tensors; }

const mt_gguf_kv *mt_gguf_kv_at(const mt_gguf *g, uint64_t i) { return i < g->n_kv ? &g->kvs[i] : NULL; }
const mt_gguf_tensor *mt_gguf_tensor_at(const mt_gguf *g, uint64_t i) { return i < g->n_tensors ? &g->tensors[i] : NULL; }

const mt_gguf_kv *mt_gguf_find(const mt_gguf *g, const char *key) {
    mt_str k = { key, strlen(key) };
    uint64_t i = mt_name_index_find(&g->kv_index, g->kvs, sizeof *g->kvs, k);
    return i == MT_NAME_NONE ? NULL : &g->kvs[i];
}

const mt_gguf_tensor *mt_gguf_find_tensor(const mt_gguf *g, const char *name) {
    mt_str k = { name, strlen(name) };
    uint64_t i = mt_name_index_find(&g->tensor_index, g->tensors, sizeof *g->tensors, k);
    return i == MT_NAME_NONE ? NULL : &g->tensors[i];
}

bool mt_gguf_value_u64(const mt_gguf_value *v, uint64_t *out) {
    switch (v->type) {
    case MT_GGUF_UINT8: case MT_GGUF_UINT16: case MT_GGUF_UINT32: case MT_GGUF_UINT64: *out = v->v.u; return true;
    case MT_GGUF_INT8: case MT_GGUF_INT16: case MT_GGUF_INT32: case MT_GGUF_INT64:
        if (v->v.i < 0) return false;
        *out = (uint64_t)v->v.i;
        return true;
    default: return false;
    }
}

bool mt_gguf_value_i64(const mt_gguf_value *v, int64_t *out) {
    switch (v->type) {
    case MT_GGUF_UINT8: case MT_GGUF_UINT16: case MT_GGUF_UINT32: case MT_GGUF_UINT64:
        if (v->v.u > (uint64_t)INT64_MAX) return false;
        *out = (int64_t)v->v.u;
        return true;
    case MT_GGUF_INT8: case MT_GGUF_INT16: case MT_GGUF_INT32: case MT_GGUF_INT64: *out = v->v.i; return true;
    default: return false;
    }
}

bool mt_gguf_value_f64(const mt_gguf_value *v, double *out) {
    if (v->type == MT_GGUF_FLOAT32 || v->type == MT_GGUF_FLOAT64) {
        *out = v->v.f;
        return true;
    }
    uint64_t u;
    int64_t i;
    if (mt_gguf_value_i64(v, &i)) { *out = (double)i; return true; }
    if (mt_gguf_value_u64(v, &u)) { *out = (double)u; return true; }
    return false;
}

uint64_t mt_gguf_get_u64(const mt_gguf *g, const char *key, uint64_t def) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    uint64_t v;
    return kv && mt_gguf_value_u64(&kv->value, &v) ? v : def;
}

int64_t mt_gguf_get_i64(const mt_gguf *g, const char *key, int64_t def) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    int64_t v;
    return kv && mt_gguf_value_i64(&kv->value, &v) ? v : def;
}

double mt_gguf_get_f64(const mt_gguf *g, const char *key, double def) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    double v;
    return kv && mt_gguf_value_f64(&kv->value, &v) ? v : def;
}

bool mt_gguf_get_bool(const mt_gguf *g, const char *key, bool def) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    return kv && kv->value.type == MT_GGUF_BOOL ? kv->value.v.b : def;
}

mt_str mt_gguf_get_str(const mt_gguf *g, const char *key, mt_str def) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    return kv && kv->value.type == MT_GGUF_STRING ? kv->value.v.str : def;
}

bool mt_gguf_get_array(const mt_gguf *g, const char *key, mt_gguf_array *out) {
    const mt_gguf_kv *kv = mt_gguf_find(g, key);
    if (!kv || kv->value.type != MT_GGUF_ARRAY) return false;
    *out = kv->value.v.arr;
    return true;
}

mt_gguf_iter mt_gguf_array_iter(const mt_gguf_array *arr) {
    mt_gguf_iter it = { *arr, 0, arr->data };
    return it;
}

bool mt_gguf_iter_next(mt_gguf_iter *it, mt_gguf_value *out) {
    if (it->index >= it->arr.count) return false;
    /* re-parse the element: it was validated at open, so this cannot fail */
    const uint8_t *end = it->arr.data + it->arr.nbytes;
    parser p = { .base = it->pos, .size = (uint64_t)(end - it->pos), .file = "", .err = NULL };
    if (!parse_value(&p, it->arr.elem_type, 1, out)) return false;
    it->pos += p.pos;
    it->index++;
    return true;
}
