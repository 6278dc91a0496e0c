/* Experiments II's library on hand-made cases worked out by hand: the top
 * expert (ties, drops), Jaccard, target search by ids, the context summary
 * split by position, Jensen-Shannon and its permutation test, the taxonomy's
 * classes, lifts, tests and labels, and the probe's decomposition. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/context.h"
#include "experiments/divergence.h"
#include "experiments/domain_test.h"
#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/session.h"
#include "support/fixtures.h"
#include "experiments/probe.h"
#include "experiments/routing.h"
#include "experiments/taxonomy.h"
#include "support/harness.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

static void top_expert_and_jaccard(void) {
    uint32_t e[4] = { 5, 2, 7, 1 };
    float w[4] = { 0.3f, 0.3f, 0.4f, 0.0f };
    CHECK(mt_route_top(e, w, 4) == 7);
    float tie[4] = { 0.4f, 0.4f, 0.2f, 0.0f }; /* ties go to the earlier entry of topk */
    CHECK(mt_route_top(e, tie, 4) == 5);
    float none[2] = { 0.0f, 0.0f };
    CHECK(mt_route_top(e, none, 2) == -1);
    /* selected sets {5,2,7} and {2,7,9}: |A n B| = 2, |A u B| = 4 */
    uint32_t f[3] = { 9, 2, 7 };
    float fw[3] = { 0.5f, 0.25f, 0.25f };
    CHECK(mt_route_jaccard(e, w, 4, f, fw, 3) == 0.5);
    CHECK(mt_route_jaccard(e, w, 4, e, w, 4) == 1.0);
    CHECK(mt_route_jaccard(e, none, 2, f, none, 2) == 1.0); /* both empty: identical */
    CHECK(mt_route_jaccard(e, w, 4, f, none, 2) == 0.0);
}

static void find_by_ids(void) {
    uint32_t ids[7] = { 4, 9, 4, 9, 1, 4, 90 };
    uint32_t p1[2] = { 4, 9 }, p2[1] = { 4 }, p3[2] = { 9, 4 }, p4[1] = { 49 };
    CHECK(mt_ids_find_last(ids, 7, p1, 2) == 2);
    CHECK(mt_ids_find_last(ids, 7, p2, 1) == 5);
    CHECK(mt_ids_find_last(ids, 7, p3, 2) == 1);
    CHECK(mt_ids_find_last(ids, 7, p4, 1) == -1); /* 4 then 9 is never the id 49 */
    CHECK(mt_ids_find_last(ids, 7, p1, 0) == -1);
    CHECK(mt_ids_find_last(ids, 1, p1, 2) == -1);
}

/* one layer, E = 4, k = 2 */
static mt_context_item item(uint32_t start, uint32_t a, float wa, uint32_t b, float wb, uint32_t *ex, float *w, uint32_t *n) {
    ex[0] = a, ex[1] = b, w[0] = wa, w[1] = wb, *n = 2;
    mt_context_item it = { .start = start, .n_layer = 1, .n_expert = 4, .n_sel = n, .experts = ex, .weights = w };
    return it;
}

static void context_summary_by_hand(void) {
    uint32_t ex[4][4], n[4];
    float w[4][4];
    mt_context_item it[4] = {
        item(0, 1, 0.6f, 2, 0.4f, ex[0], w[0], &n[0]), /* at the start: top 1, {1,2} */
        item(0, 1, 0.5f, 3, 0.5f, ex[1], w[1], &n[1]), /* at the start: tie, top 1, {1,3} */
        item(3, 2, 0.7f, 1, 0.3f, ex[2], w[2], &n[2]), /* later: top 2, {1,2} */
        item(5, 0, 0.9f, 2, 0.0f, ex[3], w[3], &n[3]), /* later: 2 dropped, top 0, {0} */
    };
    mt_context_layer s;
    CHECK(mt_context_summarize(it, 4, 0, &s));
    /* pairs: (0,1) 1/3 start; (2,3) 0 later; across (0,2) 1, (0,3) 0, (1,2) 1/3, (1,3) 0 */
    CHECK(NEAR(s.jaccard_start, 1.0 / 3, 1e-15) && s.jaccard_later == 0.0);
    CHECK(NEAR(s.jaccard_across, (1 + 1.0 / 3) / 4, 1e-15));
    CHECK(NEAR(s.jaccard_mean, (1.0 / 3 + 0 + 1 + 0 + 1.0 / 3 + 0) / 6, 1e-15));
    CHECK(s.distinct_top == 3 && s.distinct_top_start == 1 && s.distinct_top_later == 2);
    CHECK(mt_context_summarize(it, 1, 0, &s));
    CHECK(isnan(s.jaccard_mean) && isnan(s.jaccard_later) && s.distinct_top == 1);
}

