/* mt_model_decode_bytes: the weight bytes a decoded token reads, against a
 * sum done by hand for a small F32 model, against a second count from the
 * file's tensor sizes for quantized models of each family, and as bench
 * --profile prints it. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/quant.h"
#include "engine/synth.h"
#include "support/cli_util.h"
#include "support/harness.h"

typedef struct opened {
    mt_gguf *g;
    mt_model *m;
} opened;

static bool open_synth(const mt_synth_spec *s, const char *name, opened *o) {
    char path[600];
    snprintf(path, sizeof path, "%s/%s.gguf", t_tmpdir(), name);
    mt_err err;
    o->g = NULL, o->m = NULL;
    if (!CHECKF(mt_synth_write(s, path, &err), "%s: %s", name, err.msg)) return false;
    o->g = mt_gguf_open(path, &err);
    o->m = o->g ? mt_model_load(o->g, &err) : NULL;
    return CHECKF(o->m != NULL, "%s: %s", name, err.msg);
}

static void opened_close(opened *o) {
    mt_model_free(o->m);
    mt_gguf_close(o->g);
}

/* 2 layers, width 64, 4 query heads and 2 KV heads of 16, 4 experts of 32
 * (top-2), 256 + 32 tokens, every tensor F32, gpt-oss (biases and sinks). */
static mt_synth_spec small_f32_spec(void) {
    mt_synth_spec s = mt_synth_default_spec();
    s.n_layer = 2, s.d_model = 64, s.n_head = 4, s.n_kv = 2, s.head_dim = 16;
    s.n_expert = 4, s.k = 2, s.ff = 32, s.vocab_base = 256;
    s.type_embd = s.type_output = s.type_attn = s.type_router = s.type_experts = MT_TYPE_F32;
    return s;
}

/* small_f32_spec's bytes, summed by hand */
static void f32_model_by_hand(void) {
    mt_synth_spec s = small_f32_spec();
    opened o;
    if (!open_synth(&s, "f32-by-hand", &o)) return;
    /* a layer, in bytes (4 a float):
     *   attn_norm, post_attn_norm       2 x 64 x 4          =    512
     *   q [64 -> 64], o [64 -> 64]      2 x 64 x 64 x 4     = 32,768
     *   k, v [64 -> 32]                 2 x 32 x 64 x 4     = 16,384
     *   q, k, v, o biases               (64 + 32 + 32 + 64) x 4 = 768
     *   sinks                           4 x 4               =     16
     *   router [64 -> 4] and its bias   4 x 64 x 4 + 16     =  1,040
     *   2 experts: gate, up [64 -> 32], down [32 -> 64], biases
     *                                   2 x (3 x 2048 + 128) x 4 = 50,176
     *                                                    layer 101,664
     * two layers 203,328; output norm 256; output head 288 x 64 x 4 = 73,728;
     * one embedding row 256: 277,568. */
    CHECKF(mt_model_decode_bytes(o.m) == 277568, "%llu bytes, want 277,568", (unsigned long long)mt_model_decode_bytes(o.m));
    opened_close(&o);
}

/* The same count another way: every tensor's bytes from the file, the expert
 * tensors (and their biases) at k of E, the embedding table at one row of V
 * (none when the head is the embedding table). */
static uint64_t from_tensors(const mt_gguf *g, const mt_model *m) {
    double sum = 0;
    bool tied = m->output.data == m->token_embd.data;
    for (uint64_t i = 0; i < mt_gguf_tensor_count(g); i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(g, i);
        char name[MT_GGUF_MAX_NAME_LEN + 1];
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        double bytes = (double)t->nbytes;
        if (strstr(name, "_exps.")) bytes = bytes * m->hp.k / m->hp.n_expert;
        else if (strcmp(name, "token_embd.weight") == 0) bytes = tied ? bytes : bytes / (double)m->hp.n_vocab;
        sum += bytes;
    }
    return (uint64_t)(sum + 0.5);
}

