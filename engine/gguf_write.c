#include "gguf_write.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "checked.h"
#include "outfile.h"
#include "quant.h"

typedef struct wkv {
    char *key;
    uint32_t type;
    mt_bytes value; /* encoded value, without the type */
} wkv;

typedef struct wtensor {
    char *name;
    uint32_t type, n_dims;
    uint64_t ne[MT_GGUF_MAX_DIMS];
    const void *data;
} wtensor;

struct mt_gguf_writer {
    uint32_t version, alignment;
    wkv *kvs;
    size_t n_kv, cap_kv;
    wtensor *tensors;
    size_t n_tensors, cap_tensors;
    bool oom;
};

mt_gguf_writer *mt_gguf_writer_new(void) {
    mt_gguf_writer *w = calloc(1, sizeof *w);
    if (w) {
        w->version = 3;
        w->alignment = MT_GGUF_DEFAULT_ALIGNMENT;
    }
    return w;
}

void mt_gguf_writer_free(mt_gguf_writer *w) {
    if (!w) return;
    for (size_t i = 0; i < w->n_kv; i++) {
        free(w->kvs[i].key);
        mt_bytes_free(&w->kvs[i].value);
    }
    for (size_t i = 0; i < w->n_tensors; i++) free(w->tensors[i].name);
    free(w->kvs);
    free(w->tensors);
    free(w);
}

void mt_gguf_writer_set_version(mt_gguf_writer *w, uint32_t version) { w->version = version; }

static bool grow(void **arr, size_t *cap, size_t n, size_t elem) {
    if (n < *cap) return true;
    size_t c = *cap ? *cap * 2 : 16;
    void *p = realloc(*arr, c * elem);
    if (!p) return false;
    *arr = p;
    *cap = c;
    return true;
}

/* The value slot for key: the existing one (emptied) or a new one at the end. */
static mt_bytes *slot(mt_gguf_writer *w, const char *key, uint32_t type) {
    for (size_t i = 0; i < w->n_kv; i++) {
        if (strcmp(w->kvs[i].key, key) == 0) {
            w->kvs[i].type = type;
            w->kvs[i].value.len = 0;
            return &w->kvs[i].value;
        }
    }
    char *k = strdup(key);
    if (!k || !grow((void **)&w->kvs, &w->cap_kv, w->n_kv, sizeof *w->kvs)) {
        free(k);
        w->oom = true;
        return NULL;
    }
    wkv *kv = &w->kvs[w->n_kv++];
    memset(kv, 0, sizeof *kv);
    kv->key = k;
    kv->type = type;
    return &kv->value;
}

void mt_gguf_set_encoded(mt_gguf_writer *w, const char *key, uint32_t type, const void *bytes, size_t n) {
    mt_bytes *b = slot(w, key, type);
    if (b) mt_bytes_put(b, bytes, n);
}

void mt_gguf_set_u32(mt_gguf_writer *w, const char *key, uint32_t v) { mt_gguf_set_encoded(w, key, MT_GGUF_UINT32, &v, 4); }
void mt_gguf_set_i32(mt_gguf_writer *w, const char *key, int32_t v) { mt_gguf_set_encoded(w, key, MT_GGUF_INT32, &v, 4); }
void mt_gguf_set_u64(mt_gguf_writer *w, const char *key, uint64_t v) { mt_gguf_set_encoded(w, key, MT_GGUF_UINT64, &v, 8); }
void mt_gguf_set_f32(mt_gguf_writer *w, const char *key, float v) { mt_gguf_set_encoded(w, key, MT_GGUF_FLOAT32, &v, 4); }

void mt_gguf_set_bool(mt_gguf_writer *w, const char *key, bool v) {
    uint8_t b = v;
    mt_gguf_set_encoded(w, key, MT_GGUF_BOOL, &b, 1);
}

void mt_gguf_set_str(mt_gguf_writer *w, const char *key, const char *v) {
    mt_bytes *b = slot(w, key, MT_GGUF_STRING);
    if (b) mt_bytes_cstr(b, v);
}

void mt_gguf_writer_set_alignment(mt_gguf_writer *w, uint32_t alignment) {
    w->alignment = alignment;
    mt_gguf_set_u32(w, "general.alignment", alignment);
}

static const uint8_t elem_bytes[MT_GGUF_TYPE_COUNT] = { 1, 1, 2, 2, 4, 4, 4, 1, 0, 0, 8, 8, 8 };

