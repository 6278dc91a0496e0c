/* The explorer's actions, as a table: each key does one thing, and the help
 * screen will be generated from the same table. */
#include "app.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app_keys.h"
#include "engine/sample.h"
#include "script.h"
#include "views/views.h"


/* In prompt_line.c: the prompt line's keys and actions */
bool mt_prompt_line_key(mt_app *app, int key, mt_err *err);
bool mt_action_edit(mt_app *app, mt_err *err);
bool mt_action_chat(mt_app *app, mt_err *err);
bool mt_action_next_prompt(mt_app *app, mt_err *err);
bool mt_action_next_domain(mt_app *app, mt_err *err);
#include "actions.h" /* scroll_actions.c and message.c */

/* Starts a completion of the prompt (with the interventions), a token per tick. */
static bool generate(mt_app *app, mt_err *err) {
    mt_session_free(app->gen);
    app->gen = mt_session_new(app->m, app->be, err);
    if (!app->gen) return false;
    mt_session_set_progress(app->gen, app->progress, app->progress_user);
    mt_session_set_interventions(app->gen, &app->iv);
    uint32_t n = mt_session_length(app->s);
    if (n == 0) {
        snprintf(app->message, sizeof app->message, "give a prompt first");
        return true;
    }
    if (!mt_session_append(app->gen, mt_session_ids(app->s), n, err)) return false;
    app->gen_start = n;
    app->gen_pending = app->generate_tokens > 0 ? app->generate_tokens : MT_GENERATE_TOKENS;
    app->gen_rng = mt_rng_seed(app->seed, 0x67656eull); /* engine/generate.c's stream: moetop generate --seed gives the same */
    app->gen_done = false;
    app->view = MT_VIEW_GENERATE;
    if (app->temperature > 0)
        snprintf(app->message, sizeof app->message, "generating (temperature %.2g, top-p %.2g, seed %llu)", (double)app->temperature,
                 (double)app->top_p, (unsigned long long)app->seed);
    else snprintf(app->message, sizeof app->message, "generating (greedy)");
    return true;
}

bool mt_app_tick(mt_app *app, mt_err *err) {
    if (!app->gen || app->gen_pending <= 0) return false;
    uint32_t n = mt_session_length(app->gen);
    const float *logits = mt_session_logits(app->gen, n - 1);
    if (!logits || n >= app->m->hp.n_ctx) {
        app->gen_pending = 0;
        return false;
    }
    uint32_t V = mt_tok_vocab_size(app->tok);
    if (!app->gen_prob) app->gen_prob = malloc(V * sizeof *app->gen_prob);
    if (!app->gen_index) app->gen_index = malloc(V * sizeof *app->gen_index);
    if (!app->gen_prob || !app->gen_index) {
        mt_err_set(err, "out of memory for sampling");
        app->gen_pending = 0;
        return false;
    }
    uint32_t next = mt_sample(logits, V, app->temperature, app->top_p > 0 ? app->top_p : 1, &app->gen_rng, app->gen_prob, app->gen_index);
    if (!mt_session_append(app->gen, &next, 1, err)) {
        app->gen_pending = 0;
        return false;
    }
    app->gen_pending--;
    if (mt_tok_is_eog(app->tok, next)) {
        app->gen_pending = 0;
        app->gen_done = true;
    }
    if (!app->gen_pending) snprintf(app->message, sizeof app->message, "generated %u tokens%s", mt_session_length(app->gen) - app->gen_start,
                                    app->gen_done ? " (end of generation)" : "");
    return app->gen_pending > 0;
}

static uint32_t n_tokens(const mt_app *app) { return mt_session_length(app->s); }

static bool move_tok(mt_app *app, int delta) {
    int64_t t = (int64_t)app->cur_tok + delta, n = n_tokens(app);
    app->cur_tok = (uint32_t)(t < 0 ? 0 : t >= n ? (n ? n - 1 : 0) : t);
    return true;
}

