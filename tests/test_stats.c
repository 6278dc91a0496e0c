/* Routing statistics by hand: every metric against values worked out on
 * small traces (one token, k = E, an expert never chosen, ties, k = 1, force,
 * everything dropped), the chi-square test, and tokens with NaN or infinite
 * router logits left out of every statistic. The commands that print them:
 * test_stats_cli.c. */
#include <math.h>
#include <stdio.h>

#include "engine/stats.h"
#include "support/harness.h"

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void one_token_by_hand(void) {
    mt_stats st;
    mt_stats_init(&st, 1, 4);
    const float z[4] = { 0, 0, 0, 0 };
    const uint32_t ex[2] = { 1, 2 };
    const float w[2] = { 0.5f, 0.5f };
    mt_stats_observe(&st.layers[0], z, ex, w, 2);
    mt_layer_metrics m;
    mt_layer_metrics_compute(&st.layers[0], 0.25 * 2.0 / 4, &m);
    CHECK(NEAR(m.h_full_mean, 1.0) && NEAR(m.h_full_std, 0.0));   /* uniform logits: H = ln 4 / ln 4 */
    CHECK(NEAR(m.h_mix_mean, 1.0));                               /* two equal weights: ln 2 / ln 2 */
    CHECK(NEAR(mt_load(&st.layers[0], 1), 0.5) && NEAR(mt_load(&st.layers[0], 0), 0.0));
    CHECK(NEAR(mt_rate(&st.layers[0], 2), 1.0) && NEAR(mt_soft_load(&st.layers[0], 3), 0.25));
    CHECK(NEAR(m.cv, 1.0));       /* f = (0, .5, .5, 0): std .25 / mean .25 */
    CHECK(NEAR(m.gini, 0.5));     /* sum |fi - fj| = 4, / (2 * 16 * .25) */
    CHECK(NEAR(m.max_vio, 1.0));  /* counts (0, 1, 1, 0): (1 - .5) / .5 */
    CHECK(m.cold == 2);           /* experts 0 and 3 */
    CHECK(NEAR(m.top1_share, 0.5) && st.layers[0].top1[1] == 1 && st.layers[0].top1[2] == 0); /* tie: the first in rank */
    CHECK(st.layers[0].coact[1 * 4 + 2] == 1 && st.layers[0].coact[2 * 4 + 1] == 1 && st.layers[0].coact[1 * 4 + 1] == 1);
    CHECK(NEAR(mt_coact(&st.layers[0], 1, 2), 1.0) && NEAR(mt_coact(&st.layers[0], 0, 1), 0.0));
    mt_stats_free(&st);
}