void mt_gguf_set_array(mt_gguf_writer *w, const char *key, uint32_t elem_type, const void *elems, uint64_t count) {
    mt_bytes *b = slot(w, key, MT_GGUF_ARRAY);
    if (!b) return;
    mt_bytes_u32(b, elem_type);
    mt_bytes_u64(b, count);
    if (elem_type < MT_GGUF_TYPE_COUNT && elem_bytes[elem_type]) mt_bytes_put(b, elems, (size_t)count * elem_bytes[elem_type]);
}

void mt_gguf_set_str_array(mt_gguf_writer *w, const char *key, const char *const *strs, uint64_t count) {
    mt_bytes *b = slot(w, key, MT_GGUF_ARRAY);
    if (!b) return;
    mt_bytes_u32(b, MT_GGUF_STRING);
    mt_bytes_u64(b, count);
    for (uint64_t i = 0; i < count; i++) mt_bytes_cstr(b, strs[i]);
}

uint64_t mt_gguf_add_tensor(mt_gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                            const uint64_t *ne, const void *data) {
    char *n = strdup(name);
    if (!n || n_dims > MT_GGUF_MAX_DIMS || !grow((void **)&w->tensors, &w->cap_tensors, w->n_tensors, sizeof *w->tensors)) {
        free(n);
        w->oom = true;
        return UINT64_MAX;
    }
    wtensor *t = &w->tensors[w->n_tensors];
    memset(t, 0, sizeof *t);
    t->name = n;
    t->type = type;
    t->n_dims = n_dims;
    for (uint32_t d = 0; d < MT_GGUF_MAX_DIMS; d++) t->ne[d] = d < n_dims ? ne[d] : 1;
    t->data = data;
    return w->n_tensors++;
}

static bool tensor_bytes(const wtensor *t, uint64_t *out) {
    uint64_t rows = 1;
    for (uint32_t d = 1; d < MT_GGUF_MAX_DIMS; d++)
        if (!mt_mul_u64(rows, t->ne[d], &rows)) return false;
    uint64_t row = mt_row_bytes(t->type, t->ne[0]);
    return row != 0 && mt_mul_u64(row, rows, out);
}

/* Output goes to a FILE or to memory through one function. */
typedef struct sink {
    FILE *f;
    mt_bytes *mem;
    uint64_t written;
} sink;

static bool emit(sink *s, const void *p, size_t n) {
    s->written += n;
    if (s->f) return fwrite(p, 1, n, s->f) == n;
    mt_bytes_put(s->mem, p, n);
    return !s->mem->oom;
}

static bool emit_padding(sink *s, uint32_t align) {
    static const uint8_t zeros[64];
    while (s->written % align) {
        uint64_t n = align - s->written % align;
        if (!emit(s, zeros, n < sizeof zeros ? (size_t)n : sizeof zeros)) return false;
    }
    return true;
}

static bool write_all(mt_gguf_writer *w, sink *s, mt_gguf_fill_fn fill, void *ctx, const char *what, mt_err *err) {
    if (w->oom) {
        mt_err_set(err, "%s: out of memory while building the file", what);
        return false;
    }
    mt_bytes head = { 0 };
    mt_bytes_put(&head, "GGUF", 4);
    mt_bytes_u32(&head, w->version);
    mt_bytes_u64(&head, w->n_tensors);
    mt_bytes_u64(&head, w->n_kv);
    for (size_t i = 0; i < w->n_kv; i++) {
        mt_bytes_cstr(&head, w->kvs[i].key);
        mt_bytes_u32(&head, w->kvs[i].type);
        mt_bytes_put(&head, w->kvs[i].value.data, w->kvs[i].value.len);
    }
    uint64_t offset = 0, largest = 0;
    for (size_t i = 0; i < w->n_tensors; i++) {
        const wtensor *t = &w->tensors[i];
        uint64_t nbytes;
        if (!tensor_bytes(t, &nbytes)) {
            mt_err_set(err, "%s: tensor '%s': type %u cannot hold a first dimension of %llu", what, t->name, t->type,
                       (unsigned long long)t->ne[0]);
            mt_bytes_free(&head);
            return false;
        }
        mt_bytes_cstr(&head, t->name);
        mt_bytes_u32(&head, t->n_dims);
        for (uint32_t d = 0; d < t->n_dims; d++) mt_bytes_u64(&head, t->ne[d]);
        mt_bytes_u32(&head, t->type);
        mt_bytes_u64(&head, offset);
        if (!mt_align_up_u64(offset + nbytes, w->alignment, &offset)) offset = UINT64_MAX;
        if (!t->data && nbytes > largest) largest = nbytes;
    }
    bool ok = !head.oom && emit(s, head.data, head.len) && emit_padding(s, w->alignment);
    mt_bytes_free(&head);
    if (!ok) {
        mt_err_set(err, "%s: write failed: %s", what, strerror(errno));
        return false;
    }
    uint8_t *scratch = NULL;
    if (largest && !(scratch = malloc(largest))) {
        mt_err_set(err, "%s: out of memory for a tensor of %llu bytes", what, (unsigned long long)largest);
        return false;
    }
    for (size_t i = 0; i < w->n_tensors && ok; i++) {
        const wtensor *t = &w->tensors[i];
        uint64_t nbytes = 0;
        tensor_bytes(t, &nbytes);
        const void *src = t->data;
        if (!src) {
            if (!fill) {
                mt_err_set(err, "%s: tensor '%s' has no data", what, t->name);
                ok = false;
                break;
            }
            if (!fill(ctx, i, scratch, nbytes, err)) { ok = false; break; }
            src = scratch;
        }
        ok = emit(s, src, (size_t)nbytes) && emit_padding(s, w->alignment);
        if (!ok) mt_err_set(err, "%s: write failed: %s", what, strerror(errno));
    }
    free(scratch);
    return ok;
}

