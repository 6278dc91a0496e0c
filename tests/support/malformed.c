#include "malformed.h"

#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/quant.h"

/* ---- raw encoders ------------------------------------------------------------- */

static void header(mt_bytes *b, const char *magic, uint32_t version, uint64_t n_tensors, uint64_t n_kv) {
    mt_bytes_put(b, magic, 4);
    mt_bytes_u32(b, version);
    mt_bytes_u64(b, n_tensors);
    mt_bytes_u64(b, n_kv);
}

static void kv_str(mt_bytes *b, const char *key, const char *v) {
    mt_bytes_cstr(b, key);
    mt_bytes_u32(b, MT_GGUF_STRING);
    mt_bytes_cstr(b, v);
}

static void kv_u32(mt_bytes *b, const char *key, uint32_t v) {
    mt_bytes_cstr(b, key);
    mt_bytes_u32(b, MT_GGUF_UINT32);
    mt_bytes_u32(b, v);
}

static void tensor_info(mt_bytes *b, const char *name, uint32_t n_dims, const uint64_t *ne, uint32_t type, uint64_t offset) {
    mt_bytes_cstr(b, name);
    mt_bytes_u32(b, n_dims);
    for (uint32_t d = 0; d < n_dims; d++) mt_bytes_u64(b, ne[d]);
    mt_bytes_u32(b, type);
    mt_bytes_u64(b, offset);
}

static void zeros(mt_bytes *b, size_t n) {
    while (n--) mt_bytes_u8(b, 0);
}

/* The control's metadata, written n_kv = 5 entries. */
static void control_kvs(mt_bytes *b) {
    kv_str(b, "general.architecture", "gpt-oss");
    kv_u32(b, "general.alignment", 32);
    mt_bytes_cstr(b, "test.array");
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u32(b, MT_GGUF_UINT32);
    mt_bytes_u64(b, 3);
    for (uint32_t i = 1; i <= 3; i++) mt_bytes_u32(b, i);
    mt_bytes_cstr(b, "test.nested"); /* [[1, 2], [3]] as int8 */
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u64(b, 2);
    mt_bytes_u32(b, MT_GGUF_INT8);
    mt_bytes_u64(b, 2);
    mt_bytes_u8(b, 1);
    mt_bytes_u8(b, 2);
    mt_bytes_u32(b, MT_GGUF_INT8);
    mt_bytes_u64(b, 1);
    mt_bytes_u8(b, 3);
    mt_bytes_cstr(b, "test.float");
    mt_bytes_u32(b, MT_GGUF_FLOAT32);
    mt_bytes_f32(b, 1.5f);
}

static const uint64_t ne_a[2] = { 32, 2 }; /* F32: 256 bytes at offset 0 */
static const uint64_t ne_b[1] = { 64 };    /* Q8_0: 68 bytes at offset 256 */

static void control_tensors(mt_bytes *b) {
    tensor_info(b, "a", 2, ne_a, MT_TYPE_F32, 0);
    tensor_info(b, "b", 1, ne_b, MT_TYPE_Q8_0, 256);
}

static void control_data(mt_bytes *b) {
    mt_bytes_pad(b, 32);
    for (int i = 0; i < 64; i++) mt_bytes_f32(b, (float)i * 0.25f);
    for (int blk = 0; blk < 2; blk++) {
        mt_bytes_u8(b, 0x00);
        mt_bytes_u8(b, 0x3c); /* d = 1.0 in f16 */
        for (int j = 0; j < 32; j++) mt_bytes_u8(b, (uint8_t)(j - 16));
    }
    mt_bytes_pad(b, 32);
}

void malformed_valid_control(mt_bytes *out) {
    memset(out, 0, sizeof *out);
    header(out, "GGUF", 3, 2, 5);
    control_kvs(out);
    control_tensors(out);
    control_data(out);
}

size_t malformed_control_data_end(void) {
    mt_bytes b;
    malformed_valid_control(&b);
    mt_gguf *g = mt_gguf_open_memory(b.data, b.len, "control", NULL);
    size_t end = 0;
    if (g) {
        const mt_gguf_tensor *last = mt_gguf_tensor_at(g, mt_gguf_tensor_count(g) - 1);
        end = (size_t)(mt_gguf_data_offset(g) + last->offset + last->nbytes);
        mt_gguf_close(g);
    }
    mt_bytes_free(&b);
    return end;
}

/* ---- the corpus --------------------------------------------------------------------- */

typedef struct corpus {
    malformed_case *cases;
    int n, cap;
} corpus;