static bool move_layer(mt_app *app, int delta) {
    int64_t l = (int64_t)app->cur_layer + delta, n = app->m->hp.n_layer;
    app->cur_layer = (uint32_t)(l < 0 ? 0 : l >= n ? n - 1 : l);
    return true;
}

static bool down(mt_app *a, mt_err *e) { (void)e; return move_tok(a, 1); }
static bool up(mt_app *a, mt_err *e) { (void)e; return move_tok(a, -1); }
static bool page_down(mt_app *a, mt_err *e) { (void)e; return move_tok(a, 10); }
static bool page_up(mt_app *a, mt_err *e) { (void)e; return move_tok(a, -10); }
static bool first(mt_app *a, mt_err *e) { (void)e; return move_tok(a, -(int)n_tokens(a)); }
static bool last(mt_app *a, mt_err *e) { (void)e; return move_tok(a, (int)n_tokens(a)); }
static bool right(mt_app *a, mt_err *e) { (void)e; return move_layer(a, 1); }
static bool left(mt_app *a, mt_err *e) { (void)e; return move_layer(a, -1); }
static bool quit(mt_app *a, mt_err *e) { (void)e; a->quit = true; return true; }

/* The expert the cursor cell shows: the highest mixing weight there. */
int mt_app_cursor_expert(const mt_app *app) {
    const uint32_t *ex;
    const float *w;
    float margin;
    uint32_t n = mt_session_route(app->s, app->cur_layer, app->cur_tok, &ex, &w, &margin);
    int best = -1;
    for (uint32_t i = 0; i < n; i++)
        if (best < 0 || w[i] > w[best]) best = (int)i;
    return best < 0 ? -1 : (int)ex[best];
}

bool mt_app_recompute(mt_app *app, mt_err *err) {
    app->baseline_cancelled = false;
    mt_session_set_interventions(app->s, &app->iv);
    return mt_session_update(app->s, err);
}

static bool recompute_now(mt_app *app, mt_err *err) {
    bool stale = mt_session_dirty_from(app->s) < app->m->hp.n_layer;
    if (!mt_app_recompute(app, err)) return false;
    snprintf(app->message, sizeof app->message, stale ? "recomputed" : "nothing is stale");
    return true;
}

void mt_app_set_progress(mt_app *app, mt_progress_fn fn, void *user) {
    app->progress = fn;
    app->progress_user = user;
    mt_session *held[3] = { app->s, app->baseline, app->gen };
    for (int i = 0; i < 3; i++)
        if (held[i]) mt_session_set_progress(held[i], fn, user);
}

static bool toggle(mt_app *app, uint8_t bit, const char *what, mt_err *err) {
    int e = app->view == MT_VIEW_ABLATE || app->view == MT_VIEW_EXPERTS ? (int)app->cur_expert : mt_app_cursor_expert(app);
    if (e < 0) {
        snprintf(app->message, sizeof app->message, "no expert under the cursor");
        return true;
    }
    uint8_t *f = &app->iv.flags[(size_t)app->cur_layer * app->iv.n_expert + (uint32_t)e];
    *f ^= bit;
    if (*f & bit) snprintf(app->message, sizeof app->message, "%s expert %d at layer %u", what, e, app->cur_layer);
    else snprintf(app->message, sizeof app->message, "cleared %s expert %d at layer %u", what, e, app->cur_layer);
    return mt_app_recompute(app, err);
}

static bool mask(mt_app *a, mt_err *e) { return toggle(a, MT_IV_MASK, "masked", e); }

