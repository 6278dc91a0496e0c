/* The GGUF reader and writer: round trips of every metadata type, lookups and
 * typed getters, the oracle files, and the malformed corpus, each refused with
 * a message naming the file and the problem. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/quant.h"
#include "support/harness.h"
#include "support/malformed.h"

/* A file with one key of every type, nested arrays, and three tensors. */
static mt_gguf_writer *every_type_writer(float *f32_data, uint8_t *q8_data) {
    mt_gguf_writer *w = mt_gguf_writer_new();
    mt_gguf_set_str(w, "general.architecture", "test");
    mt_gguf_writer_set_alignment(w, 64);
    uint8_t u8 = 250;
    int8_t i8 = -100;
    uint16_t u16 = 65000;
    int16_t i16 = -32000;
    int64_t i64 = INT64_MIN;
    double f64 = 0.1;
    mt_gguf_set_encoded(w, "t.u8", MT_GGUF_UINT8, &u8, 1);
    mt_gguf_set_encoded(w, "t.i8", MT_GGUF_INT8, &i8, 1);
    mt_gguf_set_encoded(w, "t.u16", MT_GGUF_UINT16, &u16, 2);
    mt_gguf_set_encoded(w, "t.i16", MT_GGUF_INT16, &i16, 2);
    mt_gguf_set_u32(w, "t.u32", 4000000000u);
    mt_gguf_set_i32(w, "t.i32", -7);
    mt_gguf_set_f32(w, "t.f32", 1e-5f);
    mt_gguf_set_bool(w, "t.bool", true);
    mt_gguf_set_str(w, "t.str", "caf\xc3\xa9 \xff bad");
    mt_gguf_set_u64(w, "t.u64", UINT64_MAX);
    mt_gguf_set_encoded(w, "t.i64", MT_GGUF_INT64, &i64, 8);
    mt_gguf_set_encoded(w, "t.f64", MT_GGUF_FLOAT64, &f64, 8);
    int32_t ints[5] = { 1, -2, 3, -4, 5 };
    mt_gguf_set_array(w, "t.ints", MT_GGUF_INT32, ints, 5);
    const char *strs[3] = { "a", "", "ccc" };
    mt_gguf_set_str_array(w, "t.strs", strs, 3);
    mt_bytes nested = { 0 }; /* [["x"], [], ["y", "z"]] */
    mt_bytes_u32(&nested, MT_GGUF_ARRAY);
    mt_bytes_u64(&nested, 3);
    mt_bytes_u32(&nested, MT_GGUF_STRING); mt_bytes_u64(&nested, 1); mt_bytes_cstr(&nested, "x");
    mt_bytes_u32(&nested, MT_GGUF_STRING); mt_bytes_u64(&nested, 0);
    mt_bytes_u32(&nested, MT_GGUF_STRING); mt_bytes_u64(&nested, 2); mt_bytes_cstr(&nested, "y"); mt_bytes_cstr(&nested, "z");
    mt_gguf_set_encoded(w, "t.nested", MT_GGUF_ARRAY, nested.data, nested.len);
    mt_bytes_free(&nested);
    mt_gguf_set_u32(w, "t.replaced", 1);
    mt_gguf_set_u32(w, "t.replaced", 2); /* same slot, new value */
    for (int i = 0; i < 96; i++) f32_data[i] = (float)i - 40.0f;
    mt_quantize_row(MT_TYPE_Q8_0, f32_data, q8_data, 64);
    uint64_t ne_a[2] = { 32, 3 }, ne_b[1] = { 64 }, ne_c[3] = { 2, 2, 2 };
    mt_gguf_add_tensor(w, "a", MT_TYPE_F32, 2, ne_a, f32_data);
    mt_gguf_add_tensor(w, "b.q8", MT_TYPE_Q8_0, 1, ne_b, q8_data);
    mt_gguf_add_tensor(w, "c", MT_TYPE_F32, 3, ne_c, NULL); /* filled at write time */
    return w;
}

static bool fill_c(void *ctx, uint64_t index, void *dst, uint64_t nbytes, mt_err *err) {
    (void)ctx;
    (void)err;
    float v[8] = { 0, 1, 2, 3, 4, 5, 6, (float)index };
    memcpy(dst, v, nbytes);
    return nbytes == sizeof v;
}