static void k_equals_e_k1_force_and_drop(void) {
    mt_stats st;
    mt_stats_init(&st, 1, 4);
    mt_layer_stats *ls = &st.layers[0];
    const float z[4] = { 2.0f, 1.0f, 0.0f, -1.0f };
    /* k = E: every expert, weights .4 .3 .2 .1 */
    const uint32_t all[4] = { 0, 1, 2, 3 };
    const float w4[4] = { 0.4f, 0.3f, 0.2f, 0.1f };
    mt_stats_observe(ls, z, all, w4, 4);
    double h = 0;
    for (int i = 0; i < 4; i++) h -= (double)w4[i] * log((double)w4[i]);
    double expect_mix = h / log(4.0);
    /* softmax(2, 1, 0, -1) by hand */
    double e[4] = { exp(2.0), exp(1.0), 1.0, exp(-1.0) }, sum = e[0] + e[1] + e[2] + e[3], hf = 0;
    for (int i = 0; i < 4; i++) hf -= e[i] / sum * log(e[i] / sum);
    mt_layer_metrics m;
    mt_layer_metrics_compute(ls, 0, &m);
    CHECKF(fabs(m.h_mix_mean - expect_mix) < 1e-8, "H_mix %.10f, by hand %.10f", m.h_mix_mean, expect_mix);
    CHECKF(fabs(m.h_full_mean - hf / log(4.0)) < 1e-8, "H_full %.10f, by hand %.10f", m.h_full_mean, hf / log(4.0));
    CHECK(NEAR(m.gini, 0.0) && NEAR(m.cv, 0.0) && NEAR(m.max_vio, 0.0)); /* every expert once */
    /* k = 1 (and force, the same shape): H_mix = 0, top-1 share 1 */
    const uint32_t one[1] = { 3 };
    const float w1[1] = { 1.0f };
    mt_stats_observe(ls, z, one, w1, 1);
    /* every selected expert dropped: counted as selected, no top-1, H_mix 0 */
    const uint32_t two[2] = { 0, 1 };
    const float w0[2] = { 0.0f, 0.0f };
    mt_stats_observe(ls, z, two, w0, 2);
    mt_layer_metrics_compute(ls, 0, &m);
    CHECK(ls->tokens == 3 && ls->selections == 7);
    CHECKF(fabs(m.h_mix_mean - expect_mix / 3) < 1e-8, "H_mix mean %.10f", m.h_mix_mean);
    CHECKF(fabs(m.top1_share - (0.4 + 1.0 + 0.0) / 3) < 1e-8, "top-1 share %.10f", m.top1_share);
    CHECK(ls->top1[0] == 1 && ls->top1[3] == 1 && ls->count[0] == 2 && ls->count[3] == 2 && ls->count[2] == 1);
    CHECK(NEAR(mt_entropy_mix(w0, 2), 0.0) && NEAR(mt_entropy_mix(w1, 1), 0.0));
    mt_stats_free(&st);
}

static void never_chosen_and_overlap(void) {
    mt_stats st;
    mt_stats_init(&st, 1, 8);
    const float z[8] = { 0 };
    for (int t = 0; t < 10; t++) {
        const uint32_t ex[2] = { (uint32_t)(t % 3), 7 };
        const float w[2] = { 0.5f, 0.5f };
        mt_stats_observe(&st.layers[0], z, ex, w, 2);
    }
    mt_layer_metrics m;
    mt_layer_metrics_compute(&st.layers[0], 0.25 * 2.0 / 8, &m);
    CHECK(m.cold == 4 && st.layers[0].count[7] == 10 && st.layers[0].count[3] == 0); /* 3..6 never chosen */
    CHECK(NEAR(m.max_vio, (10.0 - 20.0 / 8) / (20.0 / 8)));
    const uint32_t a[2] = { 1, 2 }, b[2] = { 2, 3 }, c[3] = { 1, 2, 5 };
    CHECK(NEAR(mt_overlap(a, 2, b, 2), 0.5) && NEAR(mt_overlap(a, 2, a, 2), 1.0) && NEAR(mt_overlap(a, 2, c, 3), 2.0 / 3));
    CHECK(NEAR(mt_overlap(a, 2, b, 0), 0.0) && NEAR(mt_overlap(a, 0, b, 0), 1.0));
    mt_stats_free(&st);
}

static void chi_square_by_hand(void) {
    const uint64_t t1[4] = { 10, 20, 20, 10 }; /* expected 15 everywhere: chi2 = 4 * 25 / 15 */
    double chi2, p;
    uint32_t dof;
    mt_chi_square(t1, 2, 2, &chi2, &dof, &p);
    CHECKF(fabs(chi2 - 20.0 / 3) < 1e-12 && dof == 1 && fabs(p - 0.0098232) < 1e-6, "chi2 %g dof %u p %g", chi2, dof, p);
    const uint64_t t2[6] = { 30, 30, 30, 30, 30, 30 }; /* independent: chi2 0, p 1 */
    mt_chi_square(t2, 2, 3, &chi2, &dof, &p);
    CHECK(chi2 == 0 && dof == 2 && fabs(p - 1.0) < 1e-12);
    const uint64_t t3[6] = { 5, 0, 9, 3, 0, 8 }; /* an all-zero column is left out: 2 x 2 */
    mt_chi_square(t3, 2, 3, &chi2, &dof, &p);
    CHECK(dof == 1);
    /* the 0.05 critical value of 2 degrees of freedom is 5.991 */
    const uint64_t t4[6] = { 100, 100, 100, 100, 100, 100 };
    mt_chi_square(t4, 2, 3, &chi2, &dof, &p);
    CHECK(p > 0.99);
    const uint64_t t5[4] = { 1000, 0, 0, 1000 };
    mt_chi_square(t5, 2, 2, &chi2, &dof, &p);
    CHECKF(p < 1e-100, "a perfectly dependent table: p %g", p);
}

