/* The status line: what runs, on what, with which interventions. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tui/edit_line.h"
#include "views.h"

/* "0-3,7" from the members of a set of n (in[i] != 0), or "all". */
static size_t ranges(const uint8_t *in, uint32_t n, bool all_word, char *out, size_t cap) {
    size_t o = 0;
    uint32_t count = 0;
    for (uint32_t i = 0; i < n; i++) count += in[i] != 0;
    if (all_word && count == n && n > 1) return (size_t)snprintf(out, cap, "all");
    out[0] = 0;
    for (uint32_t i = 0; i < n && o + 24 < cap;) {
        if (!in[i]) {
            i++;
            continue;
        }
        uint32_t end = i;
        while (end + 1 < n && in[end + 1]) end++;
        o += (size_t)(end > i ? snprintf(out + o, cap - o, "%s%u-%u", o ? "," : "", i, end) : snprintf(out + o, cap - o, "%s%u", o ? "," : "", i));
        i = end + 1;
    }
    return o;
}

/* The interventions, grouped so that a line holds them at any model size:
 * "force 4@all", "mask 3,5@0-2 mask 7@all" (a-b: a range of ids).
 * Per kind, experts with the same set of layers share one entry; k as set
 * by the keys ("k 3@all"; k_text gives the k in force). "none" without any. */
static void summary(const mt_app *app, char *out, size_t cap) {
    const mt_interventions *iv = &app->iv;
    uint32_t L = iv->n_layer, E = iv->n_expert;
    size_t o = 0;
    out[0] = 0;
    uint8_t *lay = calloc(L + 1, 1), *exp = calloc(E + 1, 1), *done = calloc(E + 1, 1);
    char a[256], b[256];
    if (!lay || !exp || !done) goto end;
    /* force: per forced expert, its layers */
    for (uint32_t l0 = 0; l0 < L && o + 40 < cap; l0++) {
        int32_t e = iv->force[l0];
        bool first = e >= 0;
        for (uint32_t l = 0; first && l < l0; l++) first = iv->force[l] != e;
        if (!first) continue;
        for (uint32_t l = 0; l < L; l++) lay[l] = iv->force[l] == e;
        ranges(lay, L, true, a, sizeof a);
        o += (size_t)snprintf(out + o, cap - o, "force %d@%s ", e, a);
    }
    /* k: per value set, its layers */
    for (uint32_t l0 = 0; l0 < L && o + 40 < cap; l0++) {
        uint32_t v = iv->k[l0];
        bool first = v != 0;
        for (uint32_t l = 0; first && l < l0; l++) first = iv->k[l] != v;
        if (!first) continue;
        for (uint32_t l = 0; l < L; l++) lay[l] = iv->k[l] == v;
        ranges(lay, L, true, a, sizeof a);
        o += (size_t)snprintf(out + o, cap - o, "k %u@%s ", v, a);
    }
    static const struct { uint8_t bit; const char *name; } kinds[] = { { MT_IV_MASK, "mask" }, { MT_IV_ZERO, "zero" }, { MT_IV_DROP, "drop" } };
    for (size_t k = 0; k < 3; k++) {
        memset(done, 0, E);
        for (uint32_t e = 0; e < E && o + 40 < cap; e++) {
            if (done[e]) continue;
            bool any = false;
            for (uint32_t l = 0; l < L; l++) any |= (lay[l] = (iv->flags[(size_t)l * E + e] & kinds[k].bit) != 0);
            if (!any) continue;
            for (uint32_t f = e; f < E; f++) { /* the experts with exactly these layers */
                bool same = !done[f];
                for (uint32_t l = 0; same && l < L; l++) same = ((iv->flags[(size_t)l * E + f] & kinds[k].bit) != 0) == (lay[l] != 0);
                exp[f] = same;
                if (same) done[f] = 1;
            }
            ranges(exp, E, false, a, sizeof a);
            ranges(lay, L, true, b, sizeof b);
            o += (size_t)snprintf(out + o, cap - o, "%s %s@%s ", kinds[k].name, a, b);
            memset(exp, 0, E);
        }
    }
end:
    free(lay);
    free(exp);
    free(done);
    if (o >= cap) o = cap - 1;
    if (!o) snprintf(out, cap, "none");
    else out[o - 1] = 0;
}

