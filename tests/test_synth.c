/* `moetop synth` without shared/: valid files of many shapes and types,
 * deterministic by seed, refusing impossible shapes with exit 2. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/synth.h"
#include "support/cli_util.h"
#include "support/harness.h"

static void presets_and_types_open(void) {
    static const char *const presets[] = { "a", "b", "c", "tiny" };
    for (size_t i = 0; i < 4; i++) {
        mt_synth_spec s = mt_synth_default_spec();
        CHECK(mt_synth_preset(presets[i], &s));
        char path[512];
        snprintf(path, sizeof path, "%s/p-%s.gguf", t_tmpdir(), presets[i]);
        mt_err err;
        if (!CHECKF(mt_synth_write(&s, path, &err), "%s: %s", presets[i], err.msg)) continue;
        mt_gguf *g = mt_gguf_open(path, &err);
        if (!CHECKF(g != NULL, "%s: %s", presets[i], err.msg)) continue;
        CHECK(mt_gguf_tensor_count(g) == 3 + 19ull * s.n_layer);
        CHECK(mt_gguf_get_u64(g, "gpt-oss.expert_count", 0) == s.n_expert);
        const mt_gguf_tensor *exps = mt_gguf_find_tensor(g, "blk.0.ffn_down_exps.weight");
        CHECK(exps && exps->type == s.type_experts && exps->ne[0] == s.ff && exps->ne[1] == s.d_model && exps->ne[2] == s.n_expert);
        mt_gguf_array toks;
        CHECK(mt_gguf_get_array(g, "tokenizer.ggml.tokens", &toks) && toks.count == s.vocab_base + MT_SYNTH_N_SPECIAL);
        /* the weights are finite and not all zero */
        const mt_gguf_tensor *q = mt_gguf_find_tensor(g, "blk.0.attn_q.weight");
        float *row = malloc(q->ne[0] * sizeof *row);
        mt_dequant_row(q->type, q->data, row, (int64_t)q->ne[0]);
        float sum = 0;
        for (uint64_t j = 0; j < q->ne[0]; j++) sum += row[j] * row[j];
        CHECKF(sum > 0 && sum < 1e6f, "%s: attn_q row 0 sum of squares %g", presets[i], (double)sum);
        free(row);
        mt_gguf_close(g);
    }
}

static void query_width_differs_from_model_width(void) {
    char path[512];
    snprintf(path, sizeof path, "%s/wide-q.gguf", t_tmpdir());
    proc_result r = run_moetop("synth", "-q", "--preset", "tiny", "--d-model", "96", "--heads", "4", "--kv-heads", "2",
                               "--head-dim", "64", "--types", "attn=f16,experts=q8_0,embd=bf16", "-o", path, NULL);
    CHECKF(r.status == 0, "synth: %s", r.err);
    proc_free(&r);
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    if (!CHECKF(g != NULL, "%s", err.msg)) return;
    const mt_gguf_tensor *q = mt_gguf_find_tensor(g, "blk.1.attn_q.weight"), *o = mt_gguf_find_tensor(g, "blk.1.attn_output.weight");
    CHECK(q && q->ne[0] == 96 && q->ne[1] == 256 && q->type == MT_TYPE_F16);
    CHECK(o && o->ne[0] == 256 && o->ne[1] == 96);
    CHECK(mt_gguf_find_tensor(g, "token_embd.weight")->type == MT_TYPE_BF16);
    CHECK(mt_gguf_find_tensor(g, "blk.0.ffn_up_exps.weight")->type == MT_TYPE_Q8_0);
    mt_gguf_close(g);
}

static void same_seed_same_bytes(void) {
    char p1[512], p2[512], p3[512];
    snprintf(p1, sizeof p1, "%s/s1.gguf", t_tmpdir());
    snprintf(p2, sizeof p2, "%s/s2.gguf", t_tmpdir());
    snprintf(p3, sizeof p3, "%s/s3.gguf", t_tmpdir());
    proc_result r1 = run_moetop("synth", "-q", "--preset", "tiny", "--seed", "5", "--vocab-base", "300", "-o", p1, NULL);
    proc_result r2 = run_moetop("synth", "-q", "--preset", "tiny", "--seed", "5", "--vocab-base", "300", "-o", p2, NULL);
    proc_result r3 = run_moetop("synth", "-q", "--preset", "tiny", "--seed", "6", "--vocab-base", "300", "-o", p3, NULL);
    CHECK(r1.status == 0 && r2.status == 0 && r3.status == 0);
    unsigned long n1, n2, n3;
    char *a = t_read_file(p1, &n1), *b = t_read_file(p2, &n2), *c = t_read_file(p3, &n3);
    CHECK(a && b && c && n1 == n2 && memcmp(a, b, n1) == 0);
    CHECK(a && c && (n1 != n3 || memcmp(a, c, n1) != 0));
    free(a);
    free(b);
    free(c);
    proc_free(&r1);
    proc_free(&r2);
    proc_free(&r3);
}

static void impossible_shapes_exit_2(void) {
    static const struct { const char *flag, *value, *expect; } cases[] = {
        { "--kv-heads", "3", "do not divide evenly" },
        { "--k", "9", "more than the 8 experts" },
        { "--d-model", "100", "not a multiple of Q8_0's block of 32" },
        { "--types", "experts=q4_k", "cannot be written" },
        { "--types", "bogus=f32", "unknown group 'bogus'" },
        { "--types", "attn=q9", "unknown type 'q9'" },
        { "--preset", "huge", "unknown preset 'huge'" },
        { "--layers", "0", "outside 1..256" },
        { "--seed", "-1", "not a non-negative integer" },
        { "--head-dim", "33", "odd" },
    };
    char path[512];
    snprintf(path, sizeof path, "%s/never.gguf", t_tmpdir());
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        proc_result r = run_moetop("synth", "-o", path, cases[i].flag, cases[i].value, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, cases[i].expect), "%s %s: exit %d: %s", cases[i].flag, cases[i].value,
               r.status, r.err);
        proc_free(&r);
    }
    FILE *f = fopen(path, "rb");
    CHECKF(f == NULL, "a refused synth left a file behind");
    if (f) fclose(f);
}

int main(void) {
    t_begin("synth");
    RUN(presets_and_types_open);
    RUN(query_width_differs_from_model_width);
    RUN(same_seed_same_bytes);
    RUN(impossible_shapes_exit_2);
    return t_end();
}
