/* The status line: what runs, on what, with which interventions. */
#include <stdio.h>
#include <string.h>

#include "tui/edit_line.h"
#include "views.h"

/* A short summary of the interventions: "mask 3@1 zero 2@0 k 2@4", or "none". */
static void summary(const mt_app *app, char *out, size_t cap) {
    const mt_interventions *iv = &app->iv;
    size_t o = 0;
    out[0] = 0;
    for (uint32_t l = 0; l < iv->n_layer && o + 32 < cap; l++) {
        if (iv->force[l] >= 0) o += (size_t)snprintf(out + o, cap - o, "force %d@%u ", iv->force[l], l);
        if (iv->k[l]) o += (size_t)snprintf(out + o, cap - o, "k %u@%u ", iv->k[l], l);
        static const struct { uint8_t bit; const char *name; } kinds[] = { { MT_IV_MASK, "mask" }, { MT_IV_ZERO, "zero" }, { MT_IV_DROP, "drop" } };
        for (size_t k = 0; k < 3; k++)
            for (uint32_t e = 0; e < iv->n_expert && o + 32 < cap; e++)
                if (iv->flags[(size_t)l * iv->n_expert + e] & kinds[k].bit) o += (size_t)snprintf(out + o, cap - o, "%s %u@%u ", kinds[k].name, e, l);
    }
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
    char right[512];
    snprintf(right, sizeof right, "? keys | %s on %s, %s ", app->model_name, app->be->name, app->be->device);
    int rw = mt_text_width(right);
    if (used + rw + 2 <= area.w) mt_grid_text(g, area, area.x + area.w - rw, area.y, right, 0x303030, 0xd0d0d0, 0);
}