static mt_bytes *add(corpus *c, const char *name, const char *expect) {
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 32;
        c->cases = realloc(c->cases, (size_t)c->cap * sizeof *c->cases);
        if (!c->cases) abort();
    }
    malformed_case *m = &c->cases[c->n++];
    memset(m, 0, sizeof *m);
    m->name = name;
    m->expect = expect;
    return &m->bytes;
}

/* A file whose only metadata entry is the given raw value after key "k". */
static mt_bytes *one_kv(corpus *c, const char *name, const char *expect) {
    mt_bytes *b = add(c, name, expect);
    header(b, "GGUF", 3, 0, 1);
    mt_bytes_cstr(b, "k");
    return b;
}

/* A file with valid metadata and one tensor described by the arguments. */
static void one_tensor(corpus *c, const char *name, const char *expect, uint32_t n_dims, const uint64_t *ne, uint32_t type,
                       uint64_t offset, size_t data_bytes) {
    mt_bytes *b = add(c, name, expect);
    header(b, "GGUF", 3, 1, 1);
    kv_str(b, "general.architecture", "gpt-oss");
    tensor_info(b, "t", n_dims, ne, type, offset);
    mt_bytes_pad(b, 32);
    zeros(b, data_bytes);
}

int malformed_corpus(malformed_case **out) {
    corpus c = { 0 };
    mt_bytes *b;

    b = add(&c, "bad-magic", "not a GGUF file");
    header(b, "GGUG", 3, 0, 0);
    b = add(&c, "text-file", "not a GGUF file");
    mt_bytes_put(b, "hello, world\n", 13);
    b = add(&c, "too-short", "runs past the end");
    mt_bytes_put(b, "GGUF\3", 5);
    b = add(&c, "version-1", "version 1 is not supported");
    header(b, "GGUF", 1, 0, 0);
    b = add(&c, "version-99", "unknown GGUF version 99");
    header(b, "GGUF", 99, 0, 0);
    b = add(&c, "big-endian", "big-endian");
    header(b, "GGUF", 3u << 24, 0, 0);
    b = add(&c, "huge-kv-count", "metadata entries");
    header(b, "GGUF", 3, 0, UINT64_MAX / 2);
    b = add(&c, "huge-tensor-count", "tensors, more than");
    header(b, "GGUF", 3, 1ull << 40, 0);

    b = add(&c, "huge-key-length", "key");
    header(b, "GGUF", 3, 0, 1);
    mt_bytes_u64(b, 1ull << 62);
    b = add(&c, "key-past-end", "runs past the end");
    header(b, "GGUF", 3, 0, 1);
    mt_bytes_u64(b, 1000);
    zeros(b, 50);
    b = add(&c, "empty-key", "empty key");
    header(b, "GGUF", 3, 0, 1);
    mt_bytes_u64(b, 0);
    mt_bytes_u32(b, MT_GGUF_UINT8);
    mt_bytes_u8(b, 0);
    mt_bytes_u8(b, 0);
    b = add(&c, "duplicate-key", "duplicate key");
    header(b, "GGUF", 3, 0, 2);
    kv_u32(b, "a.b", 1);
    kv_u32(b, "a.b", 2);

    b = one_kv(&c, "unknown-value-type", "unknown value type 13");
    mt_bytes_u32(b, 13);
    mt_bytes_u32(b, 0);
    b = one_kv(&c, "huge-string", "string");
    mt_bytes_u32(b, MT_GGUF_STRING);
    mt_bytes_u64(b, UINT64_MAX);
    b = one_kv(&c, "bool-2", "bool value is 2");
    mt_bytes_u32(b, MT_GGUF_BOOL);
    mt_bytes_u8(b, 2);
    b = one_kv(&c, "truncated-u64", "uint64");
    mt_bytes_u32(b, MT_GGUF_UINT64);
    mt_bytes_u32(b, 7);
    b = one_kv(&c, "array-1e9-u8", "array of 1000000000 uint8");
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u32(b, MT_GGUF_UINT8);
    mt_bytes_u64(b, 1000000000ull);
    zeros(b, 100);
    b = one_kv(&c, "array-huge-strings", "array of");
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u32(b, MT_GGUF_STRING);
    mt_bytes_u64(b, 1ull << 61);
    b = one_kv(&c, "array-count-overflow", "array of");
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u32(b, MT_GGUF_UINT64);
    mt_bytes_u64(b, (UINT64_MAX / 8) + 2); /* count x 8 overflows */
    b = one_kv(&c, "array-unknown-type", "unknown array element type");
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u32(b, 200);
    mt_bytes_u64(b, 1);
    b = one_kv(&c, "array-nested-deep", "nested more than");
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    for (int d = 0; d < 40; d++) {
        mt_bytes_u32(b, MT_GGUF_ARRAY);
        mt_bytes_u64(b, 1);
    }
    b = one_kv(&c, "array-string-past-end", "runs past the end");
    mt_bytes_u32(b, MT_GGUF_ARRAY);
    mt_bytes_u32(b, MT_GGUF_STRING);
    mt_bytes_u64(b, 2);
    mt_bytes_cstr(b, "ok");
    mt_bytes_u64(b, 50);
    mt_bytes_put(b, "short", 5);
    b = add(&c, "alignment-zero", "alignment 0 is not a power of two");
    header(b, "GGUF", 3, 0, 1);
    kv_u32(b, "general.alignment", 0);
    b = add(&c, "alignment-3", "alignment 3 is not a power of two");
    header(b, "GGUF", 3, 0, 1);
    kv_u32(b, "general.alignment", 3);
    b = add(&c, "alignment-string", "not an unsigned integer");
    header(b, "GGUF", 3, 0, 1);
    kv_str(b, "general.alignment", "32");

    static const uint64_t ne_32[1] = { 32 }, ne_33[1] = { 33 }, ne_0[2] = { 32, 0 };
    static const uint64_t ne_overflow[5] = { 1ull << 32, 1ull << 32, 1ull << 32, 1, 1 };
    static const uint64_t ne_bytes_overflow[2] = { 1ull << 40, 1ull << 22 }; /* 2^62 elements, 2^64 bytes */
    one_tensor(&c, "tensor-type-unknown", "unknown tensor type 77", 1, ne_32, 77, 0, 128);
    one_tensor(&c, "tensor-type-removed", "unknown tensor type 4", 1, ne_32, 4, 0, 128);
    one_tensor(&c, "tensor-dims-0", "has 0 dimensions", 0, ne_32, MT_TYPE_F32, 0, 128);
    one_tensor(&c, "tensor-dims-5", "has 5 dimensions", 5, ne_overflow, MT_TYPE_F32, 0, 128);
    one_tensor(&c, "tensor-dim-zero", "dimension 1 is 0", 2, ne_0, MT_TYPE_F32, 0, 128);
    one_tensor(&c, "tensor-shape-overflow", "overflows", 3, ne_overflow, MT_TYPE_F32, 0, 128);
    one_tensor(&c, "tensor-bytes-overflow", "overflows", 2, ne_bytes_overflow, MT_TYPE_F32, 0, 128);
    one_tensor(&c, "tensor-not-block-multiple", "not a multiple of Q8_0's block size 32", 1, ne_33, MT_TYPE_Q8_0, 0, 128);
    one_tensor(&c, "tensor-misaligned", "not a multiple of the alignment 32", 1, ne_32, MT_TYPE_F32, 4, 128);
    one_tensor(&c, "tensor-past-end", "runs past the end of the data section", 1, ne_32, MT_TYPE_F32, 64, 128);
    one_tensor(&c, "tensor-offset-overflow", "runs past the end of the data section", 1, ne_32, MT_TYPE_F32, UINT64_MAX - 31, 128);
    one_tensor(&c, "tensor-data-truncated", "truncated", 1, ne_32, MT_TYPE_F32, 0, 100);

    b = add(&c, "tensor-name-huge", "name is");
    header(b, "GGUF", 3, 1, 0);
    mt_bytes_u64(b, 100000);
    zeros(b, 100100);
    b = add(&c, "duplicate-tensor", "duplicate tensor name");
    header(b, "GGUF", 3, 2, 0);
    tensor_info(b, "t", 1, ne_32, MT_TYPE_F32, 0);
    tensor_info(b, "t", 1, ne_32, MT_TYPE_F32, 128);
    mt_bytes_pad(b, 32);
    zeros(b, 256);
    b = add(&c, "data-section-missing", "data section would start");
    header(b, "GGUF", 3, 1, 0);
    tensor_info(b, "t", 1, ne_32, MT_TYPE_F32, 0);

    /* the control cut short inside each section */
    static const struct { const char *name; size_t keep; } cuts[] = {
        { "cut-in-header", 12 }, { "cut-in-metadata", 60 }, { "cut-in-tensor-infos", 260 }, { "cut-in-data", 400 },
    };
    for (size_t i = 0; i < sizeof cuts / sizeof *cuts; i++) {
        b = add(&c, cuts[i].name, "truncated");
        malformed_valid_control(b);
        b->len = cuts[i].keep;
    }
    *out = c.cases;
    return c.n;
}

void malformed_free(malformed_case *cases, int n) {
    for (int i = 0; i < n; i++) mt_bytes_free(&cases[i].bytes);
    free(cases);
}