/* Ablate view: the expert under the column cursor, masked at every layer (or unmasked). */
/* The ablate view's column at every layer: set the bit everywhere, or clear it where it is set everywhere. */
static bool toggle_everywhere(mt_app *app, uint8_t bit, const char *what, mt_err *err) {
    uint32_t e = app->cur_expert, L = app->m->hp.n_layer;
    bool all = true;
    for (uint32_t l = 0; l < L; l++) all &= (app->iv.flags[(size_t)l * app->iv.n_expert + e] & bit) != 0;
    for (uint32_t l = 0; l < L; l++) {
        uint8_t *f = &app->iv.flags[(size_t)l * app->iv.n_expert + e];
        *f = all ? (uint8_t)(*f & ~bit) : (uint8_t)(*f | bit);
    }
    snprintf(app->message, sizeof app->message, "%s%s expert %u at every layer", all ? "un-" : "", what, e);
    return mt_app_recompute(app, err);
}

static bool mask_everywhere(mt_app *a, mt_err *e) { return toggle_everywhere(a, MT_IV_MASK, "masked", e); }
static bool zero_everywhere(mt_app *a, mt_err *e) { return toggle_everywhere(a, MT_IV_ZERO, "zeroed", e); }
static bool drop_everywhere(mt_app *a, mt_err *e) { return toggle_everywhere(a, MT_IV_DROP, "dropped", e); }

static bool expert_next(mt_app *app, mt_err *e) {
    (void)e;
    if (app->cur_expert + 1 < app->m->hp.n_expert) app->cur_expert++;
    return true;
}

static bool expert_prev(mt_app *app, mt_err *e) {
    (void)e;
    if (app->cur_expert > 0) app->cur_expert--;
    return true;
}
static bool zero(mt_app *a, mt_err *e) { return toggle(a, MT_IV_ZERO, "zeroed", e); }
static bool drop(mt_app *a, mt_err *e) { return toggle(a, MT_IV_DROP, "dropped", e); }

static bool change_k(mt_app *app, int delta, mt_err *err) {
    uint32_t *k = &app->iv.k[app->cur_layer];
    int64_t now = *k ? *k : app->m->hp.k, next = now + delta;
    if (next < 1 || next > app->m->hp.n_expert) return true;
    *k = (uint32_t)next == app->m->hp.k ? 0 : (uint32_t)next;
    snprintf(app->message, sizeof app->message, "k %lld at layer %u", (long long)next, app->cur_layer);
    return mt_app_recompute(app, err);
}

static bool k_up(mt_app *a, mt_err *e) { return change_k(a, 1, e); }
static bool k_down(mt_app *a, mt_err *e) { return change_k(a, -1, e); }

static bool clear(mt_app *app, mt_err *err) {
    mt_iv_clear(&app->iv);
    snprintf(app->message, sizeof app->message, "interventions cleared");
    return mt_app_recompute(app, err);
}

static bool next_view(mt_app *app, mt_err *e) {
    (void)e;
    app->view = (app->view + 1) % MT_VIEW_COUNT;
    return true;
}

static bool prev_view(mt_app *app, mt_err *e) {
    (void)e;
    app->view = (app->view + MT_VIEW_COUNT - 1) % MT_VIEW_COUNT;
    return true;
}

static bool help(mt_app *app, mt_err *e) {
    (void)e;
    app->view = app->view == MT_VIEW_HELP ? MT_VIEW_DASHBOARD : MT_VIEW_HELP;
    return true;
}

static bool next_shading(mt_app *app, mt_err *e) {
    (void)e;
    static const char *const names[] = { "expert id", "top weight", "router entropy", "change against the baseline" };
    app->shading = (app->shading + 1) % MT_SHADE_COUNT;
    snprintf(app->message, sizeof app->message, "shading: %s", names[app->shading]);
    return true;
}

static bool export_frame(mt_app *app, mt_err *e) {
    (void)e;
    app->export_requested = true; /* the front end holds the frame and writes it */
    return true;
}

static bool back(mt_app *app, mt_err *e) {
    (void)e;
    app->view = MT_VIEW_DASHBOARD;
    return true;
}

/* The text view's Space: the next layer, after the last the first. */
static bool next_layer_wrapping(mt_app *app, mt_err *e) {
    (void)e;
    app->cur_layer = app->cur_layer + 1 < app->m->hp.n_layer ? app->cur_layer + 1 : 0;
    return true;
}

