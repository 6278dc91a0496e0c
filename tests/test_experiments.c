/* The experiments' library (experiments/): conditions, the statistics of
 * significance on textbook cases, scoring, distributions and perplexity
 * windows, each against values worked out by hand. The commands themselves
 * are tested in test_cli_experiments. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "experiments/condition.h"
#include "experiments/distribution.h"
#include "experiments/ppl.h"
#include "experiments/score.h"
#include "experiments/significance.h"
#include "support/harness.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

/* ---- conditions --------------------------------------------------------------------- */

static void conditions_from_flags(void) {
    mt_interventions base;
    mt_err err;
    mt_iv_init(&base, 4, 8);
    CHECK(mt_iv_parse(&base, "mask", "1@0", &err) && mt_iv_parse(&base, "k", "3", &err));
    mt_conditions c;
    CHECK(mt_conds_init(&c, &base));
    CHECK(c.n == 1 && strcmp(c.items[0].name, "baseline") == 0 && c.items[0].iv.k[2] == 3 && c.items[0].iv.flags[1] == MT_IV_MASK);
    /* a condition adds to the baseline: lists unite, its k wins, force overrides a layer */
    CHECK(mt_conds_add_spec(&c, " no-math : --mask 2,3@0  --k=2@1 --force 5@3", &err));
    const mt_condition *nm = mt_conds_find(&c, "no-math");
    CHECK(nm && nm->iv.flags[1] == MT_IV_MASK && nm->iv.flags[2] == MT_IV_MASK && nm->iv.flags[3] == MT_IV_MASK);
    CHECK(nm && nm->iv.k[1] == 2 && nm->iv.k[0] == 3 && nm->iv.k[2] == 3 && nm->iv.force[3] == 5 && nm->iv.force[0] == -1);
    /* an empty condition equals the baseline */
    CHECK(mt_conds_add_spec(&c, "same:", &err));
    CHECK(mt_iv_first_difference(&mt_conds_find(&c, "same")->iv, &c.items[0].iv) == 4);
    /* generators: names and order */
    CHECK(mt_conds_add_each(&c, "drop@1,2", &err));
    CHECK(c.n == 3 + 8 && strcmp(c.items[3].name, "drop:0@1,2") == 0 && strcmp(c.items[10].name, "drop:7@1,2") == 0);
    CHECK(c.items[10].iv.flags[1 * 8 + 7] == MT_IV_DROP && c.items[10].iv.flags[0 * 8 + 7] == 0);
    CHECK(mt_conds_add_k_sweep(&c, "1,04,8", &err));
    CHECK(c.n == 14 && strcmp(c.items[12].name, "k=4") == 0 && c.items[13].iv.k[0] == 8);
    /* refusals, each naming the problem */
    static const struct { const char *spec, *why; } bad[] = {
        { "no colon --mask 1", "not NAME: FLAGS" },
        { ": --mask 1", "name before ':' is empty" },
        { "x: --mask 9", "--mask: '9' is not a list of expert ids in 0..7" },
        { "x: --k 0", "--k: 0 is outside 1..8" },
        { "x: --mask", "missing value" },
        { "x: mask 1", "is not a flag" },
        { "x: --temp 1", "not an intervention flag" },
        { "x: --force 1@4", "after @ is not a list of layers" },
        { "no-math: --mask 1", "two conditions have this name" },
        { "baseline: --mask 1", "'baseline' is the name of the run without --cond" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        size_t before = c.n;
        bool ok = mt_conds_add_spec(&c, bad[i].spec, &err);
        CHECKF(!ok && strstr(err.msg, bad[i].why) && strstr(err.msg, "--cond") && c.n == before, "'%s': %s", bad[i].spec, err.msg);
    }
    CHECK(!mt_conds_add_each(&c, "ablate", &err) && strstr(err.msg, "not force, mask, zero or drop"));
    size_t before = c.n;
    CHECK(!mt_conds_add_each(&c, "drop@1,2", &err) && strstr(err.msg, "two conditions") && c.n == before); /* drop:0@1,2 again */
    CHECK(!mt_conds_add_k_sweep(&c, "2,", &err) && strstr(err.msg, "ends with a comma"));
    CHECK(!mt_conds_add_k_sweep(&c, "9", &err) && strstr(err.msg, "1..8"));
    CHECK(!mt_conds_add_k_sweep(&c, "", &err));
    mt_conds_free(&c);
    mt_iv_free(&base);
}

/* ---- significance ------------------------------------------------------------------ */

static void wilson_on_newcombes_cases(void) {
    /* Newcombe (1998), Statistics in Medicine 17:857, table I, method 3 */
    static const struct { unsigned k, n; double lo, hi; } cases[] = {
        { 81, 263, 0.2553, 0.3662 }, { 15, 148, 0.0624, 0.1605 }, { 0, 20, 0.0, 0.1611 }, { 1, 29, 0.0061, 0.1718 },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        double lo, hi;
        mt_wilson95(cases[i].k, cases[i].n, &lo, &hi);
        CHECKF(NEAR(lo, cases[i].lo, 5e-5) && NEAR(hi, cases[i].hi, 5e-5), "%u/%u: [%.5f, %.5f]", cases[i].k, cases[i].n, lo, hi);
    }
    double lo, hi;
    mt_wilson95(0, 0, &lo, &hi);
    CHECK(lo == 0.0 && hi == 1.0);
    mt_wilson95(8, 8, &lo, &hi); /* all right: the upper end is 1, the lower n/(n + z^2) */
    CHECKF(hi == 1.0 && NEAR(lo, 8.0 / (8.0 + MT_Z95 * MT_Z95), 1e-12), "[%.12f, %.12f]", lo, hi);
}

static void mcnemar_exact_by_hand(void) {
    CHECK(mt_mcnemar_exact(0, 0) == 1.0);
    CHECK(NEAR(mt_mcnemar_exact(0, 5), 2.0 / 32.0, 1e-15));        /* 2 * C(5,0) / 2^5 */
    CHECK(NEAR(mt_mcnemar_exact(9, 1), 2.0 * 11.0 / 1024.0, 1e-15)); /* 2 * (C(10,0) + C(10,1)) / 2^10 */
    CHECK(NEAR(mt_mcnemar_exact(2, 6), 2.0 * 37.0 / 256.0, 1e-15));  /* 2 * (1 + 8 + 28) / 2^8 */
    CHECK(mt_mcnemar_exact(3, 3) == 1.0);                            /* 2 * 42/64 > 1: capped */
    CHECK(mt_mcnemar_exact(1, 0) == 1.0);
    /* the reports' "50% to 62% on 8 problems": one problem fixed, none broken */
    CHECK(mt_mcnemar_exact(1, 0) == 1.0 && mt_mcnemar_exact(5, 0) > 0.06);
    /* large counts stay finite and symmetric: p(400, 600) = p(600, 400), far below 1e-9 */
    double p = mt_mcnemar_exact(400, 600), q = mt_mcnemar_exact(600, 400);
    CHECKF(p > 0 && p < 1e-9 && p == q, "%g %g", p, q);
    CHECK(NEAR(mt_mcnemar_exact(5000, 5000), 1.0, 1e-12));
}

static void holm_by_hand(void) {
    const double p[4] = { 0.01, 0.04, 0.03, 0.005 };
    double out[4];
    mt_holm(p, 4, out);
    /* sorted .005 .01 .03 .04 -> x4 .02, x3 .03, x2 .06, x1 .04 -> monotone .02 .03 .06 .06 */
    CHECKF(NEAR(out[0], 0.03, 1e-15) && NEAR(out[1], 0.06, 1e-15) && NEAR(out[2], 0.06, 1e-15) && NEAR(out[3], 0.02, 1e-15),
           "%g %g %g %g", out[0], out[1], out[2], out[3]);
    const double big[3] = { 0.5, 0.9, 0.2 };
    mt_holm(big, 3, out);
    CHECK(out[0] == 1.0 && out[1] == 1.0 && NEAR(out[2], 0.6, 1e-15));
    double one = 0.3;
    mt_holm(&one, 1, &one);
    CHECK(one == 0.3);
}

static void quantiles_and_bootstrap(void) {
    const double x[4] = { 1, 2, 3, 4 };
    CHECK(mt_quantile_sorted(x, 4, 0.25) == 1.75 && mt_quantile_sorted(x, 4, 0) == 1 && mt_quantile_sorted(x, 4, 1) == 4);
    CHECK(NEAR(mt_quantile_sorted(x, 4, 0.975), 3.925, 1e-12));
    /* identical units: every resample is the same ratio */
    const double num[3] = { 2, 2, 2 }, den[3] = { 1, 1, 1 };
    double lo, hi;
    CHECK(mt_bootstrap_exp_ratio95(num, den, 3, 200, 7, &lo, &hi));
    CHECK(NEAR(lo, exp(2.0), 1e-12) && NEAR(hi, exp(2.0), 1e-12));
    /* two units: a resample has 0, 1 or 2 copies of the first, so the interval lies within [e^1, e^3] */
    const double n2[2] = { 1, 3 }, d2[2] = { 1, 1 };
    double lo2, hi2, lo3, hi3;
    CHECK(mt_bootstrap_exp_ratio95(n2, d2, 2, 1000, 1, &lo2, &hi2) && mt_bootstrap_exp_ratio95(n2, d2, 2, 1000, 1, &lo3, &hi3));
    CHECK(NEAR(lo2, exp(1.0), 1e-12) && NEAR(hi2, exp(3.0), 1e-12) && lo2 == lo3 && hi2 == hi3); /* seeded: the same twice */
    CHECK(mt_bootstrap_exp_ratio95(n2, d2, 0, 10, 1, &lo, &hi) && isnan(lo) && isnan(hi));
    CHECK(mt_bootstrap_exp_ratio95(n2, d2, 1, 10, 1, &lo, &hi) && isnan(lo) && isnan(hi)); /* one unit: no interval */
}

/* ---- scoring ------------------------------------------------------------------------ */

static void scoring_rules(void) {
    CHECK(mt_answer_is_numeric("42") && mt_answer_is_numeric("-7") && mt_answer_is_numeric("007"));
    CHECK(!mt_answer_is_numeric("4.2") && !mt_answer_is_numeric("-") && !mt_answer_is_numeric("") && !mt_answer_is_numeric("Paris"));
    static const struct { const char *answer, *text; bool right; } cases[] = {
        { "11303", "11303\n", true },
        { "11303", " 11,303 is it", true },       /* a thousands separator */
        { "1234567", "1,234,567", true },
        { "12", "1,2", false },                   /* not a separator: the first match is 1 */
        { "1", "1,2", true },
        { "12345", "12,3456", false },            /* four digits after the comma: not a separator */
        { "-3", "= -3", true },
        { "3", "= -3", false },
        { "-3", "5 - 3", false },                 /* the first match is 5 */
        { "7", "007", true },                     /* equal as integers */
        { "0", "-0", true },
        { "4", "The answer is 4.", true },
        { "4", "no digits here", false },
        { "4", "", false },
        { "18446744073709551617", "18446744073709551617", true }, /* longer than 64 bits */
        { "Paris", "  Paris, the capital", true },
        { "Paris", "paris", false },
        { "Paris", "The capital is Paris", false },
        { "New York", "\tNew York", true },
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++)
        CHECKF(mt_score(cases[i].answer, cases[i].text, strlen(cases[i].text)) == cases[i].right, "answer '%s', text '%s'",
               cases[i].answer, cases[i].text);
}

static void harmony_final_channel(void) {
    static const struct { const char *reply, *final; } cases[] = {
        { "<|channel|>analysis<|message|>think 2+2<|end|><|start|>assistant<|channel|>final<|message|>4<|return|>", "4" },
        { "<|channel|>final<|message|>The answer is 12", "The answer is 12" },
        { "<|channel|>analysis<|message|>only thinking 7<|end|>", "" },  /* channels, none final */
        { "<|message|>5 + 5 = 10<|return|>", "5 + 5 = 10" },             /* no channels: the message */
        { "plain 9", "plain 9" },
        { "<|channel|>final<|message|>a<|end|><|start|>assistant<|channel|>final<|message|>b<|return|>", "b" }, /* the last final */
    };
    for (size_t i = 0; i < sizeof cases / sizeof *cases; i++) {
        size_t start, n;
        mt_harmony_final(cases[i].reply, strlen(cases[i].reply), &start, &n);
        CHECKF(n == strlen(cases[i].final) && memcmp(cases[i].reply + start, cases[i].final, n) == 0, "case %zu: '%.*s'", i, (int)n,
               cases[i].reply + start);
    }
}

/* ---- distributions ------------------------------------------------------------------ */

static void distributions_by_hand(void) {
    const float p[2] = { 0.0f, 0.0f }, q[2] = { (float)log(3.0), 0.0f };
    double lp[2], lq[2];
    mt_log_softmax(p, 2, lp);
    mt_log_softmax(q, 2, lq);
    CHECK(NEAR(lp[0], log(0.5), 1e-15) && NEAR(lq[0], log(0.75), 1e-7) && NEAR(lq[1], log(0.25), 1e-7));
    /* KL((.5,.5) || (.75,.25)) = .5 ln(2/3) + .5 ln 2 */
    CHECKF(NEAR(mt_kl_logp(lp, lq, 2), 0.5 * log(2.0 / 3.0) + 0.5 * log(2.0), 1e-7), "%.10f", mt_kl_logp(lp, lq, 2));
    CHECK(mt_kl_logp(lq, lq, 2) == 0.0);
    const float z[5] = { 1, 3, 3, -1, 2 };
    double l5[5], probs[3];
    uint32_t ids[3];
    mt_log_softmax(z, 5, l5);
    mt_top_n(l5, 5, 3, ids, probs);
    CHECK(ids[0] == 1 && ids[1] == 2 && ids[2] == 4); /* the tie: lower id first */
    double sum = exp(1) + 2 * exp(3) + exp(-1) + exp(2);
    CHECK(NEAR(probs[0], exp(3) / sum, 1e-12) && NEAR(probs[2], exp(2) / sum, 1e-12));
}

/* ---- perplexity windows ------------------------------------------------------------- */

static void windows_by_hand(void) {
    mt_ppl_window w[16];
    /* 10 tokens, ctx 4, stride 2: [0,4) scores 1..3, [2,6) 4..5, [4,8) 6..7, [6,10) 8..9 */
    size_t n = mt_ppl_plan(3, 10, 4, 2, w);
    CHECK(n == 4);
    CHECK(w[0].begin == 0 && w[0].end == 4 && w[0].score_from == 1 && w[0].document == 3 && w[0].index == 0);
    CHECK(w[1].begin == 2 && w[1].end == 6 && w[1].score_from == 4);
    CHECK(w[3].begin == 6 && w[3].end == 10 && w[3].score_from == 8 && w[3].index == 3);
    /* stride = ctx: later windows start one token before the previous end */
    n = mt_ppl_plan(0, 10, 4, 4, w);
    CHECK(n == 3 && w[1].begin == 3 && w[1].end == 7 && w[1].score_from == 4 && w[2].begin == 6 && w[2].end == 10 && w[2].score_from == 7);
    CHECK(mt_ppl_plan(0, 1, 4, 4, w) == 0 && mt_ppl_plan(0, 0, 4, 4, NULL) == 0);
    CHECK(mt_ppl_plan(0, 3, 8, 8, w) == 1 && w[0].end == 3);
    /* every token but the first scored exactly once, each with an earlier token in its window */
    int bad = 0;
    for (uint32_t len = 2; len < 40; len++)
        for (uint32_t ctx = 2; ctx < 12; ctx++)
            for (uint32_t stride = 1; stride <= ctx; stride++) {
                mt_ppl_window *ws = malloc(64 * sizeof *ws);
                size_t m = mt_ppl_plan(0, len, ctx, stride, NULL);
                if (m > 64) {
                    bad++;
                    free(ws);
                    continue;
                }
                mt_ppl_plan(0, len, ctx, stride, ws);
                int seen[40] = { 0 };
                for (size_t i = 0; i < m; i++) {
                    bad += ws[i].end - ws[i].begin > ctx || ws[i].score_from <= ws[i].begin;
                    for (uint32_t t = ws[i].score_from; t < ws[i].end; t++) seen[t]++;
                }
                for (uint32_t t = 0; t < len; t++) bad += seen[t] != (t == 0 ? 0 : 1);
                free(ws);
            }
    CHECKF(bad == 0, "%d violations", bad);
}

static void ppl_summary_by_hand(void) {
    /* two documents, one window each, NLL sums 2 and 4 nats over 1 and 1 tokens (exact in fixed point) */
    mt_ppl_window w[2] = { { 0, 0, 0, 2, 1 }, { 1, 0, 0, 2, 1 } };
    mt_ppl_sums s[2] = { { 1, (int64_t)(2 * MT_PPL_FIX_ONE), 0, 1 }, { 1, (int64_t)(4 * MT_PPL_FIX_ONE), (int64_t)(0.5 * MT_PPL_FIX_ONE), 0 } };
    mt_ppl_summary out;
    CHECK(mt_ppl_summarize(w, s, 2, 1, 0, 500, 0, &out));
    CHECK(out.tokens == 2 && out.nll_mean == 3.0 && NEAR(out.ppl, exp(3.0), 1e-12) && out.kl_mean == 0.25 && out.top1_agreement == 0.5);
    CHECK(NEAR(out.ppl_lo, exp(2.0), 1e-9) && NEAR(out.ppl_hi, exp(4.0), 1e-9)); /* resamples of two units: e^2 .. e^4 */
}

int main(void) {
    t_begin("experiments");
    RUN(conditions_from_flags);
    RUN(wilson_on_newcombes_cases);
    RUN(mcnemar_exact_by_hand);
    RUN(holm_by_hand);
    RUN(quantiles_and_bootstrap);
    RUN(scoring_rules);
    RUN(harmony_final_channel);
    RUN(distributions_by_hand);
    RUN(windows_by_hand);
    RUN(ppl_summary_by_hand);
    return t_end();
}