/* Tokens whose router logits are not all finite, by hand: counted apart,
 * out of every sum; a layer of only such tokens has no numbers (NaN), never
 * an entropy of 0 or a top-1 share of 1. */
static void nonfinite_by_hand(void) {
    mt_stats st, other;
    mt_stats_init(&st, 2, 4);
    mt_stats_init(&other, 2, 4);
    const float z[4] = { 0, 0, 0, 0 }, zn[4] = { 0, NAN, 0, 0 }, zp[4] = { INFINITY, 0, 0, 0 }, zm[4] = { 0, 0, -INFINITY, 0 };
    const uint32_t ex[2] = { 1, 2 }, one[1] = { 0 };
    const float w[2] = { 0.5f, 0.5f }, w1[1] = { 1.0f };
    mt_stats_observe(&st.layers[0], z, ex, w, 2);
    mt_stats_observe(&st.layers[0], zn, ex, w, 2);  /* NaN */
    mt_stats_observe(&st.layers[0], zp, one, w1, 1); /* +inf: would read H_full 0, top-1 1 */
    mt_stats_observe(&st.layers[0], zm, ex, w, 2);  /* -inf */
    mt_stats_observe(&st.layers[1], zp, one, w1, 1);
    mt_layer_stats *l0 = &st.layers[0], *l1 = &st.layers[1];
    CHECK(l0->tokens == 1 && l0->nonfinite == 3 && l0->selections == 2 && l0->count[0] == 0 && l0->count[1] == 1 && l0->top1[0] == 0);
    mt_layer_metrics m;
    mt_layer_metrics_compute(l0, 0.25 * 2.0 / 4, &m);
    CHECK(NEAR(m.h_full_mean, 1.0) && NEAR(m.h_mix_mean, 1.0) && NEAR(m.top1_share, 0.5) && m.cold == 2); /* the finite token alone */
    CHECK(l1->tokens == 0 && l1->nonfinite == 1 && l1->selections == 0 && l1->count[0] == 0);
    mt_layer_metrics_compute(l1, 0.25 * 2.0 / 4, &m);
    CHECK(isnan(m.h_full_mean) && isnan(m.h_full_std) && isnan(m.h_mix_mean) && isnan(m.top1_share) && isnan(m.gini) && isnan(m.cv) &&
          isnan(m.max_vio) && m.cold == 0);
    CHECK(isnan(mt_rate(l1, 0)) && isnan(mt_load(l1, 0)) && isnan(mt_soft_load(l1, 0)));
    CHECK(isnan(mt_entropy_full(zn, 4)) && isnan(mt_entropy_full(zp, 4)) && isnan(mt_entropy_full(zm, 4)) && NEAR(mt_entropy_full(z, 4), 1.0));
    CHECK(mt_logits_finite(z, 4) && !mt_logits_finite(zn, 4) && !mt_logits_finite(zp, 4) && !mt_logits_finite(zm, 4));
    mt_stats_observe(&other.layers[1], zn, ex, w, 2);
    mt_stats_add(&st, &other); /* shards add the count exactly */
    CHECK(st.layers[1].nonfinite == 2 && st.layers[1].tokens == 0 && st.layers[0].nonfinite == 3);
    mt_stats_free(&st);
    mt_stats_free(&other);
}

int main(void) {
    t_begin("stats");
    RUN(one_token_by_hand);
    RUN(k_equals_e_k1_force_and_drop);
    RUN(never_chosen_and_overlap);
    RUN(chi_square_by_hand);
    RUN(nonfinite_by_hand);
    return t_end();
}