const mt_action mt_actions[] = {
    { -1, MT_KEY_TAB, 0, "Tab", "next: dashboard heatmap token sweep experts ablate compare generate text help", next_view },
    { -1, MT_KEY_BACKTAB, 0, "S-Tab", "previous view", prev_view },
    { -1, '?', MT_KEY_F1, "? F1", "this help (again: back)", help },
    { -1, MT_KEY_ESC, 0, "Esc", "back to the dashboard, the first screen", back },
    { MT_VIEW_ABLATE, 'j', MT_KEY_DOWN, "j Down", "ablate: next layer", right },
    { MT_VIEW_ABLATE, 'k', MT_KEY_UP, "k Up", "ablate: previous layer", left },
    { MT_VIEW_ABLATE, 'l', MT_KEY_RIGHT, "l Right", "ablate: next expert", expert_next },
    { MT_VIEW_ABLATE, 'h', MT_KEY_LEFT, "h Left", "ablate: previous expert", expert_prev },
    { MT_VIEW_ABLATE, 'M', 0, "M", "ablate: mask the expert at every layer (toggle)", mask_everywhere },
    { MT_VIEW_ABLATE, 'Z', 0, "Z", "ablate: zero the expert's output at every layer (toggle)", zero_everywhere },
    { MT_VIEW_ABLATE, 'D', 0, "D", "ablate: drop the expert at every layer (toggle)", drop_everywhere },
    { -1, 'j', MT_KEY_DOWN, "j Down", "next token", down },
    { -1, 'k', MT_KEY_UP, "k Up", "previous token", up },
    { -1, 'l', MT_KEY_RIGHT, "l Right", "next layer", right },
    { -1, 'h', MT_KEY_LEFT, "h Left", "previous layer", left },
    { -1, MT_KEY_PAGEDOWN, 0, "PageDown", "ten tokens down", page_down },
    { -1, MT_KEY_PAGEUP, 0, "PageUp", "ten tokens up", page_up },
    { -1, MT_KEY_HOME, 'g', "Home g", "first token", first },
    { -1, MT_KEY_END, 'G', "End G", "last token", last },
    { -1, 'm', 0, "m", "mask the expert at this layer (toggle): the cell's top, or the cursor's", mask },
    { -1, 'z', 0, "z", "zero that expert's output at this layer (toggle)", zero },
    { -1, 'x', 0, "x", "drop that expert at this layer (toggle)", drop },
    { -1, '+', '=', "+", "one more expert per token at this layer", k_up },
    { -1, '-', 0, "-", "one fewer expert per token at this layer", k_down },
    { -1, 'c', 0, "c", "clear every intervention", clear },
    { -1, 'r', 0, "r", "recompute what a cancelled change left stale", recompute_now },
    { MT_VIEW_HEATMAP, 's', 0, "s", "heatmap: shade cells by expert id, top weight, router entropy or change", next_shading },
    { MT_VIEW_DASHBOARD, 's', 0, "s", "dashboard: shade the heatmap's cells (as s in the heatmap)", next_shading },
    { MT_VIEW_TEXT, ' ', 0, "Space", "text: next layer (after the last, the first)", next_layer_wrapping },
    { -1, 'e', '/', "e /", "edit the prompt (Enter runs it, Esc cancels, Up/Down: history, C-a C-e C-u C-k)", mt_action_edit },
    { -1, 'C', 0, "C", "wrap the prompt in the model's chat format", mt_action_chat },
    { -1, 'p', 0, "p", "next prompt of the prompt sets", mt_action_next_prompt },
    { -1, 'P', 0, "P", "first prompt of the next domain", mt_action_next_domain },
    { -1, 'n', 0, "n", "generate a completion with the interventions (greedy, or the config's temperature and seed)", generate },
    { -1, 'X', 0, "X", "export this frame (moetop-frame-N.svg; the config sets format and folder)", export_frame },
    { -1, 'q', 0, "q", "quit", quit },
    { MT_VIEW_EXPERTS, 'j', MT_KEY_DOWN, "j Down", "experts: next expert", expert_next },
    { MT_VIEW_EXPERTS, 'k', MT_KEY_UP, "k Up", "experts: previous expert", expert_prev },
    { MT_VIEW_EXPERTS, MT_KEY_PAGEDOWN, 0, "PageDown", "experts: sixteen experts on", mt_action_expert_page_down },
    { MT_VIEW_EXPERTS, MT_KEY_PAGEUP, 0, "PageUp", "experts: sixteen experts back", mt_action_expert_page_up },
    { MT_VIEW_EXPERTS, MT_KEY_HOME, 'g', "Home g", "experts: first expert", mt_action_expert_first },
    { MT_VIEW_EXPERTS, MT_KEY_END, 'G', "End G", "experts: last expert", mt_action_expert_last },
    { MT_VIEW_TOKEN, '>', '.', "> .", "token: the sparkline sixteen experts on", mt_action_expert_page_down },
    { MT_VIEW_TOKEN, '<', ',', "< ,", "token: the sparkline sixteen experts back", mt_action_expert_page_up },
    { MT_VIEW_HELP, 'j', MT_KEY_DOWN, "j Down", "help: scroll down a line", mt_action_scroll_down },
    { MT_VIEW_HELP, 'k', MT_KEY_UP, "k Up", "help: scroll up a line", mt_action_scroll_up },
    { MT_VIEW_HELP, MT_KEY_PAGEDOWN, ' ', "PageDown Space", "help: a page down", mt_action_scroll_page_down },
    { MT_VIEW_HELP, MT_KEY_PAGEUP, 0, "PageUp", "help: a page up", mt_action_scroll_page_up },
    { MT_VIEW_HELP, MT_KEY_HOME, 'g', "Home g", "help: the top", mt_action_scroll_top },
    { MT_VIEW_HELP, MT_KEY_END, 'G', "End G", "help: the end", mt_action_scroll_bottom },
    { MT_VIEW_GENERATE, 'j', MT_KEY_DOWN, "j Down", "generate: scroll the tokens down", mt_action_scroll_down },
    { MT_VIEW_GENERATE, 'k', MT_KEY_UP, "k Up", "generate: scroll the tokens up", mt_action_scroll_up },
    { MT_VIEW_GENERATE, MT_KEY_PAGEDOWN, 0, "PageDown", "generate: a page down", mt_action_scroll_page_down },
    { MT_VIEW_GENERATE, MT_KEY_PAGEUP, 0, "PageUp", "generate: a page up", mt_action_scroll_page_up },
    { MT_VIEW_GENERATE, MT_KEY_HOME, 'g', "Home g", "generate: the first token", mt_action_scroll_top },
    { MT_VIEW_GENERATE, MT_KEY_END, 'G', "End G", "generate: follow the newest token", mt_action_scroll_bottom },
    { -1, 'f', 0, "f", "force the expert (cell's top, or ablate's column) at this layer: every token uses only it (toggle)", mt_action_force },
    { -1, 'F', 0, "F", "force that expert at every layer (toggle)", mt_action_force_everywhere },
    { -1, '>', 0, ">", "k one more at every layer (the same k everywhere: this layer's + 1)", mt_action_k_up_everywhere },
    { -1, '<', 0, "<", "k one fewer at every layer", mt_action_k_down_everywhere },
    { -1, 'K', 0, "K", "keep the interventions as a named condition (compare shows the kept side by side)", mt_action_keep },
    { MT_VIEW_COMPARE, ']', 0, "]", "compare: select the next kept condition", mt_action_cond_next },
    { MT_VIEW_COMPARE, '[', 0, "[", "compare: select the previous kept condition", mt_action_cond_prev },
    { MT_VIEW_COMPARE, MT_KEY_ENTER, 0, "Enter", "compare: apply the selected condition's interventions", mt_action_cond_apply },
    { MT_VIEW_COMPARE, MT_KEY_DELETE, MT_KEY_BACKSPACE, "Delete", "compare: forget the selected condition", mt_action_cond_forget },
};