/* k as it is per layer: "k 4" when every layer has the same, else the
 * model's k and the layers that differ, runs of layers together:
 * "k 4 (L3: 2, L5-7: 6)". */
static void k_text(const mt_app *app, char *out, size_t cap) {
    uint32_t L = app->iv.n_layer, base = app->m->hp.k;
    const uint32_t *k = app->iv.k;
    bool uniform = true;
    for (uint32_t l = 1; l < L; l++) uniform &= k[l] == k[0];
    if (uniform || L == 0) {
        snprintf(out, cap, "k %u", L && k[0] ? k[0] : base);
        return;
    }
    size_t o = (size_t)snprintf(out, cap, "k %u (", base);
    for (uint32_t l = 0; l < L && o + 24 < cap;) {
        uint32_t end = l;
        while (end + 1 < L && k[end + 1] == k[l]) end++;
        if (k[l]) {
            if (end > l) o += (size_t)snprintf(out + o, cap - o, "%sL%u-%u: %u", out[o - 1] == '(' ? "" : ", ", l, end, k[l]);
            else o += (size_t)snprintf(out + o, cap - o, "%sL%u: %u", out[o - 1] == '(' ? "" : ", ", l, k[l]);
        }
        l = end + 1;
    }
    if (o + 2 < cap) snprintf(out + o, cap - o, ")");
}

void mt_view_status(const mt_app *app, mt_grid *g, mt_rect area) {
    char iv[160], line[640];
    if (app->editing) { /* the edit line, scrolled so that its cursor shows */
        mt_edit_line_draw(g, area, app->edit_target == MT_EDIT_NAME ? "keep as> " : "prompt> ", app->edit, app->edit_at, app->ascii);
        return;
    }
    summary(app, iv, sizeof iv);
    const char *message = app->message;
    char stale_note[64];
    uint32_t stale = mt_session_dirty_from(app->s);
    if (stale < app->m->hp.n_layer && !message[0]) { /* a cancelled change: the routing shown is not current */
        snprintf(stale_note, sizeof stale_note, "STALE from layer %u: r recomputes", stale);
        message = stale_note;
    }
    /* what changes goes first, so a narrow terminal keeps it; the model and backend go right, when they fit */
    char sampling[64];
    if (app->temperature > 0) snprintf(sampling, sizeof sampling, "T %.2g seed %llu", (double)app->temperature, (unsigned long long)app->seed);
    else snprintf(sampling, sizeof sampling, "greedy");
    char ks[96];
    k_text(app, ks, sizeof ks);
    snprintf(line, sizeof line, " %s | %s %s | interventions: %s%s%s", mt_view_names[app->view], ks, sampling, iv,
             message[0] ? " | " : "", message);
    mt_grid_fill(g, area, ' ', 0x000000, 0xd0d0d0, 0);
    int used = mt_grid_text(g, area, area.x, area.y, line, 0x000000, 0xd0d0d0, 0);
    /* the longest that fits: the model, backend and device; without the device (a GPU's name can be long);
     * the key to help alone */
    char right[3][512];
    snprintf(right[0], sizeof right[0], "? keys | %s on %s, %s ", app->model_name, app->be->name, app->be->device);
    snprintf(right[1], sizeof right[1], "? keys | %s on %s ", app->model_name, app->be->name);
    snprintf(right[2], sizeof right[2], "? keys ");
    for (int i = 0; i < 3; i++) {
        int rw = mt_text_width(right[i]);
        if (used + rw + 2 > area.w) continue;
        mt_grid_text(g, area, area.x + area.w - rw, area.y, right[i], 0x303030, 0xd0d0d0, 0);
        break;
    }
}
