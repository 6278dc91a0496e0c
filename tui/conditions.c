/* Kept conditions in the explorer: K snapshots the interventions in force
 * under a name into app->conds, the experiments library's list (what
 * `moetop compare --cond` builds), and the compare view runs them all with
 * mt_compare_run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_keys.h"

/* The layers where on holds: "@0,3,5", or all_layers when every layer. */
static size_t layers_text(const bool *on, uint32_t L, const char *all_layers, char *out, size_t cap) {
    uint32_t count = 0;
    for (uint32_t l = 0; l < L; l++) count += on[l];
    if (count == L) return (size_t)snprintf(out, cap, "%s", all_layers);
    size_t o = 0;
    for (uint32_t l = 0; l < L && o < cap; l++)
        if (on[l]) o += (size_t)snprintf(out + o, cap - o, "%s%u", o ? "," : "@", l);
    return o;
}

static void flags_text(const mt_interventions *iv, const char *all_layers, char *out, size_t cap);

void mt_iv_flags_text(const mt_interventions *iv, char *out, size_t cap) { flags_text(iv, "", out, cap); }

static void flags_text(const mt_interventions *iv, const char *all_layers, char *out, size_t cap) {
    if (!cap) return;
    out[0] = 0;
    uint32_t L = iv->n_layer, E = iv->n_expert;
    bool *on = calloc(L ? L : 1, sizeof *on);
    if (!on) return;
    size_t o = 0;
    char layers[4096];
    /* force E@..: per expert */
    for (uint32_t e = 0; e < E && o < cap; e++) {
        bool any = false;
        for (uint32_t l = 0; l < L; l++) any |= on[l] = iv->force[l] == (int32_t)e;
        if (!any) continue;
        layers_text(on, L, all_layers, layers, sizeof layers);
        o += (size_t)snprintf(out + o, cap - o, "%s--force %u%s", o ? " " : "", e, layers);
    }
    /* k N@..: per value */
    for (uint32_t k = 1; k <= E && o < cap; k++) {
        bool any = false;
        for (uint32_t l = 0; l < L; l++) any |= on[l] = iv->k[l] == k;
        if (!any) continue;
        layers_text(on, L, all_layers, layers, sizeof layers);
        o += (size_t)snprintf(out + o, cap - o, "%s--k %u%s", o ? " " : "", k, layers);
    }
    static const struct { uint8_t bit; const char *name; } kinds[] = { { MT_IV_MASK, "mask" }, { MT_IV_ZERO, "zero" }, { MT_IV_DROP, "drop" } };
    for (size_t k = 0; k < 3; k++)
        for (uint32_t e = 0; e < E && o < cap; e++) {
            bool any = false;
            for (uint32_t l = 0; l < L; l++) any |= on[l] = (iv->flags[(size_t)l * E + e] & kinds[k].bit) != 0;
            if (!any) continue;
            layers_text(on, L, all_layers, layers, sizeof layers);
            o += (size_t)snprintf(out + o, cap - o, "%s--%s %u%s", o ? " " : "", kinds[k].name, e, layers);
        }
    free(on);
    if (o >= cap) out[cap - 1] = 0;
}

static bool same_iv(const mt_interventions *a, const mt_interventions *b) { return mt_iv_first_difference(a, b) == a->n_layer; }

/* A name from the interventions ("force 3@all k 2@0,1"), cut at a word to
 * fit a condition's name, made unique in the list with " (2)", " (3)", ... */
static void auto_name(const mt_app *app, char *out, size_t cap) {
    char flags[2048], base[MT_COND_NAME_MAX - 8];
    flags_text(&app->iv, "@all", flags, sizeof flags);
    size_t o = 0;
    for (const char *p = flags; *p;) { /* drop the "--" of each flag */
        if (p[0] == '-' && p[1] == '-' && (p == flags || p[-1] == ' ')) p += 2;
        size_t word = strcspn(p, " ");
        if (o + word + 1 >= sizeof base) break;
        memcpy(base + o, p, word);
        o += word;
        base[o++] = ' ';
        p += word;
        while (*p == ' ') p++;
    }
    base[o ? o - 1 : 0] = 0;
    if (!base[0]) snprintf(base, sizeof base, "no interventions");
    snprintf(out, cap, "%s", base);
    for (int i = 2; app->conds.n && mt_conds_find(&app->conds, out) && i < 1000; i++) snprintf(out, cap, "%s (%d)", base, i);
}