const size_t mt_action_count = sizeof mt_actions / sizeof *mt_actions;

/* The action bound to key in this view: the view's own bindings first, then the global ones. */
static const mt_action *bound(const mt_app *app, int key) {
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < mt_action_count; i++) {
            const mt_action *a = &mt_actions[i];
            if ((pass == 0 ? a->view != app->view : a->view != -1)) continue;
            if (a->key == key || (a->alt_key && a->alt_key == key)) return a;
        }
    return NULL;
}

static bool key_once(mt_app *app, int key, mt_err *err) {
    const mt_action *a = app->editing ? NULL : bound(app, key);
    if (!app->editing && !a) return true; /* unbound keys do nothing */
    bool ok = app->editing ? mt_prompt_line_key(app, key, err) : a->run(app, err);
    if (!ok && app->cancel_requested) { /* stopped on request: say so, keep going */
        app->cancel_requested = false;
        uint32_t stale = mt_session_dirty_from(app->s);
        if (stale < app->m->hp.n_layer) snprintf(app->message, sizeof app->message, "cancelled: layers %u.. are stale (r recomputes)", stale);
        else snprintf(app->message, sizeof app->message, "cancelled: the prompt holds %u tokens", mt_session_length(app->s));
        return true;
    }
    return ok;
}

/* A key, and the status line's message: one the key wrote is stamped, an
 * older one counts the key and expires (message.c). */