static void quantized_families_from_tensors(void) {
    static const char *const arches[] = { "gpt-oss", "llama", "qwen3moe", "olmoe" };
    for (size_t i = 0; i < sizeof arches / sizeof *arches; i++) {
        mt_synth_spec s = mt_synth_default_spec();
        s.arch = arches[i];
        if (i) s.swa = 0, s.rope_factor = 1;
        opened o;
        char name[64];
        snprintf(name, sizeof name, "bytes-%s", arches[i]);
        if (!open_synth(&s, name, &o)) continue;
        uint64_t got = mt_model_decode_bytes(o.m), want = from_tensors(o.g, o.m);
        CHECKF(got == want, "%s: %llu bytes, from the tensors %llu", arches[i], (unsigned long long)got, (unsigned long long)want);
        CHECKF(got < mt_gguf_file_size(o.g), "%s: %llu bytes of a %llu-byte file", arches[i], (unsigned long long)got,
               (unsigned long long)mt_gguf_file_size(o.g));
        opened_close(&o);
    }
}

/* bench --profile's weights line in r's stderr, parsed: false (checked) when absent or malformed */
typedef struct weights_line {
    double mb, gbs, tps;
    unsigned k;
} weights_line;

static bool parse_weights_line(const proc_result *r, weights_line *w) {
    const char *line = strstr(r->err, "decode, weights read per token: ");
    return CHECKF(r->status == 0 && line, "bench: exit %d: %s", r->status, r->err) &&
           CHECKF(sscanf(line, "decode, weights read per token: %lf MB (k = %u experts a layer), %lf GB/s at %lf tok/s", &w->mb, &w->k,
                         &w->gbs, &w->tps) == 4, "unparsed: %.200s", line);
}

/* bench --profile prints the count, to three significant digits at least (a small model's 277,568
 * bytes read 0.278 MB, not "0.3 MB", 8% off), and that times tok/s: the printed GB/s is the printed
 * MB times the printed tok/s to within a percent. The default synth and a small F32 one. */
static void bench_profile_line(void) {
    const mt_synth_spec specs[] = { mt_synth_default_spec(), small_f32_spec() };
    for (size_t i = 0; i < sizeof specs / sizeof *specs; i++) {
        char name[32], path[600];
        snprintf(name, sizeof name, "bench-bytes-%zu", i);
        snprintf(path, sizeof path, "%s/%s.gguf", t_tmpdir(), name);
        opened o;
        if (!open_synth(&specs[i], name, &o)) continue;
        double want_mb = (double)mt_model_decode_bytes(o.m) / 1e6;
        opened_close(&o);
        proc_result r = run_moetop("bench", "-m", path, "--backend", "cpu", "-p", "1", "-n", "4", "--profile", NULL);
        weights_line w;
        if (parse_weights_line(&r, &w)) {
            CHECKF(fabs(w.mb - want_mb) <= 0.005 * want_mb, "%s: %g MB printed, want %.6f", name, w.mb, want_mb);
            CHECKF(w.k == specs[i].k, "%s: k = %u", name, w.k);
            CHECKF(w.tps > 0 && fabs(w.gbs - w.mb * w.tps / 1e3) <= 0.01 * w.gbs, "%s: %g MB at %g tok/s is %g GB/s, printed %g", name,
                   w.mb, w.tps, w.mb * w.tps / 1e3, w.gbs);
        }
        proc_free(&r);
        /* nothing decoded, no line */
        r = run_moetop("bench", "-m", path, "--backend", "cpu", "-p", "4", "-n", "0", "--profile", NULL);
        CHECKF(r.status == 0 && !strstr(r.err, "weights read"), "-n 0: %s", r.err);
        proc_free(&r);
        unlink(path);
    }
}

int main(void) {
    t_begin("model_bytes");
    RUN(f32_model_by_hand);
    RUN(quantized_families_from_tensors);
    RUN(bench_profile_line);
    return t_end();
}
