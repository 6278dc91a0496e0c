/* The library of Experiments III (experiments/circuits, dynamics, importance)
 * on hand-made traces, each against numbers worked out by hand in the
 * comments. The commands are tested through the binary in
 * test_cli_routing_structure. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/attention.h"
#include "experiments/circuits.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/session.h"
#include "experiments/dynamics.h"
#include "experiments/expert_eval.h"
#include "experiments/importance.h"
#include "engine/quant.h"
#include "engine/rng.h"
#include "experiments/predict.h"
#include "experiments/routes.h"
#include "experiments/similarity.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

static void top_expert_and_jaccard(void) {
    uint32_t e[3] = { 5, 2, 7 };
    float w[3] = { 0.4f, 0.4f, 0.2f }, none[3] = { 0, 0, 0 }, dropped[3] = { 0, 0.3f, 0.7f };
    CHECK(mt_top_expert(e, w, 3) == 5);          /* a tie goes to the earlier entry */
    CHECK(mt_top_expert(e, dropped, 3) == 7);    /* the highest weight, not topk[0] */
    CHECK(mt_top_expert(e, none, 3) == MT_NO_EXPERT);
    uint32_t f[2] = { 7, 1 };
    float fw[2] = { 0.5f, 0.5f };
    CHECK(NEAR(mt_jaccard_selected(e, w, 3, f, fw, 2), 1.0 / 4.0, 1e-12));      /* {5,2,7} vs {7,1}: 1 of 4 */
    CHECK(NEAR(mt_jaccard_selected(e, dropped, 3, f, fw, 2), 1.0 / 3.0, 1e-12)); /* {2,7} vs {7,1}: 1 of 3 */
    CHECK(mt_jaccard_selected(e, none, 3, f, none, 2) == -1.0);
}

static void nmi_by_hand(void) {
    /* E = 2. A perfect relabelling (0->1, 1->0) with equal halves: I = ln 2 = H, NMI 1 */
    uint32_t from[4] = { 0, 0, 1, 1 }, to[4] = { 1, 1, 0, 0 }, indep_to[4] = { 0, 1, 0, 1 };
    uint64_t c[4] = { 0 }, ind[4] = { 0 };
    mt_circuit_count(c, 2, from, to, 4);
    CHECK(c[0] == 0 && c[1] == 2 && c[2] == 2 && c[3] == 0);
    CHECK(NEAR(mt_nmi(c, 2), 1.0, 1e-12));
    /* independent: every cell 1, I = 0 */
    mt_circuit_count(ind, 2, from, indep_to, 4);
    CHECK(NEAR(mt_nmi(ind, 2), 0.0, 1e-12));
    /* a constant layer has entropy 0: NMI 0 by definition */
    uint64_t flat[4] = { 3, 1, 0, 0 };
    CHECK(mt_nmi(flat, 2) == 0.0);
    /* counts {{2,1},{0,1}}, N 4: H_from = H(3/4,1/4) = 0.5623351, H_to = H(1/2,1/2) = ln 2,
     * I = sum p ln(p/(p_i p_j)) = 2/4 ln(.5/(.75*.5)) + 1/4 ln(.25/(.75*.5)) + 1/4 ln(.25/(.25*.5))
     *   = 0.5 ln(4/3) + 0.25 ln(2/3) + 0.25 ln 2 = 0.2157616; NMI = I / sqrt(H_from H_to) = 0.3455920 */
    uint64_t m[4] = { 2, 1, 0, 1 };
    double h_from = -(0.75 * log(0.75) + 0.25 * log(0.25)), h_to = log(2.0);
    double i = 0.5 * log(4.0 / 3.0) + 0.25 * log(2.0 / 3.0) + 0.25 * log(2.0);
    CHECK(NEAR(mt_nmi(m, 2), i / sqrt(h_from * h_to), 1e-12));
    CHECK(NEAR(mt_nmi(m, 2), 0.3455920, 1e-6));
    /* ids are never compared across layers: renaming to's experts leaves NMI unchanged */
    uint64_t renamed[4] = { 1, 2, 1, 0 };
    CHECK(NEAR(mt_nmi(renamed, 2), mt_nmi(m, 2), 1e-12));
}