bool mt_app_key(mt_app *app, int key, mt_err *err) {
    if (mt_app_too_small(app)) { /* nothing that cannot be seen: only q acts */
        if (key == 'q') app->quit = true;
        return true;
    }
    mt_app_message_notice(app);
    char before[sizeof app->message];
    memcpy(before, app->message, sizeof before);
    app->message[0] = 0;
    bool ok = key_once(app, key, err);
    mt_app_message_after_key(app, before);
    return ok;
}

bool mt_app_init(mt_app *app, const char *model_name, const mt_model *m, const mt_tokenizer *tok, mt_backend *be,
                 const char *prompt, mt_err *err) {
    memset(app, 0, sizeof *app);
    app->model_name = model_name;
    app->top_p = 1;
    app->m = m;
    app->tok = tok;
    app->be = be;
    if (!mt_iv_init(&app->iv, m->hp.n_layer, m->hp.n_expert) || !(app->s = mt_session_new(m, be, err))) {
        mt_err_set(err, "out of memory");
        return false;
    }
    mt_ids ids = { 0 };
    bool ok = mt_tok_encode_prompt(tok, prompt, strlen(prompt), true, &ids);
    if (ok && ids.n > m->hp.n_ctx) {
        mt_err_set(err, "the prompt's %zu tokens are more than the model's context of %u", ids.n, m->hp.n_ctx);
        ok = false;
    } else if (ok && strlen(prompt) >= sizeof app->prompt) {
        mt_err_set(err, "the prompt is longer than %zu bytes", sizeof app->prompt - 1);
        ok = false;
    } else if (ok && ids.n) {
        ok = mt_session_append(app->s, ids.ids, (uint32_t)ids.n, err);
    }
    if (ok) snprintf(app->prompt, sizeof app->prompt, "%s", prompt);
    mt_ids_free(&ids);
    return ok;
}