bool mt_gguf_writer_to_bytes(mt_gguf_writer *w, mt_bytes *out, mt_gguf_fill_fn fill, void *ctx, mt_err *err) {
    sink s = { .mem = out };
    return write_all(w, &s, fill, ctx, "(memory)", err);
}

bool mt_gguf_writer_write(mt_gguf_writer *w, const char *path, mt_gguf_fill_fn fill, void *ctx, mt_err *err) {
    mt_outfile out;
    if (!mt_outfile_open(&out, path, err)) return false;
    sink s = { .f = out.f };
    if (!write_all(w, &s, fill, ctx, path, err)) {
        mt_outfile_abort(&out);
        return false;
    }
    return mt_outfile_commit(&out, err);
}

bool mt_gguf_copy_kv(mt_gguf_writer *w, const char *key, const mt_gguf_value *v) {
    bool ok = true;
    uint8_t buf[12];
    switch (v->type) {
    case MT_GGUF_UINT8: case MT_GGUF_INT8: case MT_GGUF_BOOL:
        buf[0] = (uint8_t)(v->type == MT_GGUF_BOOL ? v->v.b : v->v.u);
        mt_gguf_set_encoded(w, key, v->type, buf, 1);
        break;
    case MT_GGUF_UINT16: case MT_GGUF_INT16:
    case MT_GGUF_UINT32: case MT_GGUF_INT32:
    case MT_GGUF_UINT64: case MT_GGUF_INT64: {
        uint64_t u = v->v.u; /* the union's integer bits; little-endian: the low bytes are the value */
        size_t n = v->type <= MT_GGUF_INT16 ? 2 : v->type <= MT_GGUF_INT32 ? 4 : 8;
        memcpy(buf, &u, n);
        mt_gguf_set_encoded(w, key, v->type, buf, n);
        break;
    }
    case MT_GGUF_FLOAT32: {
        float f = (float)v->v.f; /* read from a float: exact */
        mt_gguf_set_encoded(w, key, v->type, &f, 4);
        break;
    }
    case MT_GGUF_FLOAT64:
        mt_gguf_set_encoded(w, key, v->type, &v->v.f, 8);
        break;
    case MT_GGUF_STRING: {
        mt_bytes b = { 0 };
        mt_bytes_str(&b, v->v.str.ptr, (size_t)v->v.str.len);
        ok = !b.oom;
        mt_gguf_set_encoded(w, key, v->type, b.data, b.len);
        mt_bytes_free(&b);
        break;
    }
    default: { /* an array: element type, count, then the elements' bytes as stored */
        mt_bytes b = { 0 };
        mt_bytes_u32(&b, v->v.arr.elem_type);
        mt_bytes_u64(&b, v->v.arr.count);
        mt_bytes_put(&b, v->v.arr.data, (size_t)v->v.arr.nbytes);
        ok = !b.oom;
        mt_gguf_set_encoded(w, key, v->type, b.data, b.len);
        mt_bytes_free(&b);
        break;
    }
    }
    return ok;
}
