/* The compare view's continuations: the prompt continued greedily without
 * and with the interventions, kept until either changes. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "engine/generate.h"

typedef struct collected {
    uint32_t ids[MT_COMPARE_TOKENS];
    uint32_t n;
} collected;

static bool collect(void *ctx, uint32_t id, uint32_t pos) {
    (void)pos;
    collected *c = ctx;
    if (c->n < MT_COMPARE_TOKENS) c->ids[c->n++] = id;
    return true;
}

/* Runs the continuation into c->text; false when cancelled or failed. */
static bool run(mt_app *app, struct mt_continuation *c, const mt_interventions *iv) {
    mt_err err;
    mt_session *s = mt_session_new(app->m, app->be, &err);
    if (!s) return false;
    mt_session_set_progress(s, app->progress, app->progress_user);
    mt_session_set_interventions(s, iv);
    uint32_t n = mt_session_length(app->s);
    collected got = { .n = 0 };
    mt_gen_opts opts = { .max_tokens = MT_COMPARE_TOKENS, .temperature = 0, .top_p = 1, .seed = 0 };
    mt_gen_stop stop;
    bool ok = mt_session_append(s, mt_session_ids(app->s), n, &err) && mt_generate(s, app->tok, &opts, collect, &got, &stop, &err);
    mt_session_free(s);
    if (!ok) return false;
    size_t total = 0;
    for (uint32_t i = 0; i < got.n; i++) {
        size_t len;
        mt_tok_bytes(app->tok, got.ids[i], &len);
        total += len;
    }
    free(c->text);
    c->text = malloc(total + 1);
    if (!c->text) return false;
    size_t at = 0;
    for (uint32_t i = 0; i < got.n; i++) {
        size_t len;
        const char *bytes = mt_tok_bytes(app->tok, got.ids[i], &len);
        memcpy(c->text + at, bytes, len);
        at += len;
    }
    c->text[at] = 0;
    return true;
}

const char *mt_app_continuation(mt_app *app, bool intervened) {
    struct mt_continuation *c = &app->cont[intervened];
    if (mt_session_length(app->s) == 0 || app->baseline_cancelled) return NULL;
    mt_interventions none;
    if (!mt_iv_init(&none, app->iv.n_layer, app->iv.n_expert)) return NULL;
    const mt_interventions *want = intervened ? &app->iv : &none;
    bool current = c->valid && c->prompt && strcmp(c->prompt, app->prompt) == 0 &&
                   mt_iv_first_difference(&c->iv, want) == want->n_layer;
    if (!current) {
        c->valid = false;
        free(c->prompt);
        c->prompt = strdup(app->prompt);
        if (c->prompt && mt_iv_copy(&c->iv, want) && run(app, c, want)) c->valid = true;
        else if (app->cancel_requested) { /* as for the baseline: not again until r or a change */
            app->cancel_requested = false;
            app->baseline_cancelled = true;
            snprintf(app->message, sizeof app->message, "cancelled: no continuation to compare (r computes it)");
        }
    }
    mt_iv_free(&none);
    return c->valid ? c->text : NULL;
}