static void round_trip_every_type(void) {
    float f32[96];
    uint8_t q8[68];
    mt_gguf_writer *w = every_type_writer(f32, q8);
    char path[512];
    snprintf(path, sizeof path, "%s/every.gguf", t_tmpdir());
    mt_err err;
    if (!CHECKF(mt_gguf_writer_write(w, path, fill_c, NULL, &err), "%s", err.msg)) { mt_gguf_writer_free(w); return; }
    mt_gguf_writer_free(w);
    mt_gguf *g = mt_gguf_open(path, &err);
    if (!CHECKF(g != NULL, "%s", err.msg)) return;
    CHECK(mt_gguf_version(g) == 3 && mt_gguf_alignment(g) == 64 && mt_gguf_data_offset(g) % 64 == 0);
    CHECK(mt_gguf_kv_count(g) == 18 && mt_gguf_tensor_count(g) == 3);
    CHECK(mt_str_eq(mt_gguf_kv_at(g, 0)->key, "general.architecture")); /* insertion order */
    CHECK(mt_gguf_get_u64(g, "t.u8", 0) == 250 && mt_gguf_get_i64(g, "t.i8", 0) == -100);
    CHECK(mt_gguf_get_u64(g, "t.u16", 0) == 65000 && mt_gguf_get_i64(g, "t.i16", 0) == -32000);
    CHECK(mt_gguf_get_u64(g, "t.u32", 0) == 4000000000u && mt_gguf_get_i64(g, "t.i32", 0) == -7);
    CHECK(mt_gguf_get_f64(g, "t.f32", 0) == (double)1e-5f && mt_gguf_get_f64(g, "t.f64", 0) == 0.1);
    CHECK(mt_gguf_get_bool(g, "t.bool", false) == true);
    CHECK(mt_gguf_get_u64(g, "t.u64", 0) == UINT64_MAX && mt_gguf_get_i64(g, "t.i64", 0) == INT64_MIN);
    CHECK(mt_gguf_get_u64(g, "t.replaced", 0) == 2);
    mt_str s = mt_gguf_get_str(g, "t.str", (mt_str){ "", 0 });
    CHECK(s.len == 11 && memcmp(s.ptr, "caf\xc3\xa9 \xff bad", 11) == 0);
    /* defaults: absent keys and values of another type */
    CHECK(mt_gguf_get_u64(g, "absent", 77) == 77 && mt_gguf_get_u64(g, "t.str", 78) == 78);
    CHECK(mt_gguf_get_u64(g, "t.i32", 79) == 79); /* negative is not unsigned */
    CHECK(mt_gguf_get_i64(g, "t.u64", 80) == 80); /* too large for int64 */
    CHECK(mt_gguf_get_f64(g, "t.u32", 0) == 4e9);  /* integers read as floats */
    CHECK(mt_gguf_get_bool(g, "t.u8", true) == true && mt_gguf_get_str(g, "t.u8", (mt_str){ "d", 1 }).len == 1);
    mt_gguf_array arr;
    CHECK(!mt_gguf_get_array(g, "t.str", &arr));
    if (CHECK(mt_gguf_get_array(g, "t.ints", &arr) && arr.count == 5 && arr.elem_type == MT_GGUF_INT32)) {
        mt_gguf_iter it = mt_gguf_array_iter(&arr);
        mt_gguf_value v;
        int64_t sum = 0;
        while (mt_gguf_iter_next(&it, &v)) sum += v.v.i;
        CHECK(sum == 3);
    }
    if (CHECK(mt_gguf_get_array(g, "t.strs", &arr) && arr.count == 3)) {
        mt_gguf_iter it = mt_gguf_array_iter(&arr);
        mt_gguf_value v;
        CHECK(mt_gguf_iter_next(&it, &v) && mt_str_eq(v.v.str, "a"));
        CHECK(mt_gguf_iter_next(&it, &v) && v.v.str.len == 0);
        CHECK(mt_gguf_iter_next(&it, &v) && mt_str_eq(v.v.str, "ccc"));
        CHECK(!mt_gguf_iter_next(&it, &v));
    }
    if (CHECK(mt_gguf_get_array(g, "t.nested", &arr) && arr.count == 3 && arr.elem_type == MT_GGUF_ARRAY)) {
        mt_gguf_iter it = mt_gguf_array_iter(&arr);
        mt_gguf_value v, inner;
        uint64_t counts[3] = { 9, 9, 9 };
        for (int i = 0; i < 3 && mt_gguf_iter_next(&it, &v); i++) counts[i] = v.v.arr.count;
        CHECK(counts[0] == 1 && counts[1] == 0 && counts[2] == 2);
        mt_gguf_iter inner_it = mt_gguf_array_iter(&v.v.arr); /* the last: ["y", "z"] */
        CHECK(mt_gguf_iter_next(&inner_it, &inner) && mt_str_eq(inner.v.str, "y"));
        CHECK(mt_gguf_iter_next(&inner_it, &inner) && mt_str_eq(inner.v.str, "z"));
    }
    const mt_gguf_tensor *a = mt_gguf_find_tensor(g, "a"), *b = mt_gguf_find_tensor(g, "b.q8"), *c = mt_gguf_find_tensor(g, "c");
    if (CHECK(a && b && c)) {
        CHECK(a->n_dims == 2 && a->ne[0] == 32 && a->ne[1] == 3 && a->ne[2] == 1 && a->nbytes == 384 && a->n_elements == 96);
        CHECK(memcmp(a->data, f32, sizeof f32) == 0);
        CHECK(b->type == MT_TYPE_Q8_0 && b->nbytes == 68 && memcmp(b->data, q8, 68) == 0);
        CHECK(b->offset % 64 == 0 && c->offset % 64 == 0 && b->offset >= a->offset + a->nbytes);
        CHECK(c->n_dims == 3 && ((const float *)c->data)[7] == 2.0f);
    }
    CHECK(mt_gguf_find_tensor(g, "nope") == NULL && mt_gguf_find(g, "nope") == NULL);
    mt_gguf_close(g);
}