static void jensen_shannon_by_hand(void) {
    uint64_t a[2] = { 3, 0 }, b[2] = { 0, 5 }, c[2] = { 1, 1 }, z[2] = { 0, 0 };
    CHECK(mt_js_bits(a, b, 2) == 1.0); /* disjoint: 1 bit */
    CHECK(mt_js_bits(a, a, 2) == 0.0 && mt_js_bits(c, c, 2) == 0.0);
    /* (1/2, 1/2) against (1, 0): M = (3/4, 1/4); (1/2 log2(2/3) + 1/2 log2 2) / 2 + log2(4/3) / 2 */
    double want = (0.5 * log2(0.5 / 0.75) + 0.5 * log2(2.0)) / 2 + log2(1 / 0.75) / 2;
    CHECK(NEAR(mt_js_bits(c, a, 2), want, 1e-15) && NEAR(want, 0.311278124459133, 1e-12));
    CHECK(isnan(mt_js_bits(z, a, 2)));
}

static void permutation_test_by_hand(void) {
    /* four prompts, one layer, two experts: A = prompts 0, 1 (all expert 0), B = 2, 3 (all expert 1).
     * JS = 1; of the 6 ways to put two prompts in A, 2 reach JS 1 (the sets as they are, and swapped),
     * so p -> (1 + N/3) / (1 + N). Every random half of the pool: 4 of 6 splits mix one prompt of each
     * (JS 0), 2 are the sets (JS 1): floor -> 1/3. Each set's halves are alike: floor 0. */
    uint64_t counts[4][2] = { { 2, 0 }, { 2, 0 }, { 0, 2 }, { 0, 2 } };
    bool in_b[4] = { false, false, true, true };
    mt_divergence_layer out;
    CHECK(mt_divergence(&counts[0][0], in_b, 4, 1, 2, 6000, 7, &out));
    CHECK(out.js_bits == 1.0 && out.selections_a == 4 && out.selections_b == 4);
    CHECKF(NEAR(out.p_permutation, 1.0 / 3, 0.03), "p %.4f", out.p_permutation);
    CHECKF(NEAR(out.js_floor, 1.0 / 3, 0.03), "floor %.4f", out.js_floor);
    CHECK(out.js_floor_a == 0.0 && out.js_floor_b == 0.0);
    mt_divergence_layer again;
    CHECK(mt_divergence(&counts[0][0], in_b, 4, 1, 2, 6000, 7, &again) && memcmp(&out, &again, sizeof out) == 0); /* seeded */
    /* two prompts: every permutation reaches the observed JS (p = 1); no floor within one prompt */
    CHECK(mt_divergence(&counts[1][0], in_b + 1, 2, 1, 2, 100, 0, &out));
    CHECK(out.js_bits == 1.0 && out.p_permutation == 1.0 && isnan(out.js_floor_a) && isnan(out.js_floor_b));
    /* identical sets: JS 0, p 1 */
    uint64_t same[4][2] = { { 1, 1 }, { 2, 2 }, { 1, 1 }, { 2, 2 } };
    CHECK(mt_divergence(&same[0][0], in_b, 4, 1, 2, 200, 0, &out) && out.js_bits == 0.0 && out.p_permutation == 1.0);
}