static void nmi_shuffled_baseline(void) {
    /* a strong table: every shuffle breaks it, so the mean is far below 1 and p = 1/(1+S) */
    uint64_t c[9] = { 30, 0, 0, 0, 30, 0, 0, 0, 30 };
    double mean, p, mean2, p2;
    CHECK(mt_nmi_shuffled(c, 3, 100, 7, 1, &mean, &p));
    CHECKF(mean < 0.1 && NEAR(p, 1.0 / 101.0, 1e-12), "mean %g p %g", mean, p);
    /* the same seed and counts give the same numbers; another seed other shuffles */
    CHECK(mt_nmi_shuffled(c, 3, 100, 7, 1, &mean2, &p2) && mean2 == mean && p2 == p);
    CHECK(mt_nmi_shuffled(c, 3, 100, 8, 1, &mean2, &p2) && mean2 != mean);
    /* two tokens {0->0, 1->1}: a shuffle either keeps (NMI 1) or swaps (NMI 1 too): p = 1 */
    uint64_t two[4] = { 1, 0, 0, 1 };
    CHECK(mt_nmi_shuffled(two, 2, 50, 0, 0, &mean, &p) && NEAR(mean, 1.0, 1e-12) && p == 1.0);
}

static void paths_by_hand(void) {
    mt_paths p;
    mt_paths_init(&p, 2);
    uint32_t a[2] = { 1, 2 }, b[2] = { 0, 5 }, c[2] = { 1, 2 };
    CHECK(mt_paths_add(&p, a, 1) && mt_paths_add(&p, b, 2) && mt_paths_add(&p, c, 2) && mt_paths_add(&p, b, 1));
    CHECK(mt_paths_compact(&p));
    /* (1,2): 3 and (0,5): 3 tie: ids ascending */
    CHECK(p.n == 2 && p.count[0] == 3 && p.ids[0] == 0 && p.ids[1] == 5 && p.count[1] == 3 && p.ids[2] == 1);
    CHECK(mt_paths_total(&p) == 6);
    mt_paths_free(&p);
}