const mt_session *mt_app_baseline(mt_app *app) {
    if (app->baseline || app->baseline_cancelled) return app->baseline;
    mt_err err;
    app->baseline = mt_session_new(app->m, app->be, &err);
    if (app->baseline) mt_session_set_progress(app->baseline, app->progress, app->progress_user);
    uint32_t n = mt_session_length(app->s);
    if (app->baseline && n && !mt_session_append(app->baseline, mt_session_ids(app->s), n, &err)) {
        mt_session_free(app->baseline);
        app->baseline = NULL;
        if (app->cancel_requested) { /* asked once: drawing does not start it again until r or a change */
            app->cancel_requested = false;
            app->baseline_cancelled = true;
            snprintf(app->message, sizeof app->message, "cancelled: no baseline to compare with (r computes it)");
        }
    }
    return app->baseline;
}

void mt_app_free(mt_app *app) {
    mt_app_keys_free(app);
    free(app->gen_prob);
    free(app->gen_index);
    for (int i = 0; i < 2; i++) {
        free(app->cont[i].text);
        free(app->cont[i].prompt);
        mt_iv_free(&app->cont[i].iv);
    }
    mt_session_free(app->gen);
    for (int i = 0; i < app->n_history; i++) free(app->history[i]);
    for (size_t i = 0; i < app->n_sets; i++) {
        free(app->sets[i].domain);
        free(app->sets[i].text);
    }
    free(app->sets);
    mt_session_free(app->baseline);
    mt_session_free(app->s);
    mt_iv_free(&app->iv);
    memset(app, 0, sizeof *app);
}

void mt_app_click(mt_app *app, int w, int h, int x, int y) {
    if (app->editing || w < MT_APP_MIN_W || h < MT_APP_MIN_H) return;
    mt_rect body = mt_view_area(app, w, h); /* as mt_app_draw lays it out */
    uint32_t a, b;
    if ((app->view == MT_VIEW_HEATMAP || app->view == MT_VIEW_DASHBOARD) && mt_heatmap_hit(app, body, x, y, &a, &b)) {
        if (a == app->cur_tok && b == app->cur_layer) app->view = MT_VIEW_TOKEN;
        app->cur_tok = a;
        app->cur_layer = b;
    } else if (app->view == MT_VIEW_ABLATE && mt_ablate_hit(app, body, x, y, &a, &b)) {
        app->cur_layer = a;
        app->cur_expert = b;
    }
}

void mt_app_draw(mt_app *app, mt_grid *g) {
    mt_grid_clear(g);
    app->shown_w = g->w;
    app->shown_h = g->h;
    if (g->w < MT_APP_MIN_W || g->h < MT_APP_MIN_H) {
        mt_app_draw_too_small(g);
        return;
    }
    if (app->view == MT_VIEW_DASHBOARD && mt_dashboard_heatmap_area(app, g->w, g->h).w > 0) {
        mt_view_dashboard(app, g, (mt_rect){ 0, 0, g->w, g->h });
        mt_view_status(app, g, (mt_rect){ 0, g->h - 1, g->w, 1 });
        return;
    }
    mt_rect body = mt_view_area(app, g->w, g->h); /* under the title line, above the key */
    mt_view_title(app, g, (mt_rect){ 0, 0, g->w, 1 });
    if (body.y + body.h < g->h - 1) mt_view_key(app, g, (mt_rect){ 0, body.y + body.h, g->w, 1 });
    if (app->view == MT_VIEW_TOKEN) mt_view_token(app, g, body);
    else if (app->view == MT_VIEW_SWEEP) mt_view_sweep(app, g, body);
    else if (app->view == MT_VIEW_EXPERTS) mt_view_experts(app, g, body);
    else if (app->view == MT_VIEW_ABLATE) mt_view_ablate(app, g, body);
    else if (app->view == MT_VIEW_COMPARE) mt_view_compare(app, g, body);
    else if (app->view == MT_VIEW_GENERATE) mt_view_generate(app, g, body);
    else if (app->view == MT_VIEW_HELP) mt_view_help(app, g, body);
    else if (app->view == MT_VIEW_TEXT) mt_view_text(app, g, body);
    else mt_view_heatmap(app, g, body);
    mt_view_status(app, g, (mt_rect){ 0, g->h - 1, g->w, 1 });
}