static void domain_test_by_hand(void) {
    /* four prompts, two layers, two experts. Layer 0 separates the domains (prompts 0, 1: expert 0;
     * 2, 3: expert 1): the pooled table [[20, 0], [0, 20]] has chi2 = 40, dof 1; of the 6 ways to give
     * two prompts domain 0, 2 rebuild that table (as it is and swapped), so p -> (1 + N/3) / (1 + N).
     * Layer 1: every prompt alike, chi2 0, every shuffle reaches it: p = 1. Holm over the two:
     * sorted p1 <= p2: adj = min(1, 2 p1), max(that, p2) = 1. */
    uint64_t counts[4][2][2] = { { { 10, 0 }, { 3, 3 } }, { { 10, 0 }, { 3, 3 } }, { { 0, 10 }, { 3, 3 } }, { { 0, 10 }, { 3, 3 } } };
    uint32_t domain[4] = { 0, 0, 1, 1 };
    mt_domain_test t[2], again[2];
    CHECK(mt_domain_test_run(&counts[0][0][0], domain, 4, 2, 2, 2, 6000, 7, t));
    CHECKF(NEAR(t[0].chi2, 40.0, 1e-9) && t[0].dof == 1 && t[0].p_chi2 < 1e-9, "chi2 %g dof %u", t[0].chi2, t[0].dof);
    CHECKF(NEAR(t[0].p_permutation, 1.0 / 3, 0.03), "p %.4f", t[0].p_permutation);
    CHECK(t[1].chi2 == 0.0 && t[1].dof == 1 && t[1].p_permutation == 1.0);
    CHECKF(NEAR(t[0].p_holm, fmin(1.0, 2 * t[0].p_permutation), 1e-12) && t[1].p_holm == 1.0, "holm %g %g", t[0].p_holm, t[1].p_holm);
    CHECK(mt_domain_test_run(&counts[0][0][0], domain, 4, 2, 2, 2, 6000, 7, again)); /* seeded: the same p (fields, not padding) */
    CHECK(again[0].p_permutation == t[0].p_permutation && again[1].p_permutation == t[1].p_permutation && again[0].chi2 == t[0].chi2);
    /* the token-level chi-square's p is tiny here, the prompt-level one cannot be: 4 prompts hold 6
     * labellings, so no p below 1/3. With 40 prompts alternating domains and the same split, the
     * smallest p a run can give, 1 / (1 + N), is reached. */
    uint64_t many[40][1][2];
    uint32_t dom[40];
    for (int p = 0; p < 40; p++) {
        dom[p] = (uint32_t)(p % 2);
        many[p][0][0] = dom[p] ? 0 : 5;
        many[p][0][1] = dom[p] ? 5 : 0;
    }
    CHECK(mt_domain_test_run(&many[0][0][0], dom, 40, 2, 1, 2, 999, 1, t) && t[0].p_permutation == 1.0 / 1000);
    /* one domain, or one expert used: no test */
    uint32_t one[4] = { 0, 0, 0, 0 };
    CHECK(mt_domain_test_run(&counts[0][0][0], one, 4, 1, 2, 2, 10, 0, t) && t[0].dof == 0 && isnan(t[0].p_permutation) &&
          isnan(t[0].p_holm) && t[0].p_chi2 == 1.0);
    uint32_t bad[4] = { 0, 5, 0, 0 };
    CHECK(!mt_domain_test_run(&counts[0][0][0], bad, 4, 2, 2, 2, 10, 0, t)); /* a domain out of range */
}

static int cls(const char *s, bool special, uint32_t pos) { return mt_token_class(s, strlen(s), special, pos); }

static void token_classes(void) {
    CHECK(cls("127", false, 0) == MT_CLS_START && cls("<|start|>", true, 3) == MT_CLS_SPECIAL);
    CHECK(cls("127", false, 1) == MT_CLS_NUMBER && cls(" 12", false, 1) == MT_CLS_NUMBER && cls("1.5", false, 1) == MT_CLS_OTHER);
    CHECK(cls("def", false, 2) == MT_CLS_KEYWORD && cls(" return", false, 2) == MT_CLS_KEYWORD && cls("define", false, 2) == MT_CLS_KEYWORD);
    CHECK(cls("cat", false, 2) == MT_CLS_WORD && cls(" cat", false, 2) == MT_CLS_SPACE_WORD && cls(" café", false, 2) == MT_CLS_SPACE_WORD);
    CHECK(cls("  cat", false, 2) == MT_CLS_OTHER); /* two spaces, then letters: not a word after a space */
    CHECK(cls(" +", false, 2) == MT_CLS_OPERATOR && cls("==", false, 2) == MT_CLS_OPERATOR && cls("->", false, 2) == MT_CLS_OPERATOR);
    CHECK(cls(".", false, 2) == MT_CLS_PUNCT && cls(" (", false, 2) == MT_CLS_PUNCT && cls("):", false, 2) == MT_CLS_PUNCT);
    CHECK(cls(" ", false, 2) == MT_CLS_SPACE && cls("\n\n", false, 2) == MT_CLS_SPACE && cls(" \t", false, 2) == MT_CLS_SPACE);
    CHECK(cls("a1", false, 2) == MT_CLS_OTHER && cls("+.", false, 2) == MT_CLS_OTHER);
}