static void version_2_reads_like_3(void) {
    mt_gguf_writer *w = mt_gguf_writer_new();
    mt_gguf_writer_set_version(w, 2);
    mt_gguf_set_u32(w, "x", 5);
    mt_bytes bytes = { 0 };
    mt_err err;
    CHECK(mt_gguf_writer_to_bytes(w, &bytes, NULL, NULL, &err));
    mt_gguf *g = mt_gguf_open_memory(bytes.data, bytes.len, "v2", &err);
    CHECKF(g && mt_gguf_version(g) == 2 && mt_gguf_get_u64(g, "x", 0) == 5, "%s", g ? "" : err.msg);
    mt_gguf_close(g);
    mt_bytes_free(&bytes);
    mt_gguf_writer_free(w);
}

static void writer_refuses_bad_shapes(void) {
    mt_gguf_writer *w = mt_gguf_writer_new();
    uint64_t ne[1] = { 33 };
    uint8_t data[64] = { 0 };
    mt_gguf_add_tensor(w, "bad", MT_TYPE_Q8_0, 1, ne, data);
    char path[512];
    snprintf(path, sizeof path, "%s/bad.gguf", t_tmpdir());
    mt_err err;
    CHECK(!mt_gguf_writer_write(w, path, NULL, NULL, &err));
    CHECKF(strstr(err.msg, "tensor 'bad'") != NULL, "message: %s", err.msg);
    FILE *f = fopen(path, "rb");
    CHECKF(f == NULL, "a failed write left %s behind", path);
    if (f) fclose(f);
    mt_gguf_writer_free(w);
}

/* Types moetop cannot compute with (here Q3_K) are still read and described;
 * binding a model is where they are refused. */
static void known_but_unsupported_types_open(void) {
    mt_gguf_writer *w = mt_gguf_writer_new();
    uint64_t ne[2] = { 256, 2 };
    uint8_t data[2 * 110] = { 0 };
    mt_gguf_add_tensor(w, "k3", 11, 2, ne, data);
    mt_bytes bytes = { 0 };
    mt_err err;
    CHECK(mt_gguf_writer_to_bytes(w, &bytes, NULL, NULL, &err));
    mt_gguf *g = mt_gguf_open_memory(bytes.data, bytes.len, "q3k", &err);
    if (CHECKF(g != NULL, "%s", err.msg)) {
        const mt_gguf_tensor *t = mt_gguf_find_tensor(g, "k3");
        CHECK(t && t->nbytes == sizeof data && strcmp(mt_type_get(t->type)->name, "Q3_K") == 0 && !mt_type_get(t->type)->can_dequant);
    }
    mt_gguf_close(g);
    mt_bytes_free(&bytes);
    mt_gguf_writer_free(w);
}

static void oracle_files_open(void) {
    static const char *const files[] = {
        "oracle/gpt-oss/oracle-gptoss-a.gguf", "oracle/gpt-oss/oracle-gptoss-b.gguf", "oracle/gpt-oss/oracle-gptoss-c.gguf",
        "oracle/quant/blocks.gguf", "oracle/quant/blocks-q5k.gguf", "oracle/tokenizer/o200k_harmony.vocab.gguf",
    };
    for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
        const char *path = t_shared_file(files[i]);
        if (!path) return;
        mt_err err;
        struct timespec t0, t1;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        mt_gguf *g = mt_gguf_open(path, &err);
        clock_gettime(CLOCK_MONOTONIC, &t1);
        CHECKF(g != NULL, "%s", err.msg);
        if (g && strstr(path, "vocab")) {
            mt_gguf_array toks, merges;
            CHECK(mt_gguf_get_array(g, "tokenizer.ggml.tokens", &toks) && toks.count == 201088);
            CHECK(mt_gguf_get_array(g, "tokenizer.ggml.merges", &merges) && merges.count == 446189);
            CHECK(mt_gguf_tensor_count(g) == 0);
            double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
            printf("  (o200k vocabulary opened and validated in %.1f ms)\n", ms);
        }
        mt_gguf_close(g);
    }
}

