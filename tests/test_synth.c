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

/* The line synth prints: "1 layer", "2 layers"; "1 expert top-1", "2 experts top-1". */
static void summary_line_counts_layers(void) {
    char p1[512];
    snprintf(p1, sizeof p1, "%s/one.gguf", t_tmpdir());
    static const char *const layers[] = { "1", "2" }, *const want[] = { ", 1 layer, width", ", 2 layers, width" };
    static const char *const want_e[] = { ", 1 expert top-1,", ", 2 experts top-1," };
    for (int i = 0; i < 2; i++) {
        proc_result r = run_moetop("synth", "--preset", "tiny", "--layers", layers[i], "--experts", layers[i], "--k", "1", "-o", p1, NULL);
        CHECKF(r.status == 0 && strstr(r.err, want[i]) && strstr(r.err, want_e[i]), "--layers/--experts %s: %s", layers[i], r.err);
        proc_free(&r);
    }
}

static void impossible_shapes_exit_2(void) {
    static const struct { const char *flag, *value, *expect; } cases[] = {
        { "--kv-heads", "3", "do not divide evenly" },
        { "--k", "9", "more than the 8 experts" },
        { "--d-model", "100", "not a multiple of Q8_0's block of 32" },
        { "--types", "experts=q4_k", "cannot be written" },
        { "--types", "experts=q5_k", "cannot be written" }, /* computed, not written: no K-quant quantizer */
        { "--types", "bogus=f32", "unknown group 'bogus'" },
        { "--types", "attn=q9", "unknown type 'q9'" },
        { "--preset", "huge", "unknown preset 'huge'" },
        { "--layers", "0", "not a whole number in 1..256" },
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

/* A vocabulary of 300 invented tokens (256 bytes, 44 merged), written once. */
static const char *source_vocab(void) {
    static char path[512];
    if (path[0]) return path;
    snprintf(path, sizeof path, "%s/source-vocab.gguf", t_tmpdir());
    proc_result r = run_moetop("synth", "-q", "--vocab-only", "--vocab-base", "300", "--seed", "3", "-o", path, NULL);
    CHECKF(r.status == 0, "synth --vocab-only: %s", r.err);
    proc_free(&r);
    return path;
}

static void write_text(const char *path, const char *text) {
    CHECK(t_write_file(path, text, strlen(text)));
}

/* Every token of g's vocabulary, as a pointer into g (not NUL-terminated) and length. */
static uint64_t tokens_of(const mt_gguf *g, mt_str *out, uint64_t cap) {
    mt_gguf_array a;
    if (!mt_gguf_get_array(g, "tokenizer.ggml.tokens", &a)) return 0;
    mt_gguf_iter it = mt_gguf_array_iter(&a);
    mt_gguf_value v;
    uint64_t n = 0;
    while (n < cap && mt_gguf_iter_next(&it, &v)) out[n++] = (mt_str){ v.v.str.ptr, v.v.str.len };
    return n;
}

/* --vocab-tokens: exactly the listed ranks, dense in rank order, then the 32
 * specials; the merges among them in the source's order; the first N ranks
 * listed give the same bytes as --vocab-base N. */
static void vocab_tokens_subset(void) {
    const char *src = source_vocab();
    mt_err err;
    mt_gguf *g = mt_gguf_open(src, &err);
    if (!CHECKF(g != NULL, "%s", err.msg)) return;
    static mt_str tok[400];
    uint64_t n = tokens_of(g, tok, 400);
    CHECK(n == 332);
    /* the merged tokens both of whose halves are single bytes: a closed list with the 256 bytes */
    mt_gguf_array merges;
    CHECK(mt_gguf_get_array(g, "tokenizer.ggml.merges", &merges));
    mt_gguf_iter it = mt_gguf_array_iter(&merges);
    mt_gguf_value v;
    bool take[300] = { false };
    uint32_t n_take = 256, n_merges = 0;
    for (uint32_t i = 0; i < 256; i++) take[i] = true;
    while (mt_gguf_iter_next(&it, &v)) {
        const char *sp = memchr(v.v.str.ptr, ' ', v.v.str.len);
        size_t nl = (size_t)(sp - v.v.str.ptr), nr = v.v.str.len - nl - 1;
        bool left_byte = false, right_byte = false;
        for (uint32_t i = 0; i < 256; i++) {
            left_byte |= tok[i].len == nl && memcmp(tok[i].ptr, v.v.str.ptr, nl) == 0;
            right_byte |= tok[i].len == nr && memcmp(tok[i].ptr, sp + 1, nr) == 0;
        }
        if (!left_byte || !right_byte) continue;
        for (uint32_t i = 256; i < 300; i++)
            if (tok[i].len == nl + nr && memcmp(tok[i].ptr, v.v.str.ptr, nl) == 0 && memcmp(tok[i].ptr + nl, sp + 1, nr) == 0 &&
                !take[i]) {
                take[i] = true;
                n_take++;
                n_merges++;
            }
    }
    CHECKF(n_take > 256 && n_take < 300, "%u tokens from byte pairs", n_take);
    char list[512], out[512], text[8192];
    snprintf(list, sizeof list, "%s/ranks.txt", t_tmpdir());
    snprintf(out, sizeof out, "%s/subset.gguf", t_tmpdir());
    size_t at = (size_t)snprintf(text, sizeof text, "# a comment\n\n");
    for (uint32_t i = 0; i < 300; i++)
        if (take[i]) at += (size_t)snprintf(text + at, sizeof text - at, "%u\r\n", i);
    write_text(list, text);
    proc_result r = run_moetop("synth", "-q", "--vocab-only", "--vocab", src, "--vocab-tokens", list, "-o", out, NULL);
    CHECKF(r.status == 0, "exit %d: %s", r.status, r.err);
    proc_free(&r);
    mt_gguf *s = mt_gguf_open(out, &err);
    if (CHECKF(s != NULL, "%s", err.msg)) {
        static mt_str got[400];
        uint64_t m = tokens_of(s, got, 400);
        CHECKF(m == n_take + MT_SYNTH_N_SPECIAL, "%llu tokens", (unsigned long long)m);
        for (uint32_t i = 0, j = 0; i < 300 && j < m; i++)
            if (take[i]) {
                CHECKF(got[j].len == tok[i].len && memcmp(got[j].ptr, tok[i].ptr, tok[i].len) == 0, "token %u is not rank %u", j, i);
                j++;
            }
        CHECK(m > n_take && got[n_take].len == 15 && memcmp(got[n_take].ptr, "<|startoftext|>", 15) == 0);
        CHECK(mt_gguf_get_u64(s, "tokenizer.ggml.eos_token_id", 0) == n_take + 2);
        mt_gguf_array sm;
        CHECK(mt_gguf_get_array(s, "tokenizer.ggml.merges", &sm) && sm.count == n_merges);
        mt_gguf_close(s);
    }
    /* ranks 0..299 listed: the bytes of --vocab-base 300 */
    char base[512], all[512];
    snprintf(base, sizeof base, "%s/base300.gguf", t_tmpdir());
    snprintf(all, sizeof all, "%s/all300.gguf", t_tmpdir());
    at = 0;
    for (uint32_t i = 0; i < 300; i++) at += (size_t)snprintf(text + at, sizeof text - at, "%u\n", i);
    write_text(list, text);
    proc_result r1 = run_moetop("synth", "-q", "--vocab-only", "--vocab", src, "--vocab-base", "300", "-o", base, NULL);
    proc_result r2 = run_moetop("synth", "-q", "--vocab-only", "--vocab", src, "--vocab-tokens", list, "-o", all, NULL);
    CHECKF(r1.status == 0 && r2.status == 0, "%s %s", r1.err, r2.err);
    unsigned long n1, n2;
    char *a = t_read_file(base, &n1), *b = t_read_file(all, &n2);
    CHECK(a && b && n1 == n2 && memcmp(a, b, n1) == 0);
    free(a);
    free(b);
    proc_free(&r1);
    proc_free(&r2);
    mt_gguf_close(g);
}

/* Bad lists: one stderr line naming the file and line or the rank, exit 2, no file written. */
static void vocab_tokens_refused(void) {
    const char *src = source_vocab();
    char bytes[4096];
    size_t at = 0;
    for (int i = 0; i < 256; i++) at += (size_t)snprintf(bytes + at, sizeof bytes - at, "%d\n", i);
    static const struct { const char *extra, *expect; bool bytes; } cases[] = {
        { "12x\n", ":1: '12x' is not a rank", false },
        { "-3\n", ":1: '-3' is not a rank", false },
        { "# only a comment\n", "lists no ranks", false },
        { "99999999999\n", "is not a rank", false },
        { "5\n3\n", "rank 3 follows 5", false },
        { "7\n", "rank 7 follows 255", true },
        { "400\n", "rank 400 is beyond the 332 tokens", true },
        { "0\n1\n", "a single-byte token, is not listed", false },
    };
    char list[512], out[512], text[8192];
    snprintf(list, sizeof list, "%s/bad-ranks.txt", t_tmpdir());
    snprintf(out, sizeof out, "%s/never-vocab.gguf", t_tmpdir());
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        snprintf(text, sizeof text, "%s%s", cases[i].bytes ? bytes : "", cases[i].extra);
        write_text(list, text);
        proc_result r = run_moetop("synth", "--vocab-only", "--vocab", src, "--vocab-tokens", list, "-o", out, NULL);
        CHECKF(is_clean_usage_error(&r) && strstr(r.err, cases[i].expect), "case %zu: exit %d: %s", i, r.status, r.err);
        proc_free(&r);
    }
    /* a merged token whose halves are not listed: not closed under the merges */
    mt_err err;
    mt_gguf *g = mt_gguf_open(src, &err);
    if (CHECKF(g != NULL, "%s", err.msg)) {
        static mt_str tok[400];
        tokens_of(g, tok, 400);
        /* the last invented token is made from an earlier invented one or bytes; list it with the bytes only
           when one of its halves is not a byte */
        uint32_t pick = 0;
        for (uint32_t i = 299; i >= 256 && !pick; i--) {
            size_t cps = 0;
            for (size_t j = 0; j < tok[i].len; j++) cps += ((unsigned char)tok[i].ptr[j] & 0xc0) != 0x80;
            if (cps > 2) pick = i;
        }
        if (CHECK(pick)) {
            snprintf(text, sizeof text, "%s%u\n", bytes, pick);
            write_text(list, text);
            proc_result r = run_moetop("synth", "--vocab-only", "--vocab", src, "--vocab-tokens", list, "-o", out, NULL);
            char want[64];
            snprintf(want, sizeof want, "rank %u (", pick);
            CHECKF(is_clean_usage_error(&r) && strstr(r.err, want) && strstr(r.err, "closed under the merges"), "exit %d: %s",
                   r.status, r.err);
            proc_free(&r);
        }
        mt_gguf_close(g);
    }
    proc_result r = run_moetop("synth", "--vocab-only", "--vocab-tokens", list, "-o", out, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "needs --vocab FILE"), "without --vocab: %s", r.err);
    proc_free(&r);
    r = run_moetop("synth", "--vocab-only", "--vocab", src, "--vocab-base", "300", "--vocab-tokens", list, "-o", out, NULL);
    CHECKF(is_clean_usage_error(&r) && strstr(r.err, "replaces --vocab-base"), "with --vocab-base: %s", r.err);
    proc_free(&r);
    snprintf(text, sizeof text, "%s/no-such-list.txt", t_tmpdir());
    r = run_moetop("synth", "--vocab-only", "--vocab", src, "--vocab-tokens", text, "-o", out, NULL);
    CHECKF(r.status == 2 && strstr(r.err, "no-such-list.txt"), "missing list: exit %d: %s", r.status, r.err);
    proc_free(&r);
    FILE *f = fopen(out, "rb");
    CHECKF(f == NULL, "a refused synth left a file behind");
    if (f) fclose(f);
}

int main(void) {
    t_begin("synth");
    RUN(presets_and_types_open);
    RUN(query_width_differs_from_model_width);
    RUN(same_seed_same_bytes);
    RUN(summary_line_counts_layers);
    RUN(impossible_shapes_exit_2);
    RUN(vocab_tokens_subset);
    RUN(vocab_tokens_refused);
    return t_end();
}
