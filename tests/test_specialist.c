/* The candidate specialist (experiments/specialist.h) on counts tables worked
 * out by hand: the rates and differences, the tie rule, the max-T permutation
 * p against the exact share of labellings, a prompt set where no expert
 * differs (p = 1), the refusals, and the counts a session gives. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/stats.h"
#include "experiments/specialist.h"
#include "support/backends.h"
#include "support/fixtures.h"
#include "support/harness.h"

#define NEAR(a, b, tol) (fabs((a) - (b)) <= (tol))

/* Four prompts of 10 tokens, k = 1, two layers of three experts; prompts 0
 * and 1 are the domain's. Layer 0 (expert 0, 1, 2 per prompt):
 *   p0 8 2 0   p1 6 2 2   |   p2 2 4 4   p3 0 6 4
 * in: 14/20 = 0.7, 4/20 = 0.2, 2/20 = 0.1; out: 0.1, 0.5, 0.4;
 * diff +0.6, -0.3, -0.3. Layer 1 holds the same with experts 0 and 2
 * swapped, so its expert 2 ties the candidate at +0.6: the tie goes to
 * layer 0. Of the 6 ways to label 2 of the 4 prompts "in", only {0, 1}
 * reaches a largest diff of 0.6 ({2, 3}: 0.3; {0, 2}: 0.2; {1, 3}, {0, 3},
 * {1, 2}: 0.1), so p_max -> 1/6 as N grows. */
static const uint64_t hand_counts[4][2][3] = {
    { { 8, 2, 0 }, { 0, 2, 8 } },
    { { 6, 2, 2 }, { 2, 2, 6 } },
    { { 2, 4, 4 }, { 4, 4, 2 } },
    { { 0, 6, 4 }, { 4, 6, 0 } },
};
static const uint64_t hand_tokens[4][2] = { { 10, 10 }, { 10, 10 }, { 10, 10 }, { 10, 10 } };
static const bool hand_in[4] = { true, true, false, false };

static void rates_ties_and_p_by_hand(void) {
    mt_specialist s;
    mt_err err;
    if (!CHECKF(mt_specialist_find(&hand_counts[0][0][0], &hand_tokens[0][0], hand_in, 4, 2, 3, 6000, 7, &s, &err), "%s", err.msg)) return;
    CHECK(s.n_cells == 6 && s.n_top == 6 && s.in_prompts == 2 && s.out_prompts == 2 && s.permutations == 6000);
    const mt_specialist_cell *c = &s.top[0];
    CHECKF(c->layer == 0 && c->expert == 0, "candidate L%u e%u", c->layer, c->expert);
    CHECK(c->in_count == 14 && c->in_tokens == 20 && c->out_count == 2 && c->out_tokens == 20);
    CHECK(NEAR(c->in_rate, 0.7, 1e-15) && NEAR(c->out_rate, 0.1, 1e-15) && NEAR(c->diff, 0.6, 1e-15));
    /* the tie at +0.6 second, then the -0.3s by layer, then expert */
    static const uint32_t order[6][2] = { { 0, 0 }, { 1, 2 }, { 0, 1 }, { 0, 2 }, { 1, 0 }, { 1, 1 } };
    for (int i = 0; i < 6; i++)
        CHECKF(s.top[i].layer == order[i][0] && s.top[i].expert == order[i][1], "rank %d: L%u e%u", i, s.top[i].layer, s.top[i].expert);
    CHECK(NEAR(s.top[2].diff, -0.3, 1e-15) && NEAR(s.top[2].in_rate, 0.2, 1e-15) && NEAR(s.top[2].out_rate, 0.5, 1e-15));
    /* 1/6 of the labellings reach 0.6; the sampling error of 6000 draws is 0.005 */
    CHECKF(NEAR(s.p_max, 1.0 / 6.0, 0.02), "p_max %g, want about 1/6", s.p_max);
    CHECK(s.p_max == s.top[0].p_maxt && s.p_max == (1.0 + (double)s.reach) / 6001.0);
    CHECK(s.top[1].p_maxt == s.p_max); /* the tie: the same maximum */
    /* every labelling's largest diff (0.1 at the least) is above -0.3: p 1 */
    CHECK(s.top[2].p_maxt == 1.0 && s.top[5].p_maxt == 1.0);
    /* seeded: the same p again, another seed another draw */
    mt_specialist again;
    CHECK(mt_specialist_find(&hand_counts[0][0][0], &hand_tokens[0][0], hand_in, 4, 2, 3, 6000, 7, &again, &err) && again.reach == s.reach);
}

/* Every prompt routes alike: every diff is 0 and so is every permutation's
 * largest; all N reach it and p = (1 + N)/(1 + N) = 1. */