/* one layer, E = 4, k = 2; n tokens of class c, top expert a (weight wa), then b (wb) */
static void feed(mt_taxonomy *t, int c, int n, uint32_t a, float wa, uint32_t b, float wb, double h) {
    uint32_t e[2] = { a, b };
    float w[2] = { wa, wb };
    for (int i = 0; i < n; i++) mt_taxonomy_observe(t, 0, c, e, w, 2, h);
}

static void taxonomy_by_hand(void) {
    mt_taxonomy t;
    CHECK(mt_taxonomy_init(&t, 1, 4));
    /* 30 numbers: expert 0 top (w 0.75), 1 second; 30 words: 1 top with a tie 0.5/0.5 against 3 (earlier
     * entry: 1); 20 operators: top 1 (0.6) 10 times, top 0 (0.6) 10 times. Expert 2 is never selected;
     * expert 3 is selected (the ties) but never top. */
    feed(&t, MT_CLS_NUMBER, 30, 0, 0.75f, 1, 0.25f, 0.2);
    feed(&t, MT_CLS_WORD, 30, 1, 0.5f, 3, 0.5f, 0.6);
    feed(&t, MT_CLS_OPERATOR, 10, 1, 0.6f, 0, 0.4f, 0.4);
    feed(&t, MT_CLS_OPERATOR, 10, 0, 0.6f, 1, 0.4f, 0.4);
    mt_taxonomy_expert ex[4];
    mt_taxonomy_class cl[MT_CLS_COUNT];
    CHECK(mt_taxonomy_layer(&t, 0, 0.05, ex, cl));
    /* expert 0: top 40 = 30 numbers + 10 operators; base rates 30/80, 30/80, 20/80 */
    CHECK(ex[0].top == 40 && ex[0].any == 50 && ex[1].top == 40 && ex[1].any == 80 && ex[3].any == 30);
    CHECK(NEAR(ex[0].share[MT_CLS_NUMBER], 0.75, 1e-15) && NEAR(ex[0].lift[MT_CLS_NUMBER], 0.75 / (30.0 / 80), 1e-12));
    CHECK(NEAR(ex[0].lift[MT_CLS_OPERATOR], 0.25 / 0.25, 1e-12) && ex[0].lift[MT_CLS_WORD] == 0.0 && isnan(ex[0].lift[MT_CLS_SPECIAL]));
    /* chi-square of [[30, 0, 10], [0, 30, 10]]: expected 15, 15, 10 each row: 4 * 15 = 60, dof 2 */
    CHECKF(NEAR(ex[0].chi2, 60.0, 1e-9) && ex[0].dof == 2, "chi2 %.9g dof %u", ex[0].chi2, ex[0].dof);
    CHECK(NEAR(ex[0].p, exp(-30.0), 1e-20)); /* chi-square with 2 dof: p = exp(-x/2) */
    CHECK(NEAR(ex[0].p_holm, 2 * exp(-30.0), 1e-20) && ex[0].label == MT_CLS_NUMBER && ex[1].label == MT_CLS_WORD);
    CHECK(ex[2].label == MT_LABEL_UNUSED && ex[3].label == MT_LABEL_NEVER_TOP && ex[2].p_holm == 1.0 && isnan(ex[2].share[0]));
    CHECK(strcmp(mt_label_name(ex[3].label), "never-top") == 0 && strcmp(mt_label_name(MT_LABEL_GENERALIST), "generalist") == 0);
    /* per class: the numbers' top weight 0.75 with no spread; operators 0.6; entropies as fed */
    CHECK(cl[MT_CLS_NUMBER].tokens == 30 && NEAR(cl[MT_CLS_NUMBER].top_weight_mean, 0.75, 1e-12));
    CHECK(NEAR(cl[MT_CLS_NUMBER].top_weight_lo, 0.75, 1e-6) && NEAR(cl[MT_CLS_WORD].entropy_mean, 0.6, 1e-12));
    CHECK(cl[MT_CLS_SPECIAL].tokens == 0 && isnan(cl[MT_CLS_SPECIAL].entropy_mean));
    mt_taxonomy_free(&t);
    /* an expert whose classes follow the base rates is a generalist: chi2 = 0, p = 1 */
    CHECK(mt_taxonomy_init(&t, 1, 2));
    feed(&t, MT_CLS_NUMBER, 10, 0, 0.9f, 1, 0.1f, 0.5);
    feed(&t, MT_CLS_NUMBER, 10, 1, 0.9f, 0, 0.1f, 0.5);
    feed(&t, MT_CLS_WORD, 5, 0, 0.9f, 1, 0.1f, 0.5);
    feed(&t, MT_CLS_WORD, 5, 1, 0.9f, 0, 0.1f, 0.5);
    mt_taxonomy_expert ex2[2];
    CHECK(mt_taxonomy_layer(&t, 0, 0.05, ex2, cl));
    CHECK(ex2[0].chi2 == 0.0 && ex2[0].p == 1.0 && ex2[0].label == MT_LABEL_GENERALIST && ex2[1].label == MT_LABEL_GENERALIST);
    /* the words' top weight: 0.9 with sd 0 -> the interval is the point */
    CHECK(NEAR(cl[MT_CLS_WORD].top_weight_lo, 0.9, 1e-6) && NEAR(cl[MT_CLS_WORD].top_weight_hi, 0.9, 1e-6));
    mt_taxonomy_free(&t);
    /* 11 tokens over 10 classes against 1000: expected counts near 1, all below 5 (Cochran fails):
     * no test, no p, no label, left out of Holm */
    CHECK(mt_taxonomy_init(&t, 1, 2));
    for (int c = 0; c < MT_CLS_COUNT; c++) {
        feed(&t, c, c == MT_CLS_WORD ? 2 : 1, 0, 0.9f, 1, 0.1f, 0.5);
        feed(&t, c, 100, 1, 0.9f, 0, 0.1f, 0.5);
    }
    CHECK(mt_taxonomy_layer(&t, 0, 0.05, ex2, cl));
    CHECK(ex2[0].top == 11 && !ex2[0].tested && isnan(ex2[0].p) && isnan(ex2[0].p_holm) && ex2[0].label == MT_LABEL_TOO_FEW);
    CHECK(ex2[0].min_expected < 5 && ex2[0].small_expected > 0.2 && strcmp(mt_label_name(ex2[0].label), "too-few-tokens") == 0);
    mt_taxonomy_free(&t);
    /* a valid, significant test whose highest-lift class (special) rests on 4 tokens: the label is
     * the best supported class (word, 60 tokens) */
    CHECK(mt_taxonomy_init(&t, 1, 2));
    feed(&t, MT_CLS_SPECIAL, 4, 0, 0.9f, 1, 0.1f, 0.5);
    feed(&t, MT_CLS_WORD, 60, 0, 0.9f, 1, 0.1f, 0.5);
    feed(&t, MT_CLS_WORD, 20, 1, 0.9f, 0, 0.1f, 0.5);
    const int rest[] = { MT_CLS_NUMBER, MT_CLS_OPERATOR, MT_CLS_PUNCT, MT_CLS_SPACE };
    for (int i = 0; i < 4; i++) {
        feed(&t, rest[i], i ? 20 : 40, 0, 0.9f, 1, 0.1f, 0.5);
        feed(&t, rest[i], i ? 20 : 40, 1, 0.9f, 0, 0.1f, 0.5);
    }
    CHECK(mt_taxonomy_layer(&t, 0, 0.05, ex2, cl));
    CHECKF(ex2[0].tested && ex2[0].p_holm < 0.05 && ex2[0].lift[MT_CLS_SPECIAL] > ex2[0].lift[MT_CLS_WORD], "p_holm %g", ex2[0].p_holm);
    CHECKF(ex2[0].label == MT_CLS_WORD, "label %d", ex2[0].label);
    mt_taxonomy_free(&t);
}