static void dynamics_by_hand(void) {
    /* E = 4, one layer, five tokens (topk order, weights):
     *   t0 {0:.6, 1:.4}  top 0      t1 {0:.7, 2:.3} top 0     t2 {3:.5, 0:.5} top 3 (tie: earlier)
     *   t3 {3:1, 1:0}    top 3, S = {3}                         t4 {2:.9, 3:.1} top 2
     * pairs (t>=1): 4. Jaccard: {0,1}/{0,2} 1/3; {0,2}/{0,3} 1/3; {0,3}/{3} 1/2; {3}/{2,3} 1/2: mean 5/12.
     * persistence: t1 keeps 0, t3 keeps 3: 2/4. top shares: 0: 2/5, 3: 2/5, 2: 1/5 -> chance 9/25.
     * handoffs: 0->3 once, 3->2 once. */
    uint32_t ex[5][2] = { { 0, 1 }, { 0, 2 }, { 3, 0 }, { 3, 1 }, { 2, 3 } };
    float w[5][2] = { { .6f, .4f }, { .7f, .3f }, { .5f, .5f }, { 1, 0 }, { .9f, .1f } };
    mt_token_sel seq[5];
    for (int t = 0; t < 5; t++) seq[t] = (mt_token_sel){ ex[t], w[t], 2 };
    mt_dyn_sums d, half, rest;
    CHECK(mt_dyn_init(&d, 4) && mt_dyn_init(&half, 4) && mt_dyn_init(&rest, 4));
    CHECK(mt_dyn_observe(&d, seq, 5, 100, 3, 9));
    mt_dyn_summary s;
    mt_dyn_summarize(&d, &s);
    CHECK(d.pairs == 4 && d.persist == 2 && d.tokens == 5);
    CHECK(NEAR(s.jaccard_consecutive, 5.0 / 12.0, 1e-9) && s.persistence == 0.5 && NEAR(s.persistence_chance, 9.0 / 25.0, 1e-12));
    CHECK(d.handoffs[0 * 4 + 3] == 1 && d.handoffs[3 * 4 + 2] == 1 && d.handoffs[0 * 4 + 0] == 0);
    /* shuffles of 5 labels with counts {2,2,1}: expected persistence sum c(c-1)/(n(n-1)) = 4/20 = 0.2;
     * 100 shuffles land within 0.1 of it */
    CHECKF(d.shuffled_pairs == 400 && NEAR(s.persistence_shuffled, 0.2, 0.1), "shuffled %g", s.persistence_shuffled);
    /* sums add exactly: two sequences observed apart and added equal the same observed into one */
    CHECK(mt_dyn_observe(&half, seq, 3, 10, 1, 1) && mt_dyn_observe(&rest, seq + 3, 2, 10, 1, 2));
    mt_dyn_sums both;
    CHECK(mt_dyn_init(&both, 4) && mt_dyn_observe(&both, seq, 3, 10, 1, 1) && mt_dyn_observe(&both, seq + 3, 2, 10, 1, 2));
    mt_dyn_add(&half, &rest);
    CHECK(half.jaccard_fx == both.jaccard_fx && half.persist == both.persist && half.shuffled_persist == both.shuffled_persist &&
          memcmp(half.top, both.top, 4 * sizeof *half.top) == 0);
    /* no pairs: NaN, never 0 */
    mt_dyn_sums empty;
    CHECK(mt_dyn_init(&empty, 4) && mt_dyn_observe(&empty, seq, 1, 100, 0, 0));
    mt_dyn_summarize(&empty, &s);
    CHECK(isnan(s.persistence) && isnan(s.jaccard_consecutive) && s.persistence_chance == 1.0);
    mt_dyn_free(&d);
    mt_dyn_free(&half);
    mt_dyn_free(&rest);
    mt_dyn_free(&both);
    mt_dyn_free(&empty);
}

