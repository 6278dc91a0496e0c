/* `moetop info --json` on every file of shared/oracle agrees with what the
 * fixtures say they are: each gpt-oss fixture's `spec` (shapes, types, counts),
 * the quant blocks' shapes and types, and the o200k vocabulary's sizes. And
 * `moetop synth` writes the fixtures' exact layout from their spec. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "support/cli_util.h"
#include "support/harness.h"

static const jv *find_tensor(const jv *info, const char *name) {
    const jv *tensors = jv_get(info, "tensors");
    for (size_t i = 0; tensors && i < tensors->len; i++)
        if (strcmp(jv_str(jv_at(tensors, i), "name"), name) == 0) return jv_at(tensors, i);
    return NULL;
}

/* Checks one tensor's type (NULL: don't care) and shape (GGUF order). */
static void check_tensor(const jv *info, const char *name, const char *type, int n_dims, double d0, double d1, double d2) {
    const jv *t = find_tensor(info, name);
    if (!CHECKF(t != NULL, "tensor %s missing", name)) return;
    if (type) CHECKF(strcasecmp(jv_str(t, "type"), type) == 0, "%s: type %s, spec says %s", name, jv_str(t, "type"), type);
    const jv *shape = jv_get(t, "shape");
    double want[3] = { d0, d1, d2 };
    CHECKF(shape && (int)shape->len == n_dims, "%s: %zu dimensions, expected %d", name, shape ? shape->len : 0, n_dims);
    for (int d = 0; shape && d < n_dims && d < (int)shape->len; d++)
        CHECKF(jv_at(shape, (size_t)d)->num == want[d], "%s: dimension %d is %g, expected %g", name, d, jv_at(shape, (size_t)d)->num, want[d]);
}