static void probe_decomposition_by_hand(void) {
    /* d = 2, L = 2, E = 2, k = 1; router rows (1, 0) and (0, -1), no bias, norm weights 1 (RMSNorm
     * scales by a positive number, so expert 0 wins when x0 > -x1) */
    float router[4] = { 1, 0, 0, -1 }, ones[2] = { 1, 1 };
    mt_layer_weights lw[2];
    memset(lw, 0, sizeof lw);
    for (int l = 0; l < 2; l++) {
        lw[l].post_attn_norm = ones;
        lw[l].router = (mt_weight){ .data = (const uint8_t *)router, .type = MT_TYPE_F32, .in = 2, .out = 2, .row_bytes = 8 };
    }
    mt_model m;
    memset(&m, 0, sizeof m);
    m.hp.n_layer = 2, m.hp.d_model = 2, m.hp.n_expert = 2, m.hp.k = 1, m.hp.rms_eps = 1e-5f;
    m.layers = lw;
    m.family = mt_family_find((mt_str){ "gpt-oss", 7 }); /* its router: top-k, softmax over the k */
    /* e = (1, 0); attn_0 = (0, 1); x_1 = (2, 1): moe_0 = (1, 0); attn_1 = (0, -4): r_1 = (2, -3) = e + A + M
     * with A = (0, -3), M = (1, 0) */
    float x0[2] = { 1, 0 }, a0[2] = { 0, 1 }, x1[2] = { 2, 1 }, a1[2] = { 0, -4 }, x2[2] = { 5, 5 };
    const float *resid[3] = { x0, x1, x2 }, *attn[2] = { a0, a1 };
    mt_interventions iv;
    CHECK(mt_iv_init(&iv, 2, 2));
    mt_probe_layer p;
    CHECK(mt_probe_layer_init(&p, 2) && mt_probe_compute(&m, &iv, 1, resid, attn, &p));
    double r = sqrt(13.0);
    CHECK(NEAR(p.norm_input, r, 1e-12) && p.norm_embedding == 1 && NEAR(p.norm_attention, 3, 1e-12) && NEAR(p.norm_moe, 1, 1e-12));
    CHECK(NEAR(p.cos_embedding, 2 / r, 1e-12) && NEAR(p.cos_attention, 3 / r, 1e-12) && NEAR(p.cos_moe, 2 / r, 1e-12));
    /* actual (2, -3): expert 1; e (1, 0): 0; e + M = (2, 0): 0; e + A = (1, -3): 1 */
    const mt_probe_route *rt = p.routes;
    CHECK(rt[MT_PROBE_ACTUAL].n == 1 && rt[MT_PROBE_ACTUAL].experts[0] == 1 && rt[MT_PROBE_ACTUAL].weights[0] == 1.0f);
    CHECK(rt[MT_PROBE_EMBEDDING].experts[0] == 0 && rt[MT_PROBE_NO_ATTENTION].experts[0] == 0 && rt[MT_PROBE_NO_MOE].experts[0] == 1);
    CHECK(rt[MT_PROBE_ACTUAL].overlap == 1 && rt[MT_PROBE_EMBEDDING].overlap == 0 && rt[MT_PROBE_NO_ATTENTION].overlap == 0 &&
          rt[MT_PROBE_NO_MOE].overlap == 1);
    mt_probe_layer_free(&p);
    /* layer 0: nothing before it, so M = 0 (its cosine undefined) and no_attention is the embedding */
    CHECK(mt_probe_layer_init(&p, 2) && mt_probe_compute(&m, &iv, 0, resid, attn, &p));
    CHECK(p.norm_moe == 0 && isnan(p.cos_moe) && NEAR(p.norm_input, sqrt(2.0), 1e-12));
    /* the interventions apply to every route: with expert 0 masked, each picks 1 */
    mt_err err;
    CHECK(mt_iv_parse(&iv, "mask", "0", &err));
    mt_probe_layer_free(&p);
    CHECK(mt_probe_layer_init(&p, 2) && mt_probe_compute(&m, &iv, 1, resid, attn, &p));
    for (int k = 0; k < MT_PROBE_ROUTES; k++) CHECK(p.routes[k].experts[0] == 1 && p.routes[k].overlap == 1);
    mt_probe_layer_free(&p);
    mt_iv_free(&iv);
}

