/* What tui/app_keys.c and tui/conditions.c add to the explorer: the
 * actions bound in mt_actions (app.c), and the kept conditions compared
 * (experiments/compare.h) for the compare view. */
#ifndef MT_APP_KEYS_H
#define MT_APP_KEYS_H

#include <stddef.h>

#include "app.h"
#include "experiments/compare.h"

/* f / F: force the target expert (the cursor cell's top, or the ablate
 * view's column) at the cursor's layer / at every layer (toggles). */
bool mt_action_force(mt_app *app, mt_err *err);
bool mt_action_force_everywhere(mt_app *app, mt_err *err);
/* > / <: k one more / one fewer than the cursor layer's, at every layer. */
bool mt_action_k_up_everywhere(mt_app *app, mt_err *err);
bool mt_action_k_down_everywhere(mt_app *app, mt_err *err);
/* K: keep the interventions in force as a condition: opens the name line
 * (a name made from the interventions in it; Enter keeps, Esc cancels). */
bool mt_action_keep(mt_app *app, mt_err *err);
/* The compare view's: select the next / previous kept condition, apply the
 * selected one's interventions, forget it. */
bool mt_action_cond_next(mt_app *app, mt_err *err);
bool mt_action_cond_prev(mt_app *app, mt_err *err);
bool mt_action_cond_apply(mt_app *app, mt_err *err);
bool mt_action_cond_forget(mt_app *app, mt_err *err);
/* Enter on the name line: keeps the interventions in force under name
 * (refused, said on the status line, when the name is taken or not a
 * condition's name, or when the same interventions are kept already). */
bool mt_app_keep_named(mt_app *app, const char *name, mt_err *err);

/* The interventions as `moetop compare --cond` flags (engine/intervene.h's
 * language), grouped by expert and by k: "--force 3 --k 2@0,1 --mask 5@2"
 * (no @: every layer), or "" for none. */
void mt_iv_flags_text(const mt_interventions *iv, char *out, size_t cap);

/* The kept conditions compared on the prompt. */
typedef struct mt_cond_cache {
    uint32_t *ids;          /* the prompt they ran on */
    uint32_t n_ids;
    mt_conditions all;      /* [0] baseline, the kept ones, then "(current)" when the interventions in force are not kept */
    mt_compare_result *res; /* [all.n], NULL when the run failed or was cancelled */
} mt_cond_cache;

/* The comparison for the prompt and the conditions now (run on first use,
 * MT_COMPARE_TOKENS greedy tokens each; kept until either changes); NULL
 * when fewer than 2 conditions are kept, or the run failed or was cancelled
 * (said on the status line; not run again until something changes). */
const mt_cond_cache *mt_app_conditions_compared(mt_app *app);
/* Frees a comparison (NULL: nothing), for a front end that keeps one aside
 * (the tour: each scene's, so stepping back shows it without running it again). */
void mt_cond_cache_free(mt_cond_cache *c);

#endif