static void check_fixture(const char *letter) {
    char rel[128];
    snprintf(rel, sizeof rel, "oracle/gpt-oss/oracle-gptoss-%s.gguf", letter);
    const char *gguf = t_shared_file(rel);
    snprintf(rel, sizeof rel, "oracle/gpt-oss/oracle-gptoss-%s.expected.json", letter);
    const char *expected_path = t_shared_file(rel);
    if (!gguf || !expected_path) return;
    char err[256];
    jv *expected = jv_parse_file(expected_path, err, sizeof err);
    if (!CHECKF(expected != NULL, "%s", err)) return;
    jv *info = info_json(gguf);
    const jv *spec = jv_get(expected, "spec");
    if (info && CHECK(spec != NULL)) {
        const jv *md = jv_get(info, "metadata");
        double L = jv_num(spec, "n_layer", -1), d = jv_num(spec, "d", -1), H = jv_num(spec, "n_head", -1);
        double KV = jv_num(spec, "n_kv", -1), hd = jv_num(spec, "head_dim", -1), E = jv_num(spec, "n_expert", -1);
        double k = jv_num(spec, "k", -1), ff = jv_num(spec, "ff", -1), V = jv_num(expected, "vocab_size", -1);
        CHECK(strcmp(jv_str(info, "arch"), "gpt-oss") == 0);
        CHECK(jv_num(md, "gpt-oss.block_count", 0) == L);
        CHECK(jv_num(md, "gpt-oss.embedding_length", 0) == d);
        CHECK(jv_num(md, "gpt-oss.attention.head_count", 0) == H);
        CHECK(jv_num(md, "gpt-oss.attention.head_count_kv", 0) == KV);
        CHECK(jv_num(md, "gpt-oss.attention.key_length", 0) == hd && jv_num(md, "gpt-oss.attention.value_length", 0) == hd);
        CHECK(jv_num(md, "gpt-oss.expert_count", 0) == E && jv_num(md, "gpt-oss.expert_used_count", 0) == k);
        CHECK(jv_num(md, "gpt-oss.expert_feed_forward_length", 0) == ff);
        CHECK(jv_num(md, "gpt-oss.attention.sliding_window", 0) == jv_num(spec, "swa", -1));
        CHECK(jv_num(jv_get(md, "tokenizer.ggml.tokens"), "length", 0) == V);
        CHECK(V == jv_num(spec, "vocab_base", -1) + 32);
        CHECK(jv_get(info, "tensors")->len == 3 + 19 * (size_t)L);
        const jv *types = jv_get(spec, "types");
        const char *t_embd = jv_str(types, "embd"), *t_out = jv_str(types, "output"), *t_attn = jv_str(types, "attn");
        const char *t_router = jv_str(types, "router"), *t_exp = jv_str(types, "experts");
        check_tensor(info, "token_embd.weight", t_embd, 2, d, V, 0);
        check_tensor(info, "output.weight", t_out, 2, d, V, 0);
        check_tensor(info, "output_norm.weight", "F32", 1, d, 0, 0);
        for (int l = 0; l < (int)L; l++) {
            char n[64];
#define T(suffix, type, nd, a, b, c) (snprintf(n, sizeof n, "blk.%d." suffix, l), check_tensor(info, n, type, nd, a, b, c))
            T("attn_norm.weight", "F32", 1, d, 0, 0);
            T("post_attention_norm.weight", "F32", 1, d, 0, 0);
            T("attn_q.weight", t_attn, 2, d, H * hd, 0);
            T("attn_q.bias", "F32", 1, H * hd, 0, 0);
            T("attn_k.weight", t_attn, 2, d, KV * hd, 0);
            T("attn_k.bias", "F32", 1, KV * hd, 0, 0);
            T("attn_v.weight", t_attn, 2, d, KV * hd, 0);
            T("attn_v.bias", "F32", 1, KV * hd, 0, 0);
            T("attn_output.weight", t_attn, 2, H * hd, d, 0);
            T("attn_output.bias", "F32", 1, d, 0, 0);
            T("attn_sinks.weight", "F32", 1, H, 0, 0);
            T("ffn_gate_inp.weight", t_router, 2, d, E, 0);
            T("ffn_gate_inp.bias", "F32", 1, E, 0, 0);
            T("ffn_gate_exps.weight", t_exp, 3, d, ff, E);
            T("ffn_gate_exps.bias", "F32", 2, ff, E, 0);
            T("ffn_up_exps.weight", t_exp, 3, d, ff, E);
            T("ffn_up_exps.bias", "F32", 2, ff, E, 0);
            T("ffn_down_exps.weight", t_exp, 3, ff, d, E);
            T("ffn_down_exps.bias", "F32", 2, d, E, 0);
#undef T
        }
    }
    jv_free(info);
    jv_free(expected);
}

static void fixture_a_matches_spec(void) { check_fixture("a"); }
static void fixture_b_matches_spec(void) { check_fixture("b"); }
static void fixture_c_matches_spec(void) { check_fixture("c"); }

static void quant_blocks_match_expected(void) {
    const char *gguf = t_shared_file("oracle/quant/blocks.gguf");
    const char *expected_path = t_shared_file("oracle/quant/blocks.expected.json");
    if (!gguf || !expected_path) return;
    char err[256];
    jv *expected = jv_parse_file(expected_path, err, sizeof err);
    jv *info = info_json(gguf);
    if (expected && info) {
        CHECK(jv_get(info, "tensors")->len == expected->len);
        for (size_t i = 0; i < expected->len; i++) {
            char name[64];
            snprintf(name, sizeof name, "q.%s", expected->keys[i]);
            const jv *shape = jv_get(&expected->items[i], "shape");
            check_tensor(info, name, expected->keys[i], 2, jv_at(shape, 0)->num, jv_at(shape, 1)->num, 0);
        }
    }
    jv_free(info);
    jv_free(expected);
}