bool mt_action_keep(mt_app *app, mt_err *err) {
    (void)err;
    if (!mt_iv_any(&app->iv)) {
        snprintf(app->message, sizeof app->message, "nothing to keep: no interventions (the baseline is always kept)");
        return true;
    }
    for (size_t i = 1; i < app->conds.n; i++)
        if (same_iv(&app->conds.items[i].iv, &app->iv)) {
            snprintf(app->message, sizeof app->message, "kept already, as '%s'", app->conds.items[i].name);
            return true;
        }
    app->editing = true;
    app->edit_target = MT_EDIT_NAME;
    auto_name(app, app->edit, sizeof app->edit);
    app->edit_at = strlen(app->edit);
    return true;
}

bool mt_app_keep_named(mt_app *app, const char *name, mt_err *err) {
    (void)err;
    if (!app->conds.n) {
        mt_interventions none;
        if (!mt_iv_init(&none, app->iv.n_layer, app->iv.n_expert)) {
            snprintf(app->message, sizeof app->message, "out of memory");
            return true;
        }
        bool ok = mt_conds_init(&app->conds, &none);
        mt_iv_free(&none);
        if (!ok) {
            snprintf(app->message, sizeof app->message, "out of memory");
            return true;
        }
    }
    for (size_t i = 1; i < app->conds.n; i++)
        if (same_iv(&app->conds.items[i].iv, &app->iv)) {
            snprintf(app->message, sizeof app->message, "kept already, as '%s'", app->conds.items[i].name);
            return true;
        }
    mt_err why;
    if (!mt_conds_add(&app->conds, name, &app->iv, &why)) {
        snprintf(app->message, sizeof app->message, "not kept: %.200s", why.msg);
        return true;
    }
    app->cond_at = app->conds.n - 1;
    snprintf(app->message, sizeof app->message, "kept '%.60s' (%zu kept; compare shows them side by side)", name, app->conds.n - 1);
    return true;
}

bool mt_action_cond_next(mt_app *app, mt_err *err) {
    (void)err;
    if (app->conds.n > 1) app->cond_at = app->cond_at + 1 < app->conds.n ? app->cond_at + 1 : 1;
    return true;
}

bool mt_action_cond_prev(mt_app *app, mt_err *err) {
    (void)err;
    if (app->conds.n > 1) app->cond_at = app->cond_at > 1 ? app->cond_at - 1 : app->conds.n - 1;
    return true;
}

static const mt_condition *selected(mt_app *app) {
    if (app->conds.n < 2) {
        snprintf(app->message, sizeof app->message, "no kept conditions: K keeps the interventions in force");
        return NULL;
    }
    if (app->cond_at < 1 || app->cond_at >= app->conds.n) app->cond_at = 1;
    return &app->conds.items[app->cond_at];
}

bool mt_action_cond_apply(mt_app *app, mt_err *err) {
    const mt_condition *c = selected(app);
    if (!c) return true;
    mt_iv_copy(&app->iv, &c->iv);
    snprintf(app->message, sizeof app->message, "applied '%.200s'", c->name);
    app->baseline_cancelled = false;
    mt_session_set_interventions(app->s, &app->iv);
    return mt_session_update(app->s, err);
}