static void importance_by_hand(void) {
    /* E = 3, two domains, two prompts.
     * prompt A (domain 0), 2 tokens: t0 {0: g .75 |f| 2, 1: g .25 |f| 4}; t1 {0: g .5 |f| 1, 2: g .5 |f| 3}
     * prompt B (domain 1), 2 tokens: t2 {1: g 1 |f| 2, 0: g 0 (dropped)}; t3 {1: g .5 |f| 2, 2: g .5 |f| 2}
     * expert 0: 2 selections of 4 tokens, rate 1/2; mean g (.75+.5)/2 = .625; saliency (1.5 + .5)/2 = 1;
     *   contribution 2/4 = .5; both from domain 0: specialisation 1 (base 2/4); prompt rates 1 and 0:
     *   mean 1/2, sd 1/2, CV 1, consistency 1/2
     * expert 1: 3 selections, rate 3/4; saliency (1 + 2 + 1)/3 = 4/3; contribution 1; domain 1: 2 of 3
     *   (base 1/2); prompt rates 1/2, 1: mean 3/4, sd 1/4, consistency 1/(1 + 1/3) = 3/4
     * expert 2: 2 selections, rate 1/2; saliency (1.5 + 1)/2 = 1.25; contribution .625; one per domain:
     *   1/2 from domain 0 (the first of the tie); prompt rates 1/2, 1/2: consistency 1
     * ranks by contribution: 1 (1), 2 (.625), 0 (.5) */
    mt_imp_layer l, half;
    CHECK(mt_imp_init(&l, 3, 2) && mt_imp_init(&half, 3, 2));
    uint32_t e0[2] = { 0, 1 }, e1[2] = { 0, 2 }, e2[2] = { 1, 0 }, e3[2] = { 1, 2 };
    float w0[2] = { .75f, .25f }, w1[2] = { .5f, .5f }, w2[2] = { 1, 0 }, w3[2] = { .5f, .5f };
    float n0[2] = { 2, 4 }, n1[2] = { 1, 3 }, n2[2] = { 2, 99 }, n3[2] = { 2, 2 };
    mt_imp_observe(&l, 0, e0, w0, n0, 2);
    mt_imp_observe(&l, 0, e1, w1, n1, 2);
    mt_imp_end_prompt(&l);
    mt_imp_observe(&half, 1, e2, w2, n2, 2);
    mt_imp_observe(&half, 1, e3, w3, n3, 2);
    mt_imp_end_prompt(&half);
    mt_imp_add(&l, &half); /* shards add */
    mt_imp_summary s[3];
    mt_imp_summarize(&l, s);
    CHECK(l.tokens == 4 && l.prompts == 2);
    CHECK(s[0].rate == 0.5 && NEAR(s[0].mean_weight, 0.625, 1e-9) && NEAR(s[0].saliency, 1.0, 1e-6) && NEAR(s[0].contribution, 0.5, 1e-6));
    CHECK(s[0].specialisation == 1.0 && s[0].specialisation_domain == 0 && s[0].specialisation_baseline == 0.5 && NEAR(s[0].consistency, 0.5, 1e-9));
    CHECK(s[1].rate == 0.75 && NEAR(s[1].saliency, 4.0 / 3.0, 1e-6) && NEAR(s[1].contribution, 1.0, 1e-6));
    CHECK(NEAR(s[1].specialisation, 2.0 / 3.0, 1e-12) && s[1].specialisation_domain == 1 && NEAR(s[1].consistency, 0.75, 1e-9));
    CHECK(NEAR(s[2].saliency, 1.25, 1e-6) && s[2].specialisation == 0.5 && s[2].specialisation_domain == 0 && NEAR(s[2].consistency, 1.0, 1e-9));
    CHECK(s[1].rank == 1 && s[2].rank == 2 && s[0].rank == 3);
    /* one domain, one prompt: no specialisation, no consistency (NaN, never a made-up number) */
    mt_imp_summarize(&half, s);
    CHECK(isnan(s[0].consistency) && s[0].rate == 0 && s[0].contribution == 0 && isnan(s[0].saliency));
    /* ranking: ties to the lower id, NaN last */
    double sc[4] = { 1, NAN, 2, 1 };
    uint32_t rank[4];
    mt_imp_rank(sc, 4, rank);
    CHECK(rank[2] == 1 && rank[0] == 2 && rank[3] == 3 && rank[1] == 4);
    mt_imp_free(&l);
    mt_imp_free(&half);
}

/* The captured MoE input and each selected expert's output recomputed from it
 * add up to the MoE update the forward pass made: || sum_i g_i f_i(h) || equals
 * the trace's norm of the MoE update, on the oracle fixture a. */
