/* What the tour's captions tell (tour.h): the candidate math expert from the
 * prompt sets' routes (experiments/specialist.h), its runners-up, and a
 * problem set scored with and without it (experiments/eval.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tour.h"

/* The library's progress calls, named by stage for the front end. */
typedef struct stage {
    mt_tour_progress_fn fn;
    void *user;
    const char *name;
} stage;

static bool stage_progress(void *user, uint64_t done, uint64_t total) {
    const stage *s = user;
    return !s->fn || s->fn(s->user, s->name, done, total);
}

static bool find_candidate(mt_tour_findings *f, const mt_app *app, const mt_tour_inputs *in, stage *st, mt_err *err) {
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    size_t P = in->n_prompts;
    uint64_t *counts = calloc(P * L * E + 1, sizeof *counts), *tokens = calloc(P * L + 1, sizeof *tokens);
    bool ok = counts && tokens;
    if (!ok) mt_err_set(err, "out of memory");
    st->name = "routes";
    ok = ok && mt_specialist_count_prompts(app->m, app->be, in->prompts, P, stage_progress, st, counts, tokens, err);
    ok = ok && mt_specialist_find(counts, tokens, in->in_domain, P, L, E, in->permutations, in->seed, &f->spec, err);
    free(counts);
    free(tokens);
    if (!ok) return false;
    const mt_specialist_cell *c = &f->spec.top[0];
    f->layer = c->layer;
    f->expert = c->expert;
    f->significant = f->spec.p_max < 0.05;
    /* runners-up: the next cells by gap whose experts differ from the candidate's and each other's */
    for (uint32_t i = 1; i < f->spec.n_top && f->n_others < MT_TOUR_OTHERS; i++) {
        const mt_specialist_cell *o = &f->spec.top[i];
        bool seen = o->expert == f->expert;
        for (uint32_t j = 0; j < f->n_others; j++) seen |= f->others[j].expert == o->expert;
        if (!seen) f->others[f->n_others++] = *o;
    }
    return true;
}

/* The problem set, baseline against the candidate masked at its layer. */
static bool score(mt_tour_findings *f, const mt_app *app, const mt_tour_inputs *in, stage *st, mt_err *err) {
    snprintf(f->problems, sizeof f->problems, "%s", in->problems_name ? in->problems_name : "problems");
    f->n_problems = in->n_problems;
    if (!in->n_problems) return true;
    mt_interventions iv;
    mt_conditions c = { 0 };
    char name[MT_COND_NAME_MAX];
    snprintf(name, sizeof name, "mask %u@%u", f->expert, f->layer);
    if (!mt_iv_init(&iv, app->m->hp.n_layer, app->m->hp.n_expert)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    mt_interventions none;
    bool ok = mt_iv_init(&none, iv.n_layer, iv.n_expert) && mt_conds_init(&c, &none);
    mt_iv_free(&none);
    if (!ok) mt_err_set(err, "out of memory");
    iv.flags[(size_t)f->layer * iv.n_expert + f->expert] |= MT_IV_MASK;
    ok = ok && mt_conds_add(&c, name, &iv, err);
    mt_eval_result r = { 0 };
    st->name = "problems";
    ok = ok && mt_eval_run(app->m, app->be, app->tok, &c, in->problems, in->n_problems, in->max_tokens, stage_progress, st, &r, err);
    if (ok) {
        f->base = r.summary[0];
        f->ablated = r.summary[1];
    }
    mt_eval_free(&r);
    mt_conds_free(&c);
    mt_iv_free(&iv);
    return ok;
}

/* The prompt's last token holding a digit (else its last token). */
static uint32_t number_token(const mt_app *app) {
    uint32_t n = mt_session_length(app->s), at = n ? n - 1 : 0;
    const uint32_t *ids = mt_session_ids(app->s);
    for (uint32_t i = 0; i < n; i++) {
        size_t len;
        const char *b = mt_tok_bytes(app->tok, ids[i], &len);
        for (size_t j = 0; b && j < len; j++)
            if (b[j] >= '0' && b[j] <= '9') at = i;
    }
    return at;
}

bool mt_tour_find(mt_tour_findings *f, mt_app *app, const mt_tour_inputs *in, mt_tour_progress_fn progress, void *user, mt_err *err) {
    memset(f, 0, sizeof *f);
    stage st = { progress, user, "" };
    if (!find_candidate(f, app, in, &st, err) || !score(f, app, in, &st, err)) return false;
    f->number_tok = number_token(app);
    return true;
}
