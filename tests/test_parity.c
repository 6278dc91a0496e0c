/* The forward pass against OpenAI's reference implementation: every case
 * of the three oracle fixtures (baseline and interventions) and the greedy
 * continuations, at shared/oracle/README.md's tolerances:
 *   top-k sets identical wherever the margin is >= 1e-3;
 *   mixing weights within 1e-3 where the sets are identical;
 *   logits within 1e-3 x max(1, max |logit|) at every position.
 * On the CPU backend by default; with MOETOP_TEST_BACKEND=vulkan on the
 * Vulkan backend, every tolerance 10x wider. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/intervene.h"
#include "engine/model.h"
#include "engine/session.h"
#include "support/backends.h"
#include "support/fixtures.h"
#include "support/harness.h"
#include "cli/json_read.h"

#define TOL (1e-3 * test_tolerance_scale())

typedef struct fixture {
    mt_gguf *g;
    mt_model *m;
    mt_backend *be;
    jv *expected;
    uint32_t *tokens;
    uint32_t n_tokens;
} fixture;

static bool open_fixture(char letter, fixture *f) {
    memset(f, 0, sizeof *f);
    const char *gguf = fixture_path(letter, ".gguf"), *json = fixture_path(letter, ".expected.json");
    if (!gguf || !json) return false;
    mt_err err;
    char jerr[256];
    f->g = mt_gguf_open(gguf, &err);
    f->m = f->g ? mt_model_load(f->g, &err) : NULL;
    if (!CHECKF(f->m != NULL, "%s", err.msg)) return false;
    f->be = test_backend_new();
    if (!f->be) return false;
    f->expected = jv_parse_file(json, jerr, sizeof jerr);
    if (!CHECKF(f->expected != NULL, "%s", jerr)) return false;
    const jv *toks = jv_get(f->expected, "tokens");
    f->n_tokens = (uint32_t)toks->len;
    f->tokens = malloc(toks->len * sizeof *f->tokens);
    for (size_t i = 0; i < toks->len; i++) f->tokens[i] = (uint32_t)jv_at(toks, i)->num;
    return true;
}

static void close_fixture(fixture *f) {
    free(f->tokens);
    jv_free(f->expected);
    if (f->be) f->be->destroy(f->be);
    mt_model_free(f->m);
    mt_gguf_close(f->g);
}

/* The fixture's intervention object as flags. */
static void set_interventions(mt_interventions *iv, const jv *spec) {
    mt_iv_clear(iv);
    const jv *layers = jv_get(spec, "layers");
    for (uint32_t l = 0; l < iv->n_layer; l++) {
        bool applies = !layers;
        for (size_t i = 0; layers && i < layers->len; i++) applies |= (uint32_t)jv_at(layers, i)->num == l;
        if (!applies) continue;
        const jv *v;
        if ((v = jv_get(spec, "k"))) iv->k[l] = (uint32_t)v->num;
        if ((v = jv_get(spec, "force"))) iv->force[l] = (int32_t)v->num;
        static const struct { const char *key; uint8_t bit; } lists[] = { { "mask", MT_IV_MASK }, { "drop", MT_IV_DROP }, { "zero", MT_IV_ZERO } };
        for (size_t k = 0; k < 3; k++)
            if ((v = jv_get(spec, lists[k].key)))
                for (size_t i = 0; i < v->len; i++) iv->flags[(size_t)l * iv->n_expert + (uint32_t)jv_at(v, i)->num] |= lists[k].bit;
    }
}

static double max_abs(const jv *row) {
    double m = 0;
    for (size_t i = 0; i < row->len; i++) m = fmax(m, fabs(jv_at(row, i)->num));
    return m;
}

/* Logits of one position against the reference; returns the largest error / scale. */
static double compare_logits(const float *got, const jv *want, uint32_t V) {
    double scale = fmax(1.0, max_abs(want)), worst = 0;
    for (uint32_t i = 0; i < V; i++) worst = fmax(worst, fabs(got[i] - jv_at(want, i)->num) / scale);
    return worst;
}

typedef struct case_stats {
    int compared_sets, skipped_ties, set_mismatches, weight_mismatches, margin_mismatches;
    double worst_weight, worst_logit, worst_router;
} case_stats;