static void expert_outputs_rebuild_the_moe_update(void) {
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    mt_backend *be = mt_cpu_backend_new(1);
    mt_session *s = m && be ? mt_session_new(m, be, &err) : NULL;
    mt_expert_eval *ev = m ? mt_expert_eval_new(m, 1, &err) : NULL;
    CHECKF(s && ev, "%s", err.msg);
    uint32_t ids[9] = { 72, 101, 108, 108, 111, 32, 119, 111, 114 };
    if (s && ev && CHECK(mt_session_capture_moe_input(s, true)) && CHECK(mt_session_append(s, ids, 9, &err))) {
        uint32_t d = m->hp.d_model;
        float *out = malloc(d * sizeof *out), *sum = malloc(d * sizeof *sum);
        double worst = 0;
        for (uint32_t l = 0; l < m->hp.n_layer; l++)
            for (uint32_t t = 0; t < 9; t++) {
                const uint32_t *ex;
                const float *w;
                float margin, norms[3];
                uint32_t k = mt_session_route(s, l, t, &ex, &w, &margin);
                memset(sum, 0, d * sizeof *sum);
                for (uint32_t i = 0; i < k; i++) {
                    CHECK(mt_expert_eval_run(ev, l, ex[i], mt_session_moe_input(s, l, t), 1, out, &err));
                    for (uint32_t j = 0; j < d; j++) sum[j] += w[i] * out[j];
                }
                double sq = 0;
                for (uint32_t j = 0; j < d; j++) sq += (double)sum[j] * sum[j];
                mt_session_norms(s, l, t, norms);
                double rel = fabs(sqrt(sq) - norms[2]) / fmax(1e-6, norms[2]);
                worst = rel > worst ? rel : worst;
            }
        CHECKF(worst < 1e-5, "worst relative difference %g", worst);
        CHECK(mt_session_moe_input(s, 0, 9) == NULL);
        free(out);
        free(sum);
    }
    mt_expert_eval_free(ev);
    mt_session_free(s);
    if (be) be->destroy(be);
    mt_model_free(m);
    mt_gguf_close(g);
}

static void similarity_by_hand(void) {
    /* E = 3 experts of 2 x 2 weights (F32): W0 = [1 0; 0 0], W1 = [0 1; 0 0], W2 = [1 1; 0 0].
     * G = [1 0 1; 0 1 1; 1 1 2]; cos(0,1) = 0, cos(0,2) = cos(1,2) = 1/sqrt 2.
     * Differences from the mean [2/3 2/3]: [1/3 -2/3], [-2/3 1/3], [1/3 1/3]; their scatter
     * [6/9 -3/9; -3/9 6/9] has eigenvalues 1 and 1/3 (and the Gram a third, 0): 75% in the first,
     * so the effective rank is 2 at 95% and 1 at 70%. */
    float w[3][4] = { { 1, 0, 0, 0 }, { 0, 1, 0, 0 }, { 1, 1, 0, 0 } };
    mt_weight mw = { (const uint8_t *)w, MT_TYPE_F32, 2, 2, 8, 16, NULL };
    double G[9], c[9], eig[3];
    CHECK(mt_expert_gram(&mw, 3, G));
    CHECK(G[0] == 1 && G[1] == 0 && G[2] == 1 && G[4] == 1 && G[5] == 1 && G[8] == 2 && G[6] == 1);
    mt_gram_cosines(G, 3, c);
    CHECK(c[1] == 0 && NEAR(c[2], 1 / sqrt(2.0), 1e-12) && NEAR(c[5], 1 / sqrt(2.0), 1e-12) && c[0] == 1);
    CHECK(mt_gram_effective_rank(G, 3, 0.95, eig) == 2 && NEAR(eig[0], 1, 1e-12) && NEAR(eig[1], 1.0 / 3, 1e-12) && NEAR(eig[2], 0, 1e-12));
    CHECK(mt_gram_effective_rank(G, 3, 0.70, NULL) == 1);
    /* identical experts: no differences, rank 0 */
    double same[4] = { 2, 2, 2, 2 };
    CHECK(mt_gram_effective_rank(same, 2, 0.95, NULL) == 0);
    /* a quantized tensor over more rows than one chunk: the Gram from the stored Q8_0 blocks equals
     * the one from its rows dequantized one by one */
    enum { E = 3, IN = 64, OUT = 1500 };
    uint64_t rb = mt_row_bytes(MT_TYPE_Q8_0, IN);
    uint8_t *q = malloc((size_t)E * OUT * rb);
    float *row = malloc(IN * sizeof *row), *a = malloc(IN * sizeof *a), *b = malloc(IN * sizeof *b);
    mt_rng r = mt_rng_seed(1, 2);
    for (int e = 0; e < E; e++)
        for (int o = 0; o < OUT; o++) {
            for (int i = 0; i < IN; i++) row[i] = mt_rng_normal(&r) + (e == 2 ? 0.0f : 0.5f * (float)((o + i) % 3));
            mt_quantize_row(MT_TYPE_Q8_0, row, q + ((size_t)e * OUT + o) * rb, IN);
        }
    mt_weight qw = { q, MT_TYPE_Q8_0, IN, OUT, rb, OUT * rb, NULL };
    double want[9] = { 0 }, got[9];
    for (int i = 0; i < E; i++)
        for (int j = 0; j < E; j++)
            for (int o = 0; o < OUT; o++) {
                mt_dequant_row(MT_TYPE_Q8_0, mt_weight_row(&qw, i, o), a, IN);
                mt_dequant_row(MT_TYPE_Q8_0, mt_weight_row(&qw, j, o), b, IN);
                for (int k = 0; k < IN; k++) want[i * E + j] += (double)a[k] * b[k];
            }
    CHECK(mt_expert_gram(&qw, E, got));
    double worst = 0;
    for (int i = 0; i < 9; i++) worst = fmax(worst, fabs(got[i] - want[i]) / fabs(want[i]));
    CHECKF(worst < 1e-10, "worst relative difference %g (a float sum would be ~1e-5 off with the reference BLAS)", worst);
    free(q);
    free(row);
    free(a);
    free(b);
    /* functional sums: outputs [E][d] of one token */
    float outs[2][2] = { { 1, 2 }, { 3, 4 } };
    double F[4] = { 0 };
    mt_functional_add(F, 2, &outs[0][0], 2);
    CHECK(F[0] == 5 && F[1] == 11 && F[2] == 11 && F[3] == 25);
}

