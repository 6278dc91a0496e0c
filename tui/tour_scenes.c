/* The tour's scenes (tour.h): each one's state of the explorer, then its
 * caption, written after the state is put into the explorer so that it
 * names the numbers the screen shows. Captions never claim what the
 * p-values do not earn: a candidate with a permutation p of 0.05 or more is
 * "no math expert", an accuracy change with an exact McNemar p of 0.05 or
 * more is "not distinguishable from no change". */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_keys.h"
#include "experiments/distribution.h"
#include "engine/stats.h"
#include "label.h"
#include "tour.h"

enum { SC_DASHBOARD, SC_EXPERT, SC_FORCE, SC_SINGLES, SC_ABLATE, SC_WEIGHTS, SC_K, SC_END, SC_COUNT };
_Static_assert(SC_COUNT == MT_TOUR_SCENES, "tour.h counts the scenes");

/* Appends to a caption's text. */
static void add(char *text, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(char *text, const char *fmt, ...) {
    size_t used = strlen(text);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(text + used, MT_TOUR_TEXT_MAX - used, fmt, ap);
    va_end(ap);
}

/* A p-value as the captions write it: 3 significant digits. */
static void p_text(double p, char *out, size_t cap) { snprintf(out, cap, "%.2g", p); }

static void token_text(const mt_app *app, uint32_t id, char *out, size_t cap) {
    size_t len;
    const char *b = mt_tok_bytes(app->tok, id, &len);
    mt_token_label(b ? b : "", b ? len : 0, app->ascii, 12, out, cap);
}

/* The most likely next token after the prompt as the app holds it. */
static bool next_token(const mt_app *app, uint32_t *id, double *p) {
    uint32_t n = mt_session_length(app->s), V = mt_tok_vocab_size(app->tok);
    const float *z = n ? mt_session_logits(app->s, n - 1) : NULL;
    double *lp = z ? malloc(V * sizeof *lp) : NULL;
    if (!lp) return false;
    mt_log_softmax(z, V, lp);
    mt_top_n(lp, V, 1, id, p);
    free(lp);
    return true;
}

static bool new_conds(mt_tour_scene *s, mt_err *err) {
    mt_interventions none;
    bool ok = mt_iv_init(&none, s->iv.n_layer, s->iv.n_expert) && mt_conds_init(&s->conds, &none);
    mt_iv_free(&none);
    if (!ok) mt_err_set(err, "out of memory");
    return ok;
}

/* A kept condition of one flag: "--force 3@2" named "force 3@2". */
static bool keep(mt_tour_scene *s, const char *name, const char *kind, const char *value, mt_err *err) {
    mt_interventions iv;
    if (!mt_iv_init(&iv, s->iv.n_layer, s->iv.n_expert)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    bool ok = mt_iv_parse(&iv, kind, value, err) && mt_conds_add(&s->conds, name, &iv, err);
    mt_iv_free(&iv);
    return ok;
}

/* Each scene's state. */
static bool states(mt_tour *t, const mt_app *app, mt_err *err) {
    const mt_tour_findings *f = &t->found;
    const mt_hparams *hp = &app->m->hp;
    for (size_t i = 0; i < t->n; i++)
        if (!mt_iv_init(&t->scenes[i].iv, hp->n_layer, hp->n_expert)) {
            mt_err_set(err, "out of memory");
            return false;
        }
    mt_tour_scene *s = t->scenes;
    s[SC_DASHBOARD].view = MT_VIEW_DASHBOARD;
    s[SC_DASHBOARD].tok = f->number_tok;
    s[SC_EXPERT].view = MT_VIEW_EXPERTS;
    s[SC_EXPERT].layer = f->layer;
    s[SC_EXPERT].expert = f->expert;
    s[SC_FORCE].view = MT_VIEW_COMPARE;
    s[SC_FORCE].layer = f->layer;
    for (uint32_t l = 0; l < hp->n_layer; l++) s[SC_FORCE].iv.force[l] = (int32_t)f->expert; /* as F does */
    s[SC_SINGLES].view = MT_VIEW_COMPARE;
    s[SC_SINGLES].layer = f->layer;
    char name[MT_COND_NAME_MAX], value[32];
    if (!new_conds(&s[SC_SINGLES], err)) return false;
    for (uint32_t i = 0; i <= f->n_others; i++) {
        const mt_specialist_cell *c = i ? &f->others[i - 1] : &f->spec.top[0];
        snprintf(value, sizeof value, "%u@%u", c->expert, c->layer);
        snprintf(name, sizeof name, "force %s", value);
        if (!keep(&s[SC_SINGLES], name, "force", value, err)) return false;
    }
    s[SC_ABLATE].view = MT_VIEW_ABLATE;
    s[SC_ABLATE].layer = f->layer;
    s[SC_ABLATE].expert = f->expert;
    s[SC_ABLATE].iv.flags[(size_t)f->layer * hp->n_expert + f->expert] |= MT_IV_MASK;
    s[SC_WEIGHTS].view = MT_VIEW_TOKEN;
    s[SC_WEIGHTS].tok = f->number_tok;
    s[SC_WEIGHTS].layer = f->layer;
    s[SC_K].view = MT_VIEW_COMPARE;
    s[SC_K].layer = f->layer;
    if (!new_conds(&s[SC_K], err)) return false;
    static const uint32_t ks[] = { 1, 2, 4, 8 };
    for (size_t i = 0; i < 4; i++) {
        if (ks[i] > hp->n_expert) continue;
        snprintf(name, sizeof name, "k=%u", ks[i]);
        snprintf(value, sizeof value, "%u", ks[i]);
        if (!keep(&s[SC_K], name, "k", value, err)) return false;
    }
    s[SC_END].view = MT_VIEW_DASHBOARD;
    s[SC_END].tok = f->number_tok;
    s[SC_END].layer = f->layer;
    return true;
}

static void dashboard(mt_tour *t, mt_tour_scene *s, const mt_app *app) {
    const mt_hparams *hp = &app->m->hp;
    char shape[160], next[96] = "";
    uint32_t id;
    double p;
    if (next_token(app, &id, &p)) {
        char label[48];
        token_text(app, id, label, sizeof label);
        if (p >= 0.001) snprintf(next, sizeof next, "\"%s\" p %.3f", label, p);
        else snprintf(next, sizeof next, "\"%s\" p %.1g", label, p); /* never 0.000 */
    }
    snprintf(shape, sizeof shape, "\"%s\": %u tokens, %u layers of %u experts, top-%u.", t->prompt, mt_session_length(app->s), hp->n_layer,
             hp->n_expert, hp->k);
    snprintf(s->title, sizeof s->title, "The dashboard: what the router did");
    add(s->text, "%s Left: each token's top expert (highest mixing weight) per layer. Right: the cursor cell's router softmax, "
                 "entropy per layer, the next token (%s).", shape, next[0] ? next : "none");
    add(s->small, "%s Each cell: a token's (row) top expert, the highest mixing weight, at a layer (column), coloured by id. "
                  "A taller frame shows the dashboard's other panels.", shape);
}

static void expert(mt_tour *t, mt_tour_scene *s, const mt_app *app, size_t n_prompts) {
    const mt_tour_findings *f = &t->found;
    const mt_specialist_cell *c = &f->spec.top[0];
    char p[32];
    p_text(f->spec.p_max, p, sizeof p);
    uint32_t L = app->m->hp.n_layer, E = app->m->hp.n_expert;
    if (f->significant) {
        snprintf(s->title, sizeof s->title, "The candidate math expert: %u at layer %u", c->expert, c->layer);
        add(s->text, "Over %zu prompts, expert %u at layer %u takes %.0f%% of math tokens and %.0f%% of the rest: the largest gap of %u "
                     "layer-experts, permutation p %s (max-T, %u shuffles). It is sent math; what it does, scenes 3-5 test.",
            n_prompts, c->expert, c->layer, 100 * c->in_rate, 100 * c->out_rate, L * E, p, f->spec.permutations);
    } else {
        snprintf(s->title, sizeof s->title, "No math expert stands out");
        add(s->text, "Over %zu prompts, the largest gap is expert %u at layer %u: %.0f%% of math tokens, %.0f%% of the rest; shuffled "
                     "labels give gaps as large (permutation p %s, max-T over %u layer-experts). The tour goes on with it.",
            n_prompts, c->expert, c->layer, 100 * c->in_rate, 100 * c->out_rate, p, L * E);
    }
}

/* KL(baseline || now) of the next token after the prompt, nats; NaN when either is missing. */
static double next_kl(mt_app *app) {
    const mt_session *b = mt_app_baseline(app);
    uint32_t n = mt_session_length(app->s), V = mt_tok_vocab_size(app->tok);
    const float *zp = b && n ? mt_session_logits(b, n - 1) : NULL, *zq = n ? mt_session_logits(app->s, n - 1) : NULL;
    double *lp = zp && zq ? malloc(2 * (size_t)V * sizeof *lp) : NULL, kl = NAN;
    if (!lp) return kl;
    mt_log_softmax(zp, V, lp);
    mt_log_softmax(zq, V, lp + V);
    kl = mt_kl_logp(lp, lp + V, V);
    free(lp);
    return kl;
}

static void force(mt_tour *t, mt_tour_scene *s, mt_app *app) {
    const mt_tour_findings *f = &t->found;
    snprintf(s->title, sizeof s->title, "Force expert %u everywhere (F)", f->expert);
    add(s->text, "Every token uses only expert %u, at every layer (each layer's %u is a different network).", f->expert, f->expert);
    double kl = next_kl(app);
    if (!isnan(kl)) add(s->text, " Next-token KL from the baseline: %.3g nats.", kl);
    const char *base = mt_app_continuation(app, false), *forced = mt_app_continuation(app, true);
    if (base && forced) {
        size_t at = 0;
        while (base[at] && base[at] == forced[at]) at++;
        if (!base[at] && !forced[at]) add(s->text, " Greedy continuations: the same.");
        else if (!at) add(s->text, " Greedy continuations differ from the first character.");
        else add(s->text, " Greedy continuations part after %zu characters.", at);
    }
}

/* From the kept conditions compared (NULL when not run). */
static const mt_cond_cache *compared(mt_app *app, mt_err *err, bool *cancelled) {
    const mt_cond_cache *c = mt_app_conditions_compared(app);
    *cancelled = !c && strncmp(app->message, "cancelled", 9) == 0;
    if (*cancelled) mt_err_set(err, "cancelled");
    return c;
}

static bool singles(mt_tour *t, mt_tour_scene *s, mt_app *app, mt_err *err) {
    const mt_tour_findings *f = &t->found;
    snprintf(s->title, sizeof s->title, "Single experts side by side");
    add(s->text, "Kept conditions, each forcing one expert at its own layer: ");
    for (uint32_t i = 0; i <= f->n_others; i++) {
        const mt_specialist_cell *c = i ? &f->others[i - 1] : &f->spec.top[0];
        if (i) add(s->text, ", %u@%u (%+.0f)", c->expert, c->layer, 100 * c->diff);
        else add(s->text, "%u@%u (the candidate, %+.0f points)", c->expert, c->layer, 100 * c->diff);
    }
    bool cancelled;
    const mt_cond_cache *c = compared(app, err, &cancelled);
    if (cancelled) return false;
    if (c) {
        add(s->text, ". Next-token KL from the baseline:");
        for (size_t i = 1; i < c->all.n; i++) add(s->text, "%s %.3g", i > 1 ? "," : "", c->res[i].kl_next);
        add(s->text, " nats.");
    } else add(s->text, ".");
    return true;
}

static void ablate(mt_tour *t, mt_tour_scene *s) {
    const mt_tour_findings *f = &t->found;
    snprintf(s->title, sizeof s->title, "Ablate it: expert %u masked at layer %u", f->expert, f->layer);
    add(s->text, "The next expert takes its slot. ");
    if (!f->n_problems) {
        add(s->text, "No problem set was scored.");
        return;
    }
    const mt_eval_summary *a = &f->base, *b = &f->ablated;
    char p[32];
    p_text(b->p_mcnemar, p, sizeof p);
    add(s->text, "%s, %zu problems: accuracy %.2f [%.2f, %.2f] -> %.2f [%.2f, %.2f] (Wilson 95%%); %llu fixed, %llu broken, "
                 "exact McNemar p %s: ",
        f->problems, f->n_problems, a->accuracy, a->wilson_lo, a->wilson_hi, b->accuracy, b->wilson_lo, b->wilson_hi,
        (unsigned long long)b->fixed, (unsigned long long)b->broken, p);
    if (b->p_mcnemar >= 0.05) add(s->text, "not distinguishable from no change at this size.");
    else add(s->text, "more change than chance gives (below 0.05): accuracy %s.", b->broken > b->fixed ? "falls" : "rises");
}

static void weights(mt_tour *t, mt_tour_scene *s, const mt_app *app) {
    const mt_tour_findings *f = &t->found;
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t n = mt_session_route(app->s, f->layer, f->number_tok, &ex, &w, &margin), E = app->m->hp.n_expert;
    char label[48];
    token_text(app, mt_session_ids(app->s)[f->number_tok], label, sizeof label);
    snprintf(s->title, sizeof s->title, "The router's weights");
    add(s->text, "Token \"%s\" at every layer: its top-%u experts' mixing weights (the softmax of their router logits) as bars, "
                 "the softmax over all %u as a sparkline. At layer %u:", label, app->m->hp.k, E, f->layer);
    for (uint32_t i = 0; i < n && i < 4; i++) add(s->text, "%s %u %.2f", i ? "," : "", ex[i], (double)w[i]);
    if (n > 4) add(s->text, ", ...");
    if (n && !isnan(margin)) add(s->text, "; margin %.3f (the row's last number).", (double)margin); /* as the token view prints it */
    else add(s->text, ".");
}

static bool k_sweep(mt_tour_scene *s, mt_app *app, mt_err *err) {
    snprintf(s->title, sizeof s->title, "k experts per token");
    add(s->text, "Kept conditions: every layer selects its top k experts (the model's k is %u). ", app->m->hp.k);
    bool cancelled;
    const mt_cond_cache *c = compared(app, err, &cancelled);
    if (cancelled) return false;
    if (!c) return true;
    add(s->text, "Next-token KL from the baseline:");
    for (size_t i = 1; i < c->all.n; i++) add(s->text, "%s %s %.3g", i > 1 ? "," : "", c->all.items[i].name, c->res[i].kl_next);
    add(s->text, " nats; continuations part at token");
    for (size_t i = 1; i < c->all.n; i++) {
        int64_t d = c->res[i].first_difference;
        if (d < 0) add(s->text, "%s -", i > 1 ? "," : "");
        else add(s->text, "%s %lld", i > 1 ? "," : "", (long long)d);
    }
    add(s->text, ".");
    return true;
}

static void end(mt_tour *t, mt_tour_scene *s) {
    const mt_tour_findings *f = &t->found;
    snprintf(s->title, sizeof s->title, "Your turn");
    add(s->text, "Space pauses; then keys are the explorer's: F forces, m masks, > and < change k, K keeps a condition, e edits the "
                 "prompt. From a shell: moetop domains; moetop eval --problems %s --cond \"no-%u: --mask %u@%u\".",
        f->n_problems ? f->problems : "add-1", f->expert, f->expert, f->layer);
}

bool mt_tour_compose(mt_tour *t, mt_app *app, mt_tour_progress_fn progress, void *user, mt_err *err) {
    if (!(t->scenes = calloc(SC_COUNT, sizeof *t->scenes))) {
        mt_err_set(err, "out of memory");
        return false;
    }
    t->n = SC_COUNT;
    if (!states(t, app, err)) return false;
    size_t n_prompts = t->found.spec.in_prompts + t->found.spec.out_prompts;
    for (size_t i = 0; i < t->n; i++) {
        t->at = i;
        mt_tour_scene *s = &t->scenes[i];
        if (!mt_tour_apply(t, app, err)) {
            if (app->cancel_requested) mt_err_set(err, "cancelled");
            app->cancel_requested = false;
            return false;
        }
        bool ok = true;
        if (i == SC_DASHBOARD) dashboard(t, s, app);
        else if (i == SC_EXPERT) expert(t, s, app, n_prompts);
        else if (i == SC_FORCE) force(t, s, app);
        else if (i == SC_SINGLES) ok = singles(t, s, app, err);
        else if (i == SC_ABLATE) ablate(t, s);
        else if (i == SC_WEIGHTS) weights(t, s, app);
        else if (i == SC_K) ok = k_sweep(s, app, err);
        else end(t, s);
        if (!ok || (progress && !progress(user, "scenes", i + 1, t->n))) {
            if (ok) mt_err_set(err, "cancelled");
            return false;
        }
    }
    t->at = 0;
    return true;
}