/* the session's options for the experiments change no routing: skipping the logits, capturing a
 * position (whose rows are the residuals the session holds), independent tokens after a prefix */
static void session_options(void) {
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    mt_backend *be = mt_cpu_backend_new(1);
    mt_session *a = m && be ? mt_session_new(m, be, &err) : NULL, *b = a ? mt_session_new(m, be, &err) : NULL;
    if (!CHECKF(a && b, "%s", err.msg)) goto done;
    uint32_t ids[6] = { 976, 474, 1003, 287, 843, 77 }, L = m->hp.n_layer, E = m->hp.n_expert, d = m->hp.d_model;
    mt_session_skip_logits(b, true);
    CHECK(mt_session_capture_at(b, 2, &err));
    CHECK(mt_session_append(a, ids, 6, &err) && mt_session_append(b, ids, 6, &err));
    CHECK(mt_session_logits(a, 5) != NULL && mt_session_logits(b, 5) == NULL);
    for (uint32_t l = 0; l < L; l++)
        for (uint32_t t = 0; t < 6; t++) {
            const uint32_t *ea, *eb;
            const float *wa, *wb;
            float ma, mb;
            uint32_t na = mt_session_route(a, l, t, &ea, &wa, &ma), nb = mt_session_route(b, l, t, &eb, &wb, &mb);
            CHECK(na == nb && memcmp(ea, eb, na * sizeof *ea) == 0 && memcmp(wa, wb, na * sizeof *wa) == 0);
            CHECK(memcmp(mt_session_router_logits(a, l, t), mt_session_router_logits(b, l, t), E * sizeof(float)) == 0);
        }
    /* the captured rows: |x_l| and |attn_l| are the trace's norms of position 2 */
    for (uint32_t l = 0; l < L; l++) {
        const float *x, *att;
        float norms[3];
        CHECK(mt_session_captured(b, l, &x, &att));
        mt_session_norms(b, l, 2, norms);
        double nx = 0, na = 0;
        for (uint32_t i = 0; i < d; i++) nx += (double)x[i] * x[i], na += (double)att[i] * att[i];
        CHECKF(NEAR(sqrt(nx), norms[0], 1e-4 * norms[0]) && NEAR(sqrt(na), norms[1], 1e-4 * norms[1]), "layer %u", l);
    }
    /* three independent tokens after the prefix 976 474: each equals its own append */
    mt_session_truncate(b, 2);
    uint32_t alone[3] = { 1003, 5, 77 };
    CHECK(mt_session_eval_alone(b, alone, 3, &err) && mt_session_length(b) == 5);
    for (uint32_t i = 0; i < 3; i++) {
        mt_session_truncate(a, 2);
        CHECK(mt_session_append(a, &alone[i], 1, &err));
        for (uint32_t l = 0; l < L; l++) {
            const uint32_t *ea, *eb;
            const float *wa, *wb;
            float ma, mb;
            uint32_t na = mt_session_route(a, l, 2, &ea, &wa, &ma), nb = mt_session_route(b, l, 2 + i, &eb, &wb, &mb);
            /* the batch runs the several-token kernels: equal within float32 rounding */
            CHECK(na == nb);
            for (uint32_t k = 0; k < na && k < nb; k++) CHECKF(ea[k] == eb[k] && NEAR(wa[k], wb[k], 1e-5), "token %u layer %u", i, l);
        }
    }
    uint32_t bad = 999999;
    CHECK(!mt_session_eval_alone(b, &bad, 1, &err) && !mt_session_eval_alone(b, alone, 0, &err));
done:
    mt_session_free(a);
    mt_session_free(b);
    if (be) be->destroy(be);
    mt_model_free(m);
    mt_gguf_close(g);
}

int main(void) {
    t_begin("experiments2");
    RUN(top_expert_and_jaccard);
    RUN(find_by_ids);
    RUN(context_summary_by_hand);
    RUN(jensen_shannon_by_hand);
    RUN(permutation_test_by_hand);
    RUN(domain_test_by_hand);
    RUN(token_classes);
    RUN(taxonomy_by_hand);
    RUN(probe_decomposition_by_hand);
    RUN(session_options);
    return t_end();
}