/* one token: features = the one-hot of a's single expert */
static void push_token(mt_pred_set *s, uint32_t a, uint32_t b) {
    float f[8] = { 0 };
    uint8_t in_a[8] = { 0 }, in_b[8] = { 0 };
    f[a] = 1;
    in_a[a] = 1;
    in_b[b] = 1;
    CHECK(mt_pred_push(s, f, in_a, in_b));
}

static void predict_by_hand(void) {
    /* E = 4, k = 1, prefetch 2. Training: a {0} -> b {2} twice, a {1} -> b {3}, a {1} -> b {0}.
     * Test: a {0} -> b {2}; a {1} -> b {3}.
     * frequency ranks b's experts 2 (2), 0 (1, the lower id of a tie with 3), 3, 1: top-1 {2} hits the first
     *   test token only: precision@1 = recall@1 = 1/2; top-2 {2, 0}: hit@2 = 1/2.
     * co-occurrence: first token scores 2 with P(2|0) = 1: a hit; second scores 3 and 0 with 1/2 each,
     *   a tie (equal frequency too) to the lower id 0: a miss at 1, a hit within 2: precision@1 1/2, hit@2 1.
     * chance: precision mean|S|/E = 1/4, recall 1/4, hit 2/4. */
    mt_pred_set tr, te;
    mt_pred_init(&tr, 4, 4);
    mt_pred_init(&te, 4, 4);
    push_token(&tr, 0, 2);
    push_token(&tr, 0, 2);
    push_token(&tr, 1, 3);
    push_token(&tr, 1, 0);
    push_token(&te, 0, 2);
    push_token(&te, 1, 3);
    mt_pred_result r[MT_PRED_KINDS];
    char why[200] = "";
    CHECKF(mt_predict_evaluate(&tr, &te, 1, 2, r, why, sizeof why), "%s", why);
    CHECK(r[MT_PRED_FREQ].tokens == 2 && r[MT_PRED_FREQ].precision == 0.5 && r[MT_PRED_FREQ].recall == 0.5 && r[MT_PRED_FREQ].hit == 0.5);
    CHECK(r[MT_PRED_COOC].precision == 0.5 && r[MT_PRED_COOC].hit == 1.0);
    CHECK(r[MT_PRED_FREQ].chance_precision == 0.25 && r[MT_PRED_FREQ].chance_recall == 0.25 && r[MT_PRED_FREQ].chance_hit == 0.5);
    CHECK(r[MT_PRED_PROBE].precision >= 0.5); /* the first token is separable: expert 2 only ever follows a = 0 */
    mt_pred_free(&tr);
    mt_pred_free(&te);
    /* a deterministic map b = (a + 3) mod 8 over many tokens: co-occurrence and the probe find it (precision 1),
     * frequency cannot (1/8 of the tokens' expert is its single top guess) */
    mt_pred_init(&tr, 8, 8);
    mt_pred_init(&te, 8, 8);
    for (uint32_t t = 0; t < 400; t++) push_token((t / 8) % 4 ? &tr : &te, t % 8, (t % 8 + 3) % 8); /* every 4th cycle of 8 tests */
    CHECKF(mt_predict_evaluate(&tr, &te, 1, 2, r, why, sizeof why), "%s", why);
    CHECKF(r[MT_PRED_COOC].precision == 1.0 && r[MT_PRED_PROBE].precision == 1.0 && r[MT_PRED_FREQ].precision < 0.3,
           "cooc %g probe %g freq %g", r[MT_PRED_COOC].precision, r[MT_PRED_PROBE].precision, r[MT_PRED_FREQ].precision);
    mt_pred_free(&tr);
    mt_pred_free(&te);
}