static void no_expert_differs(void) {
    uint64_t counts[5][1][4], tokens[5][1];
    bool in[5] = { true, false, true, false, false };
    for (int p = 0; p < 5; p++) {
        tokens[p][0] = 10;
        counts[p][0][0] = 5, counts[p][0][1] = 3, counts[p][0][2] = 2, counts[p][0][3] = 0;
    }
    mt_specialist s;
    mt_err err;
    if (!CHECKF(mt_specialist_find(&counts[0][0][0], &tokens[0][0], in, 5, 1, 4, 99, 1, &s, &err), "%s", err.msg)) return;
    CHECKF(s.p_max == 1.0 && s.reach == 99, "p %g reach %llu", s.p_max, (unsigned long long)s.reach);
    CHECK(s.top[0].diff == 0.0 && s.top[0].layer == 0 && s.top[0].expert == 0); /* all tie at 0: expert 0 */
    /* fewer than MT_SPECIALIST_TOP cells: all listed */
    CHECK(s.n_top == 4 && s.n_cells == 4);
}

/* p is never below 1/(1+N): one permutation, the strongest table. */
static void p_floor(void) {
    mt_specialist s;
    mt_err err;
    CHECK(mt_specialist_find(&hand_counts[0][0][0], &hand_tokens[0][0], hand_in, 4, 2, 3, 1, 3, &s, &err));
    CHECK(s.p_max == 0.5 || s.p_max == 1.0);
}

static void refusals(void) {
    mt_specialist s;
    mt_err err;
    bool all_in[4] = { true, true, true, true };
    CHECK(!mt_specialist_find(&hand_counts[0][0][0], &hand_tokens[0][0], all_in, 4, 2, 3, 10, 1, &s, &err) && strstr(err.msg, "both sides"));
    CHECK(!mt_specialist_find(&hand_counts[0][0][0], &hand_tokens[0][0], hand_in, 4, 2, 3, 0, 1, &s, &err));
    uint64_t bad_tokens[4][2] = { { 5, 10 }, { 10, 10 }, { 10, 10 }, { 10, 10 } }; /* prompt 0 selects 8 of 5 */
    CHECK(!mt_specialist_find(&hand_counts[0][0][0], &bad_tokens[0][0], hand_in, 4, 2, 3, 10, 1, &s, &err) && strstr(err.msg, "more often"));
    uint64_t no_tokens[2][1] = { { 0 }, { 3 } }, none[2][1][1] = { { { 0 } }, { { 3 } } };
    bool half[2] = { true, false };
    CHECK(!mt_specialist_find(&none[0][0][0], &no_tokens[0][0], half, 2, 1, 1, 10, 1, &s, &err) && strstr(err.msg, "no layer"));
}

/* A session's counts: every token selects k experts at every layer (sums k T),
 * and they equal engine/stats.h's count_e. */
static void counts_from_a_session(void) {
    const char *path = fixture_path('b', ".gguf");
    if (!path) return;
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    if (!CHECKF(m != NULL, "%s", err.msg)) goto done;
    mt_backend *be = test_backend_new(); /* NULL: skipped (Vulkan without a device) */
    if (!be) goto done;
    uint32_t L = m->hp.n_layer, E = m->hp.n_expert, k = m->hp.k;
    mt_ids prompts[2];
    uint32_t a[5] = { 1, 2, 3, 4, 5 }, b[3] = { 9, 8, 7 };
    prompts[0] = (mt_ids){ a, 5, 5 };
    prompts[1] = (mt_ids){ b, 3, 3 };
    uint64_t *counts = calloc(2 * L * E, sizeof *counts), *tokens = calloc(2 * L, sizeof *tokens);
    if (counts && tokens && CHECKF(mt_specialist_count_prompts(m, be, prompts, 2, NULL, NULL, counts, tokens, &err), "%s", err.msg)) {
        mt_session *s = mt_session_new(m, be, &err);
        mt_stats st;
        if (s && mt_stats_init(&st, L, E) && mt_session_append(s, a, 5, &err)) {
            for (uint32_t l = 0; l < L; l++)
                for (uint32_t t = 0; t < 5; t++) {
                    const uint32_t *ex;
                    const float *w;
                    float margin;
                    uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
                    mt_stats_observe(&st.layers[l], mt_session_router_logits(s, l, t), ex, w, n);
                }
            for (uint32_t l = 0; l < L; l++) {
                uint64_t sum0 = 0, sum1 = 0;
                for (uint32_t e = 0; e < E; e++) {
                    sum0 += counts[(size_t)l * E + e];
                    sum1 += counts[(size_t)(L + l) * E + e];
                    CHECKF(counts[(size_t)l * E + e] == st.layers[l].count[e], "layer %u expert %u", l, e);
                }
                CHECK(tokens[l] == 5 && tokens[L + l] == 3 && sum0 == 5ull * k && sum1 == 3ull * k);
            }
            mt_stats_free(&st);
        }
        mt_session_free(s);
    }
    mt_ids empty = { NULL, 0, 0 };
    CHECK(!mt_specialist_count_prompts(m, be, &empty, 1, NULL, NULL, counts, tokens, &err) && strstr(err.msg, "no tokens"));
    free(counts);
    free(tokens);
    be->destroy(be);
done:
    mt_model_free(m);
    mt_gguf_close(g);
}

int main(void) {
    t_begin("specialist");
    RUN(rates_ties_and_p_by_hand);
    RUN(no_expert_differs);
    RUN(p_floor);
    RUN(refusals);
    RUN(counts_from_a_session);
    return t_end();
}