static void check_case(fixture *f, const char *name, const jv *c, case_stats *st) {
    const mt_hparams *hp = &f->m->hp;
    mt_err err;
    mt_session *s = mt_session_new(f->m, f->be, &err);
    bool baseline = jv_get(c, "logits") != NULL;
    mt_session_keep_all_logits(s, baseline);
    mt_interventions iv;
    mt_iv_init(&iv, hp->n_layer, hp->n_expert);
    set_interventions(&iv, jv_get(c, "intervention"));
    mt_session_set_interventions(s, &iv);
    if (!CHECKF(mt_session_append(s, f->tokens, f->n_tokens, &err), "%s: %s", name, err.msg)) goto done;
    const jv *layers = jv_get(c, "layers");
    for (uint32_t l = 0; l < hp->n_layer; l++) {
        const jv *lay = jv_at(layers, l);
        const jv *topk = jv_get(lay, "topk"), *weights = jv_get(lay, "weights"), *margins = jv_get(lay, "margin");
        const jv *router = jv_get(lay, "router_logits");
        for (uint32_t t = 0; t < f->n_tokens; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            double want_margin = jv_at(margins, t)->num;
            if (!(fabs(margin - want_margin) <= TOL || (margin >= 1e8f && want_margin >= 1e8)) && st->margin_mismatches++ < 3)
                CHECKF(false, "%s layer %u token %u: margin %g, reference %g", name, l, t, (double)margin, want_margin);
            if (router) {
                const jv *zr = jv_at(router, t);
                const float *z = mt_session_router_logits(s, l, t);
                double scale = fmax(1.0, max_abs(zr));
                for (uint32_t e = 0; e < hp->n_expert; e++) st->worst_router = fmax(st->worst_router, fabs(z[e] - jv_at(zr, e)->num) / scale);
            }
            if (want_margin < TOL) {
                st->skipped_ties++;
                continue;
            }
            st->compared_sets++;
            const jv *wt = jv_at(topk, t), *ww = jv_at(weights, t);
            bool same = wt->len == n;
            for (uint32_t i = 0; same && i < n; i++) {
                bool found = false;
                for (size_t j = 0; j < wt->len; j++) found |= (uint32_t)jv_at(wt, j)->num == ex[i];
                same = found;
            }
            if (!same) {
                if (st->set_mismatches++ < 3) CHECKF(false, "%s layer %u token %u: experts differ from the reference (margin %g)", name, l, t, want_margin);
                continue;
            }
            for (uint32_t i = 0; i < n; i++)
                for (size_t j = 0; j < wt->len; j++)
                    if ((uint32_t)jv_at(wt, j)->num == ex[i]) {
                        double diff = fabs(w[i] - jv_at(ww, j)->num);
                        st->worst_weight = fmax(st->worst_weight, diff);
                        if (diff > TOL && st->weight_mismatches++ < 3)
                            CHECKF(false, "%s layer %u token %u expert %u: weight %g, reference %g", name, l, t, ex[i], (double)w[i], jv_at(ww, j)->num);
                    }
        }
    }
    if (baseline) {
        const jv *logits = jv_get(c, "logits");
        for (uint32_t t = 0; t < f->n_tokens; t++) {
            double worst = compare_logits(mt_session_logits(s, t), jv_at(logits, t), hp->n_vocab);
            st->worst_logit = fmax(st->worst_logit, worst);
            if (worst > TOL) CHECKF(false, "%s position %u: logits off by %g x scale", name, t, worst);
        }
    } else {
        double worst = compare_logits(mt_session_logits(s, f->n_tokens - 1), jv_get(c, "logits_last"), hp->n_vocab);
        st->worst_logit = fmax(st->worst_logit, worst);
        CHECKF(worst <= TOL, "%s: last logits off by %g x scale", name, worst);
    }
done:
    mt_iv_free(&iv);
    mt_session_free(s);
}

static void check_fixture(char letter) {
    fixture f;
    if (!open_fixture(letter, &f)) {
        close_fixture(&f);
        return;
    }
    const jv *cases = jv_get(f.expected, "cases");
    case_stats st = { 0 };
    for (size_t i = 0; i < cases->len; i++) check_case(&f, cases->keys[i], &cases->items[i], &st);
    CHECKF(st.set_mismatches == 0 && st.weight_mismatches == 0 && st.margin_mismatches == 0,
           "%d set, %d weight, %d margin mismatches", st.set_mismatches, st.weight_mismatches, st.margin_mismatches);
    CHECKF(st.worst_router <= TOL, "router logits off by %g x scale", st.worst_router);
    printf("  fixture %c: %zu cases, %d (token, layer) sets compared, %d near-ties skipped; worst logit %.2e, weight %.2e, router %.2e\n",
           letter, cases->len, st.compared_sets, st.skipped_ties, st.worst_logit, st.worst_weight, st.worst_router);
    close_fixture(&f);
}

static void fixture_a_every_case(void) { check_fixture('a'); }
static void fixture_b_every_case(void) { check_fixture('b'); }
static void fixture_c_every_case(void) { check_fixture('c'); }

/* Greedy decoding with the KV cache against the reference's full re-evaluation. */
static void check_greedy(char letter) {
    fixture f;
    if (!open_fixture(letter, &f)) {
        close_fixture(&f);
        return;
    }
    const jv *greedy = jv_get(f.expected, "greedy");
    const jv *ids = jv_get(greedy, "ids"), *gaps = jv_get(greedy, "gaps");
    mt_err err;
    mt_session *s = mt_session_new(f.m, f.be, &err);
    CHECKF(mt_session_append(s, f.tokens, f.n_tokens, &err), "%s", err.msg);
    size_t compared = 0;
    for (size_t i = 0; i < ids->len; i++) {
        const float *logits = mt_session_logits(s, mt_session_length(s) - 1);
        uint32_t best = 0;
        for (uint32_t v = 1; v < f.m->hp.n_vocab; v++)
            if (logits[v] > logits[best]) best = v;
        uint32_t want = (uint32_t)jv_at(ids, i)->num;
        if (jv_at(gaps, i)->num < 1e-3) break; /* a near-tie: the reference's own choice is arbitrary */
        if (!CHECKF(best == want, "step %zu: chose %u, reference %u", i, best, want)) break;
        compared++;
        if (!mt_session_append(s, &want, 1, &err)) break;
    }
    printf("  fixture %c: %zu of %zu greedy steps compared and equal\n", letter, compared, ids->len);
    CHECK(compared > 0);
    mt_session_free(s);
    close_fixture(&f);
}

static void fixture_a_greedy(void) { check_greedy('a'); }
static void fixture_c_greedy(void) { check_greedy('c'); }

int main(void) {
    t_begin(test_on_vulkan() ? "parity-vulkan" : "parity");
    RUN(fixture_a_every_case);
    RUN(fixture_b_every_case);
    RUN(fixture_c_every_case);
    RUN(fixture_a_greedy);
    RUN(fixture_c_greedy);
    if (test_validating()) t_run("validation_clean", test_validation_clean);
    return t_end();
}