/* The attention probabilities of fixture a (sliding window 16 on even layers, sinks): they and the sink's
 * share sum to 1, nothing outside the window, and sum_j p_j v_j through W_o rebuilds the attention
 * update whose norm the trace holds. */
static void attention_probabilities_rebuild_the_update(void) {
    const char *path = fixture_path('a', ".gguf");
    if (!path) return;
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    mt_backend *be = mt_cpu_backend_new(1);
    mt_session *s = m && be ? mt_session_new(m, be, &err) : NULL;
    CHECKF(s != NULL, "%s", err.msg);
    enum { T = 30 };
    uint32_t ids[T];
    for (uint32_t t = 0; t < T; t++) ids[t] = 40 + (t * 7) % 60;
    if (s && CHECK(mt_session_capture_attention(s, true)) && CHECK(mt_session_append(s, ids, T, &err))) {
        const mt_hparams *hp = &m->hp;
        uint32_t qw = hp->n_head * hp->head_dim, d = hp->d_model;
        float *probs = malloc((size_t)hp->n_head * T * sizeof *probs), *sink = malloc(hp->n_head * sizeof *sink);
        float *att = malloc(qw * sizeof *att);
        double worst = 0, worst_sum = 0;
        int outside = 0, inside_zero = 0;
        for (uint32_t l = 0; l < hp->n_layer; l++)
            for (uint32_t pos = 0; pos < T; pos += 7) {
                CHECK(mt_session_attention(s, l, pos, probs, sink, att, &err));
                uint32_t first = l % 2 == 0 && pos + 1 > hp->sliding_window ? pos + 1 - hp->sliding_window : 0;
                for (uint32_t h = 0; h < hp->n_head; h++) {
                    double sum = sink[h];
                    for (uint32_t j = 0; j <= pos; j++) {
                        sum += probs[h * (pos + 1) + j];
                        outside += j < first && probs[h * (pos + 1) + j] != 0;
                        inside_zero += j >= first && !(probs[h * (pos + 1) + j] > 0);
                    }
                    worst_sum = fmax(worst_sum, fabs(sum - 1));
                }
                const mt_layer_weights *w = &m->layers[l];
                double sq = 0;
                for (uint32_t r = 0; r < d; r++) {
                    double o = mt_dot_row(w->wo.type, mt_weight_row(&w->wo, 0, r), att, qw) + (w->bo ? w->bo[r] : 0);
                    sq += o * o;
                }
                float norms[3];
                mt_session_norms(s, l, pos, norms);
                worst = fmax(worst, fabs(sqrt(sq) - norms[1]) / fmax(1e-6, norms[1]));
            }
        CHECKF(worst_sum < 1e-5 && outside == 0 && inside_zero == 0, "sum off by %g, %d outside the window, %d zero inside", worst_sum, outside, inside_zero);
        CHECKF(worst < 1e-4, "attention update norm: worst relative difference %g", worst);
        CHECK(!mt_session_attention(s, 0, T, probs, sink, NULL, &err) && strstr(err.msg, "30 tokens"));
        free(probs);
        free(sink);
        free(att);
    }
    mt_session_free(s);
    /* without the capture: a clear refusal */
    s = m && be ? mt_session_new(m, be, &err) : NULL;
    float p[64];
    if (s && CHECK(mt_session_append(s, ids, 2, &err))) CHECK(!mt_session_attention(s, 0, 1, p, NULL, NULL, &err) && strstr(err.msg, "capture"));
    mt_session_free(s);
    if (be) be->destroy(be);
    mt_model_free(m);
    mt_gguf_close(g);
}