static void vocabulary_summarised(void) {
    const char *gguf = t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf");
    if (!gguf) return;
    jv *info = info_json(gguf);
    if (!info) return;
    const jv *md = jv_get(info, "metadata");
    CHECK(jv_num(jv_get(md, "tokenizer.ggml.tokens"), "length", 0) == 201088);
    CHECK(strcmp(jv_str(jv_get(md, "tokenizer.ggml.tokens"), "array"), "string") == 0);
    CHECK(jv_num(jv_get(md, "tokenizer.ggml.merges"), "length", 0) == 446189);
    CHECK(strcmp(jv_str(md, "tokenizer.ggml.pre"), "gpt-4o") == 0 && jv_num(md, "tokenizer.ggml.eos_token_id", 0) == 200002);
    CHECK(jv_get(info, "tensors")->len == 0);
    jv_free(info);
}

/* synth with a fixture's shape, seed-independent layout and the o200k prefix
 * writes the same keys, values and tensor table as the fixture itself. */
static void synth_reproduces_fixture_layouts(void) {
    const char *vocab = t_shared_file("oracle/tokenizer/o200k_harmony.vocab.gguf");
    if (!vocab) return;
    static const char *const letters[] = { "a", "b", "c" };
    for (int i = 0; i < 3; i++) {
        char rel[128], out[512];
        snprintf(rel, sizeof rel, "oracle/gpt-oss/oracle-gptoss-%s.gguf", letters[i]);
        const char *fixture = t_shared_file(rel);
        if (!fixture) return;
        snprintf(out, sizeof out, "%s/synth-%s.gguf", t_tmpdir(), letters[i]);
        proc_result r = run_moetop("synth", "--quiet", "--preset", letters[i], "--vocab", vocab, "-o", out, NULL);
        CHECKF(r.status == 0, "synth %s: %s", letters[i], r.err);
        proc_free(&r);
        jv *want = info_json(fixture), *got = info_json(out);
        if (want && got) {
            const jv *wm = jv_get(want, "metadata"), *gm = jv_get(got, "metadata");
            CHECKF(wm->len == gm->len, "%s: %zu keys, fixture has %zu", letters[i], gm->len, wm->len);
            for (size_t k = 0; k < wm->len && k < gm->len; k++) {
                CHECKF(strcmp(wm->keys[k], gm->keys[k]) == 0, "%s: key %zu is %s, fixture has %s", letters[i], k, gm->keys[k], wm->keys[k]);
                const jv *a = &wm->items[k], *b = &gm->items[k];
                if (strcmp(wm->keys[k], "general.name") == 0) continue;
                bool same = a->kind == b->kind && (a->kind != JV_NUM || a->num == b->num) &&
                            (a->kind != JV_STR || strcmp(a->str, b->str) == 0) &&
                            (a->kind != JV_OBJ || jv_num(a, "length", -1) == jv_num(b, "length", -2));
                CHECKF(same, "%s: value of %s differs", letters[i], wm->keys[k]);
            }
            const jv *wt = jv_get(want, "tensors"), *gt = jv_get(got, "tensors");
            CHECK(wt->len == gt->len);
            for (size_t t = 0; t < wt->len && t < gt->len; t++) {
                const jv *a = jv_at(wt, t), *b = jv_at(gt, t);
                CHECKF(strcmp(jv_str(a, "name"), jv_str(b, "name")) == 0 && strcmp(jv_str(a, "type"), jv_str(b, "type")) == 0 &&
                           jv_num(a, "offset", -1) == jv_num(b, "offset", -2) && jv_num(a, "bytes", -1) == jv_num(b, "bytes", -2),
                       "%s: tensor %zu (%s) differs from the fixture's", letters[i], t, jv_str(a, "name"));
            }
        }
        jv_free(want);
        jv_free(got);
    }
}

int main(void) {
    t_begin("info-oracle");
    RUN(fixture_a_matches_spec);
    RUN(fixture_b_matches_spec);
    RUN(fixture_c_matches_spec);
    RUN(quant_blocks_match_expected);
    RUN(vocabulary_summarised);
    RUN(synth_reproduces_fixture_layouts);
    return t_end();
}