/* The list without the selected one, rebuilt through the library's own calls. */
bool mt_action_cond_forget(mt_app *app, mt_err *err) {
    (void)err;
    const mt_condition *c = selected(app);
    if (!c) return true;
    char name[MT_COND_NAME_MAX];
    snprintf(name, sizeof name, "%s", c->name);
    mt_conditions kept;
    if (!mt_conds_init(&kept, &app->conds.base)) {
        snprintf(app->message, sizeof app->message, "out of memory");
        return true;
    }
    mt_err why;
    for (size_t i = 1; i < app->conds.n; i++)
        if (i != app->cond_at && !mt_conds_add(&kept, app->conds.items[i].name, &app->conds.items[i].iv, &why)) {
            mt_conds_free(&kept);
            snprintf(app->message, sizeof app->message, "%.200s", why.msg);
            return true;
        }
    mt_conds_free(&app->conds);
    app->conds = kept;
    if (app->conds.n < 2) mt_conds_free(&app->conds);
    if (app->cond_at >= app->conds.n) app->cond_at = app->conds.n ? app->conds.n - 1 : 0;
    snprintf(app->message, sizeof app->message, "forgot '%s'", name);
    return true;
}

void mt_cond_cache_free(mt_cond_cache *c) {
    if (!c) return;
    if (c->res) mt_compare_free(c->res, c->all.n);
    free(c->res);
    free(c->ids);
    mt_conds_free(&c->all);
    free(c);
}

void mt_app_keys_free(mt_app *app) {
    mt_cond_cache_free(app->cond_cache);
    app->cond_cache = NULL;
    mt_conds_free(&app->conds);
}

/* The list the compare view should show now: baseline, the kept, and the
 * interventions in force when they are not kept. False when out of memory. */
static bool wanted(const mt_app *app, mt_conditions *out) {
    if (!mt_conds_init(out, &app->conds.base)) return false;
    mt_err why;
    bool current = mt_iv_any(&app->iv);
    for (size_t i = 1; i < app->conds.n; i++) {
        if (!mt_conds_add(out, app->conds.items[i].name, &app->conds.items[i].iv, &why)) {
            mt_conds_free(out);
            return false;
        }
        if (same_iv(&app->conds.items[i].iv, &app->iv)) current = false;
    }
    if (current && !mt_conds_add(out, "(current)", &app->iv, &why)) current = false; /* a kept one of that name: left out */
    return true;
}

static bool same_list(const mt_conditions *a, const mt_conditions *b) {
    if (a->n != b->n) return false;
    for (size_t i = 0; i < a->n; i++)
        if (strcmp(a->items[i].name, b->items[i].name) != 0 || !same_iv(&a->items[i].iv, &b->items[i].iv)) return false;
    return true;
}

const mt_cond_cache *mt_app_conditions_compared(mt_app *app) {
    if (app->conds.n < 2) return NULL;
    mt_conditions want;
    if (!wanted(app, &want)) return NULL;
    uint32_t n = mt_session_length(app->s);
    const uint32_t *ids = mt_session_ids(app->s);
    mt_cond_cache *c = app->cond_cache;
    if (c && c->n_ids == n && (!n || memcmp(c->ids, ids, n * sizeof *ids) == 0) && same_list(&c->all, &want)) {
        mt_conds_free(&want);
        return c->res ? c : NULL;
    }
    mt_cond_cache_free(c);
    app->cond_cache = c = calloc(1, sizeof *c);
    if (!c) {
        mt_conds_free(&want);
        return NULL;
    }
    c->all = want;
    c->ids = malloc((n ? n : 1) * sizeof *ids);
    if (!c->ids) { /* tried again on the next frame */
        mt_cond_cache_free(c);
        app->cond_cache = NULL;
        return NULL;
    }
    c->n_ids = n;
    if (n) memcpy(c->ids, ids, n * sizeof *ids);
    if (!n) return NULL;
    c->res = calloc(c->all.n, sizeof *c->res);
    mt_err err;
    if (!c->res) return NULL;
    if (!mt_compare_run(app->m, app->be, app->tok, &c->all, ids, n, MT_COMPARE_TOKENS, app->progress, app->progress_user, c->res, &err)) {
        free(c->res);
        c->res = NULL;
        if (app->cancel_requested) {
            app->cancel_requested = false;
            snprintf(app->message, sizeof app->message, "cancelled: the kept conditions are not compared (a change runs them again)");
        } else snprintf(app->message, sizeof app->message, "comparing the conditions: %.200s", err.msg);
        return NULL;
    }
    return c;
}