static void attention_statistics_by_hand(void) {
    /* one head, position 2: probabilities [.1 .2 .6] and the sink .1; by offset back: [.6 .2 .1], then the sink */
    float probs[3] = { .1f, .2f, .6f }, sink[1] = { .1f };
    double pat[5], other[5] = { 0.6, 0.2, 0.1, 0, 0.1 }, zero[5] = { 0 };
    mt_attention_pattern(probs, sink, 1, 2, 4, pat);
    CHECK(NEAR(pat[0], .6, 1e-7) && NEAR(pat[1], .2, 1e-7) && NEAR(pat[2], .1, 1e-7) && pat[3] == 0 && NEAR(pat[4], .1, 1e-7));
    CHECK(NEAR(mt_attention_similarity(pat, other, 1, 4), 1.0, 1e-6) && mt_attention_similarity(pat, zero, 1, 4) == 0);
    /* two heads: position 1 attended .5 and .7 -> .6, position 0 .5 and .3 -> .4 */
    float two[4] = { .5f, .5f, .3f, .7f };
    uint32_t at[2];
    double w[2];
    mt_attention_top(two, 2, 1, 2, at, w);
    CHECK(at[0] == 1 && NEAR(w[0], .6, 1e-7) && at[1] == 0 && NEAR(w[1], .4, 1e-7));
    /* Mantel: identical matrices r = 1; of the 6 relabellings of 3 contexts only the identity keeps the order of
     * the three pairs (1, 2, 3), so p is near (1 + P/6) / (1 + P); a constant matrix: no r, p 1 */
    double x[9] = { 0, 1, 2, 1, 0, 3, 2, 3, 0 }, c[9] = { 0, 5, 5, 5, 0, 5, 5, 5, 0 }, r, p;
    CHECK(mt_mantel(x, x, 3, 600, 1, &r, &p) && NEAR(r, 1.0, 1e-12));
    CHECKF(p > 0.1 && p < 0.25, "p %g", p);
    CHECK(mt_mantel(x, c, 3, 100, 1, &r, &p) && isnan(r) && p == 1.0);
}

int main(void) {
    t_begin("routing_structure");
    RUN(top_expert_and_jaccard);
    RUN(nmi_by_hand);
    RUN(nmi_shuffled_baseline);
    RUN(paths_by_hand);
    RUN(dynamics_by_hand);
    RUN(importance_by_hand);
    RUN(expert_outputs_rebuild_the_moe_update);
    RUN(similarity_by_hand);
    RUN(predict_by_hand);
    RUN(attention_probabilities_rebuild_the_update);
    RUN(attention_statistics_by_hand);
    return t_end();
}