static void malformed_files_refused(void) {
    malformed_case *cases;
    int n = malformed_corpus(&cases);
    CHECK(n >= 40);
    for (int i = 0; i < n; i++) {
        mt_err err = { { 0 } };
        mt_gguf *g = mt_gguf_open_memory(cases[i].bytes.data, cases[i].bytes.len, cases[i].name, &err);
        if (!CHECKF(g == NULL, "%s: accepted", cases[i].name)) {
            mt_gguf_close(g);
            continue;
        }
        CHECKF(strncmp(err.msg, cases[i].name, strlen(cases[i].name)) == 0, "%s: message does not name the file: %s", cases[i].name, err.msg);
        CHECKF(strstr(err.msg, cases[i].expect) != NULL, "%s: message lacks '%s': %s", cases[i].name, cases[i].expect, err.msg);
        CHECKF(strchr(err.msg, '\n') == NULL, "%s: message is more than one line", cases[i].name);
    }
    malformed_free(cases, n);
}

/* Every prefix of the control that cuts into its tensors' data or before is
 * refused with a message; longer prefixes (only padding missing) still open. */
static void truncation_at_every_byte(void) {
    mt_bytes control;
    malformed_valid_control(&control);
    mt_err err;
    mt_gguf *g = mt_gguf_open_memory(control.data, control.len, "control", &err);
    CHECKF(g != NULL, "the control must open: %s", err.msg);
    mt_gguf_close(g);
    size_t data_end = malformed_control_data_end();
    CHECK(data_end > 300 && data_end <= control.len);
    for (size_t len = 0; len <= control.len; len++) {
        uint8_t *copy = malloc(len ? len : 1); /* exact size, so ASan catches any over-read */
        memcpy(copy, control.data, len);
        err.msg[0] = 0;
        g = mt_gguf_open_memory(copy, len, "cut", &err);
        if (len < data_end) CHECKF(g == NULL && err.msg[0], "prefix of %zu bytes accepted", len);
        else CHECKF(g != NULL, "prefix of %zu bytes (data complete) refused: %s", len, err.msg);
        mt_gguf_close(g);
        free(copy);
    }
    mt_bytes_free(&control);
}

/* Flipping each byte of the header region to several values never crashes
 * and either opens or fails with a message. */
static void byte_flips_never_crash(void) {
    mt_bytes control;
    malformed_valid_control(&control);
    size_t header_bytes = 320;
    int opened = 0, refused = 0;
    uint8_t *copy = malloc(control.len);
    static const uint8_t values[] = { 0x00, 0x01, 0x7f, 0x80, 0xff };
    for (size_t i = 0; i < header_bytes && i < control.len; i++) {
        for (size_t v = 0; v < sizeof values; v++) {
            memcpy(copy, control.data, control.len);
            copy[i] = values[v];
            mt_err err = { { 0 } };
            mt_gguf *g = mt_gguf_open_memory(copy, control.len, "flip", &err);
            if (g) {
                opened++;
                /* every tensor the reader hands out lies inside the buffer */
                for (uint64_t t = 0; t < mt_gguf_tensor_count(g); t++) {
                    const mt_gguf_tensor *ti = mt_gguf_tensor_at(g, t);
                    const uint8_t *p = ti->data;
                    CHECK(p >= copy && p + ti->nbytes <= copy + control.len);
                }
                mt_gguf_close(g);
            } else {
                refused++;
                CHECK(err.msg[0] != 0);
            }
        }
    }
    CHECK(opened > 0 && refused > 0);
    free(copy);
    mt_bytes_free(&control);
}

int main(void) {
    t_begin("gguf");
    RUN(round_trip_every_type);
    RUN(version_2_reads_like_3);
    RUN(writer_refuses_bad_shapes);
    RUN(known_but_unsupported_types_open);
    RUN(oracle_files_open);
    RUN(malformed_files_refused);
    RUN(truncation_at_every_byte);
    RUN(byte_flips_never_crash);
    return t_end();
}
