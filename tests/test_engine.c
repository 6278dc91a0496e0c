/* The session: token-by-token decoding equals one prefill, recomputation
 * after an intervention touches exactly the layers it must and equals a fresh
 * run bit for bit, and the router's intervention rules. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/gguf_write.h"
#include "engine/half.h"
#include "engine/intervene.h"
#include "engine/model.h"
#include "engine/rng.h"
#include "engine/quant.h"
#include "engine/session.h"
#include "engine/synth.h"
#include "support/backends.h"
#include "support/fixtures.h"
#include "support/harness.h"

typedef struct loaded {
    mt_gguf *g;
    mt_model *m;
    mt_backend *be;
} loaded;

static bool load(char letter, loaded *l) {
    memset(l, 0, sizeof *l);
    const char *path = fixture_path(letter, ".gguf");
    if (!path) return false;
    mt_err err;
    l->g = mt_gguf_open(path, &err);
    l->m = l->g ? mt_model_load(l->g, &err) : NULL;
    if (!CHECKF(l->m != NULL, "%s", err.msg)) return false;
    l->be = test_backend_new(); /* NULL: skipped (Vulkan without a device) */
    return l->be != NULL;
}

static void unload(loaded *l) {
    if (l->be) l->be->destroy(l->be);
    mt_model_free(l->m);
    mt_gguf_close(l->g);
}

static uint32_t *random_ids(uint32_t n, uint32_t vocab, uint64_t seed) {
    uint32_t *ids = malloc(n * sizeof *ids);
    mt_rng r = mt_rng_seed(seed, 0);
    for (uint32_t i = 0; i < n; i++) ids[i] = (uint32_t)mt_rng_below(&r, vocab - 32); /* ordinary tokens */
    return ids;
}

/* Largest |a - b| / max(1, max|b|) over the vocabulary. */
static double logit_error(const float *a, const float *b, uint32_t n) {
    double scale = 1.0, worst = 0.0;
    for (uint32_t i = 0; i < n; i++) scale = fmax(scale, fabs(b[i]));
    for (uint32_t i = 0; i < n; i++) worst = fmax(worst, fabs(a[i] - b[i]) / scale);
    return worst;
}

/* Two sessions over the same n tokens: the largest logit error (logit_error),
 * and, at every (token, layer) whose margin in b is at least 1e-4, whether
 * the selected experts differ and, where equal, the largest mixing-weight
 * difference. */
typedef struct session_diff {
    double worst_logit, worst_weight;
    int routing_diffs, compared;
} session_diff;

static session_diff sessions_differ(const mt_session *a, const mt_session *b, uint32_t n, const mt_hparams *hp) {
    session_diff d = { 0 };
    for (uint32_t t = 0; t < n; t++) {
        d.worst_logit = fmax(d.worst_logit, logit_error(mt_session_logits(a, t), mt_session_logits(b, t), hp->n_vocab));
        for (uint32_t layer = 0; layer < hp->n_layer; layer++) {
            const uint32_t *ea, *eb;
            const float *wa, *wb;
            float ma, mb;
            uint32_t na = mt_session_route(a, layer, t, &ea, &wa, &ma), nb = mt_session_route(b, layer, t, &eb, &wb, &mb);
            if (mb < 1e-4f) continue;
            d.compared++;
            if (na != nb || memcmp(ea, eb, na * sizeof *ea) != 0) {
                d.routing_diffs++;
                continue;
            }
            for (uint32_t i = 0; i < na; i++) d.worst_weight = fmax(d.worst_weight, fabs(wa[i] - wb[i]));
        }
    }
    return d;
}

/* A prompt longer than the sliding window (and than one 256-token batch),
 * decoded one token at a time, against one prefill. The two paths sum in
 * different orders (one token: four accumulators; a batch: packed groups), so
 * they agree to float32 rounding: logits within 1e-4 x scale, routing equal
 * wherever the margin is above 1e-4. */
static void decode_equals_prefill(void) {
    loaded l;
    if (!load('c', &l)) {
        unload(&l);
        return;
    }
    const uint32_t n = 300;
    uint32_t *ids = random_ids(n, l.m->hp.n_vocab, 5);
    mt_err err;
    mt_session *prefill = mt_session_new(l.m, l.be, &err), *decode = mt_session_new(l.m, l.be, &err);
    mt_session_keep_all_logits(prefill, true);
    mt_session_keep_all_logits(decode, true);
    CHECK(n > 2 * l.m->hp.sliding_window);
    CHECK(mt_session_append(prefill, ids, n, &err));
    for (uint32_t i = 0; i < n; i++) CHECK(mt_session_append(decode, &ids[i], 1, &err));
    session_diff d = sessions_differ(decode, prefill, n, &l.m->hp);
    double worst_logit = d.worst_logit, worst_weight = d.worst_weight;
    int routing_diffs = d.routing_diffs, compared = d.compared;
    CHECKF(worst_logit <= 1e-4 * test_tolerance_scale(), "logits differ by %g x scale", worst_logit);
    CHECKF(routing_diffs == 0, "%d of %d (token, layer) routings differ", routing_diffs, compared);
    CHECKF(worst_weight <= 1e-5 * test_tolerance_scale(), "mixing weights differ by %g", worst_weight);
    printf("  %u tokens (window %u): decode vs prefill logits within %.1e x scale, weights within %.1e, routing equal at %d (token, layer)\n",
           n, l.m->hp.sliding_window, worst_logit, worst_weight, compared);
    mt_session_free(prefill);
    mt_session_free(decode);
    free(ids);
    unload(&l);
}

static bool sessions_identical(const mt_session *a, const mt_session *b, const mt_hparams *hp) {
    uint32_t n = mt_session_length(a);
    if (n != mt_session_length(b)) return false;
    for (uint32_t layer = 0; layer < hp->n_layer; layer++)
        for (uint32_t t = 0; t < n; t++) {
            const uint32_t *ea, *eb;
            const float *wa, *wb;
            float ma, mb, na3[3], nb3[3];
            uint32_t na = mt_session_route(a, layer, t, &ea, &wa, &ma), nb = mt_session_route(b, layer, t, &eb, &wb, &mb);
            mt_session_norms(a, layer, t, na3);
            mt_session_norms(b, layer, t, nb3);
            if (na != nb || memcmp(ea, eb, na * sizeof *ea) || memcmp(wa, wb, na * sizeof *wa) || memcmp(&ma, &mb, sizeof ma) ||
                memcmp(na3, nb3, sizeof na3) ||
                memcmp(mt_session_router_logits(a, layer, t), mt_session_router_logits(b, layer, t), hp->n_expert * sizeof(float)))
                return false;
        }
    return memcmp(mt_session_logits(a, n - 1), mt_session_logits(b, n - 1), hp->n_vocab * sizeof(float)) == 0;
}

/* Changing an intervention at layer l recomputes layers l..L-1 only, and the
 * result is bit for bit a fresh run with that intervention. */
static void recompute_from_changed_layer(void) {
    loaded l;
    if (!load('a', &l)) {
        unload(&l);
        return;
    }
    const mt_hparams *hp = &l.m->hp;
    const uint32_t n = 40, layer = 2;
    uint32_t *ids = random_ids(n, hp->n_vocab, 9);
    mt_err err;
    mt_session *s = mt_session_new(l.m, l.be, &err);
    CHECK(mt_session_append(s, ids, n, &err));
    uint64_t before = mt_session_layer_evals(s);
    CHECK(mt_session_update(s, &err) && mt_session_layer_evals(s) == before); /* nothing changed: nothing recomputed */
    /* mask, at `layer`, the expert token 0 ranks first: its routing must change */
    const uint32_t *ex;
    const float *w;
    float margin;
    mt_session_route(s, layer, 0, &ex, &w, &margin);
    uint32_t top = ex[0];
    mt_interventions iv;
    mt_iv_init(&iv, hp->n_layer, hp->n_expert);
    iv.flags[(size_t)layer * hp->n_expert + top] |= MT_IV_MASK;
    mt_session_set_interventions(s, &iv);
    CHECK(mt_session_update(s, &err));
    uint64_t evals = mt_session_layer_evals(s) - before;
    CHECKF(evals == hp->n_layer - layer, "%llu layer evaluations, expected %u", (unsigned long long)evals, hp->n_layer - layer);
    mt_session_route(s, layer, 0, &ex, &w, &margin);
    CHECKF(ex[0] != top, "the masked expert %u still ranks first", top);
    /* a fresh session with the same intervention, computed from layer 0 */
    mt_session *fresh = mt_session_new(l.m, l.be, &err);
    mt_session_set_interventions(fresh, &iv);
    CHECK(mt_session_append(fresh, ids, n, &err));
    CHECK(sessions_identical(s, fresh, hp));
    /* clearing it returns exactly to the baseline, again from `layer` on */
    mt_session *baseline = mt_session_new(l.m, l.be, &err);
    CHECK(mt_session_append(baseline, ids, n, &err));
    mt_iv_clear(&iv);
    mt_session_set_interventions(s, &iv);
    before = mt_session_layer_evals(s);
    CHECK(mt_session_update(s, &err) && mt_session_layer_evals(s) - before == hp->n_layer - layer);
    CHECK(sessions_identical(s, baseline, hp));
    mt_iv_free(&iv);
    mt_session_free(s);
    mt_session_free(fresh);
    mt_session_free(baseline);
    free(ids);
    unload(&l);
}

/* Progress comes after each layer of each batch; returning false cancels:
 * an append leaves the session as it was, an update leaves its layers dirty,
 * and finishing afterwards gives bit for bit a run never cancelled. */
typedef struct progress_log {
    uint64_t calls, last_done, last_total, stop_at;
} progress_log;

static bool log_progress(void *user, uint64_t done, uint64_t total) {
    progress_log *p = user;
    p->calls++;
    p->last_done = done;
    p->last_total = total;
    return p->stop_at == 0 || p->calls < p->stop_at;
}

static void progress_and_cancel(void) {
    loaded l;
    if (!load('a', &l)) {
        unload(&l);
        return;
    }
    const mt_hparams *hp = &l.m->hp;
    const uint32_t n = 40, layer = 1;
    uint32_t *ids = random_ids(n, hp->n_vocab, 11);
    mt_err err;
    mt_session *s = mt_session_new(l.m, l.be, &err), *fresh = mt_session_new(l.m, l.be, &err);
    progress_log log = { 0 };
    mt_session_set_progress(s, log_progress, &log);
    CHECK(mt_session_append(s, ids, 10, &err));
    CHECKF(log.calls == hp->n_layer && log.last_done == log.last_total && log.last_total == hp->n_layer, "%llu calls, %llu/%llu",
           (unsigned long long)log.calls, (unsigned long long)log.last_done, (unsigned long long)log.last_total);
    /* cancel an append part-way: the 30 new tokens are not held */
    log = (progress_log){ .stop_at = 2 };
    CHECK(!mt_session_append(s, ids + 10, n - 10, &err) && strcmp(err.msg, "cancelled") == 0);
    CHECK(mt_session_length(s) == 10 && log.calls == 2);
    log = (progress_log){ 0 };
    CHECK(mt_session_append(s, ids + 10, n - 10, &err));
    /* the same batches (10, then 30) as never cancelled: bit for bit */
    CHECK(mt_session_append(fresh, ids, 10, &err) && mt_session_append(fresh, ids + 10, n - 10, &err) && sessions_identical(s, fresh, hp));
    /* cancel an update: its layers stay dirty until the next update finishes it */
    mt_interventions iv;
    mt_iv_init(&iv, hp->n_layer, hp->n_expert);
    iv.k[layer] = 1;
    mt_session_set_interventions(s, &iv);
    log = (progress_log){ .stop_at = 1 };
    CHECK(!mt_session_update(s, &err) && strcmp(err.msg, "cancelled") == 0 && mt_session_dirty_from(s) == layer);
    log = (progress_log){ 0 };
    CHECK(mt_session_update(s, &err) && mt_session_dirty_from(s) == hp->n_layer && log.last_total == hp->n_layer - layer);
    mt_session_set_interventions(fresh, &iv);
    CHECK(mt_session_update(fresh, &err) && sessions_identical(s, fresh, hp));
    mt_iv_free(&iv);
    mt_session_free(s);
    mt_session_free(fresh);
    free(ids);
    unload(&l);
}

static void context_limit(void) {
    loaded l;
    if (!load('b', &l)) {
        unload(&l);
        return;
    }
    mt_err err;
    mt_session *s = mt_session_new(l.m, l.be, &err);
    uint32_t too_many = l.m->hp.n_ctx + 1;
    uint32_t *ids = calloc(too_many, sizeof *ids);
    CHECK(!mt_session_append(s, ids, too_many, &err) && strstr(err.msg, "more than the model's context"));
    CHECK(mt_session_length(s) == 0);
    uint32_t bad = l.m->hp.n_vocab;
    CHECK(!mt_session_append(s, &bad, 1, &err) && strstr(err.msg, "outside the vocabulary"));
    free(ids);
    mt_session_free(s);
    unload(&l);
}

/* The router's rules on hand-made logits (8 experts, model k = 2). */
static void routing_rules(void) {
    mt_interventions iv;
    mt_iv_init(&iv, 2, 8);
    const float z[8] = { 0.5f, 3.0f, -1.0f, 2.0f, 2.0f, 0.0f, 1.0f, -2.0f };
    uint32_t ex[8], order[8];
    float w[8], margin;
    uint32_t n = mt_iv_route(&iv, 0, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order);
    CHECK(n == 2 && ex[0] == 1 && ex[1] == 3 && fabsf(margin) < 1e-7f); /* 3 and 4 tie: the lower id ranks first */
    CHECK(fabsf(w[0] - 1.0f / (1.0f + expf(-1.0f))) < 1e-6f && fabsf(w[0] + w[1] - 1.0f) < 1e-6f);
    mt_err err;
    CHECK(mt_iv_parse(&iv, "mask", "1,3@0", &err)); /* the next experts take the slots */
    n = mt_iv_route(&iv, 0, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order);
    CHECK(n == 2 && ex[0] == 4 && ex[1] == 6 && fabsf(margin - 0.5f) < 1e-6f);
    n = mt_iv_route(&iv, 1, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order); /* layer 1 untouched */
    CHECK(ex[0] == 1);
    CHECK(mt_iv_parse(&iv, "k", "8@0", &err)); /* more than are left: all of them */
    n = mt_iv_route(&iv, 0, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order);
    CHECK(n == 6 && margin == MT_NO_MARGIN);
    CHECK(mt_iv_parse(&iv, "drop", "4,6@0", &err));
    n = mt_iv_route(&iv, 0, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order);
    float sum = 0;
    for (uint32_t i = 0; i < n; i++) sum += w[i];
    CHECK(ex[0] == 4 && w[0] == 0.0f && ex[1] == 6 && w[1] == 0.0f && fabsf(sum - 1.0f) < 1e-6f);
    CHECK(mt_iv_parse(&iv, "force", "7", &err)); /* force overrides every other flag */
    n = mt_iv_route(&iv, 0, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order);
    CHECK(n == 1 && ex[0] == 7 && w[0] == 1.0f && margin == MT_NO_MARGIN);
    mt_iv_clear(&iv);
    CHECK(mt_iv_parse(&iv, "drop", "1,3", &err)); /* every selected expert dropped: nothing added */
    n = mt_iv_route(&iv, 1, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order);
    CHECK(n == 2 && w[0] == 0.0f && w[1] == 0.0f);
    mt_iv_clear(&iv);
    CHECK(mt_iv_parse(&iv, "mask", "0,1,2,3,4,5,6,7", &err)); /* none left */
    CHECK(mt_iv_route(&iv, 0, 2, MT_ROUTER_TOPK_SOFTMAX, z, ex, w, &margin, order) == 0);
    static const char *const bad[][3] = {
        { "k", "0", "0 is outside 1..8" },     { "k", "9", "not a number of experts" }, { "mask", "8", "0..7" },
        { "mask", "1,", "0..7" },              { "force", "1,2", "one expert id" },      { "zero", "1@2", "layers in 0..1" },
        { "drop", "x", "0..7" },               { "mask", "@1", "0..7" },                 { "fuzz", "1", "not an intervention" },
    };
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++) {
        err.msg[0] = 0;
        CHECKF(!mt_iv_parse(&iv, bad[i][0], bad[i][1], &err) && strstr(err.msg, bad[i][2]), "--%s %s: '%s'", bad[i][0], bad[i][1], err.msg);
    }
    mt_iv_free(&iv);
}

/* One route on hand-made logits (8 experts, model k = 2) under the flags
 * given, against the experts, weights and margin expected. */
typedef struct route_case {
    const char *what;
    float z[8];
    const char *flags[6]; /* kind, value pairs */
    uint32_t n;
    uint32_t ex[8];
    float w[8];
    float margin;
} route_case;

static void check_route(const route_case *c) {
    mt_interventions iv;
    mt_iv_init(&iv, 1, 8);
    mt_err err;
    for (int i = 0; c->flags[i]; i += 2) CHECKF(mt_iv_parse(&iv, c->flags[i], c->flags[i + 1], &err), "%s: %s", c->what, err.msg);
    uint32_t ex[8], order[8];
    float w[8], margin = -1;
    uint32_t n = mt_iv_route(&iv, 0, 2, MT_ROUTER_TOPK_SOFTMAX, c->z, ex, w, &margin, order);
    bool same = n == c->n;
    for (uint32_t i = 0; same && i < n; i++) same = ex[i] == c->ex[i] && fabsf(w[i] - c->w[i]) < 1e-6f && !isnan(w[i]);
    bool margin_ok = isinf(c->margin) ? margin == c->margin : fabsf(margin - c->margin) <= 1e-6f * fmaxf(1.0f, fabsf(c->margin));
    CHECKF(same && margin_ok, "%s: %u experts %u %u %u (weights %g %g %g), margin %g; expected %u experts %u %u %u (%g %g %g), margin %g", c->what, n,
           ex[0], n > 1 ? ex[1] : 99, n > 2 ? ex[2] : 99, (double)w[0], n > 1 ? (double)w[1] : 0.0, n > 2 ? (double)w[2] : 0.0, (double)margin, c->n,
           c->ex[0], c->ex[1], c->ex[2], (double)c->w[0], (double)c->w[1], (double)c->w[2], (double)c->margin);
    mt_iv_free(&iv);
}

/* The rule for logits that are not finite (engine/intervene.c), case by
 * case: NaN is never a candidate (as if masked), the infinities rank at the
 * ends, a +inf top shares the weight, a -inf top (or nothing kept) gives 0,
 * equal infinities have margin 0. */
static void routing_nonfinite(void) {
    const float N = NAN, I = INFINITY;
    const float s12 = 1.0f / (1.0f + expf(-1.0f)); /* softmax(2, 1)[0] */
    route_case list[] = {
        { "NaN first", { N, 2, 1, 0, -1, -2, -3, -4 }, { NULL }, 2, { 1, 2 }, { s12, 1 - s12 }, 1.0f },
        { "NaN where the top was", { 0, 1, N, 2, -1, -2, -3, -4 }, { NULL }, 2, { 3, 1 }, { s12, 1 - s12 }, 1.0f },
        { "NaN between the selected", { 2, N, 1, 0, -1, -2, -3, -4 }, { NULL }, 2, { 0, 2 }, { s12, 1 - s12 }, 1.0f },
        { "NaN as the first left out", { 2, 1, -1, N, -5, -5, -5, -5 }, { NULL }, 2, { 0, 1 }, { s12, 1 - s12 }, 2.0f },
        { "all NaN: nothing", { N, N, N, N, N, N, N, N }, { NULL }, 0, { 0 }, { 0 }, MT_NO_MARGIN },
        { "one candidate left", { N, N, N, 3, N, N, N, N }, { NULL }, 1, { 3 }, { 1 }, MT_NO_MARGIN },
        { "two left, k = 2: no margin", { N, 1, N, 2, N, N, N, N }, { NULL }, 2, { 3, 1 }, { s12, 1 - s12 }, MT_NO_MARGIN },
        { "one +inf takes all", { 0, 1, I, 2, -1, -2, -3, -4 }, { NULL }, 2, { 2, 3 }, { 1, 0 }, 1.0f },
        { "+inf against the next: margin +inf", { I, 5, -1, -2, -3, -4, -5, -6 }, { "k", "1", NULL }, 1, { 0 }, { 1 }, I },
        { "two +inf share", { 0, I, 1, I, -1, -2, -3, -4 }, { NULL }, 2, { 1, 3 }, { 0.5f, 0.5f }, I },
        { "three +inf, k = 2: lower ids, margin 0", { I, 0, I, 1, I, -2, -3, -4 }, { NULL }, 2, { 0, 2 }, { 0.5f, 0.5f }, 0.0f },
        { "three +inf, k = 4: thirds", { I, 0, I, 1, I, -2, -3, -4 }, { "k", "4", NULL }, 4, { 0, 2, 4, 3 }, { 1 / 3.f, 1 / 3.f, 1 / 3.f, 0 }, 1.0f },
        { "-inf ranks last, weight 0", { -I, 1, 2, N, N, N, N, N }, { "k", "3", NULL }, 3, { 2, 1, 0 }, { s12, 1 - s12, 0 }, MT_NO_MARGIN },
        { "-inf against -inf: margin 0", { -I, 1, -I, -I, N, N, N, N }, { "k", "2", NULL }, 2, { 1, 0 }, { 1, 0 }, 0.0f },
        { "finite against -inf: margin +inf", { -I, 1, 2, -I, N, N, N, N }, { NULL }, 2, { 2, 1 }, { s12, 1 - s12 }, I },
        { "every selected -inf: nothing added", { -I, -I, -I, N, N, N, N, N }, { NULL }, 2, { 0, 1 }, { 0, 0 }, 0.0f },
        { "+inf and -inf only", { -I, I, N, N, N, N, N, N }, { NULL }, 2, { 1, 0 }, { 1, 0 }, MT_NO_MARGIN },
        { "mask the +inf: the finite top", { 0, 1, I, 2, -1, -2, -3, -4 }, { "mask", "2", NULL }, 2, { 3, 1 }, { s12, 1 - s12 }, 1.0f },
        { "mask and NaN leave one", { N, 1, N, 2, N, N, N, N }, { "mask", "3", NULL }, 1, { 1 }, { 1 }, MT_NO_MARGIN },
        { "drop one +inf: the other takes all", { 0, I, 1, I, -1, -2, -3, -4 }, { "drop", "1", NULL }, 2, { 1, 3 }, { 0, 1 }, I },
        { "drop both +inf: the rest re-softmaxed", { 0, I, 1, I, 3, 2, -3, -4 }, { "drop", "1,3", "k", "4", NULL }, 4, { 1, 3, 4, 5 }, { 0, 0, s12, 1 - s12 }, 1.0f },
        { "drop the finite, keep -inf: nothing", { -I, 1, N, N, N, N, N, N }, { "drop", "1", NULL }, 2, { 1, 0 }, { 0, 0 }, MT_NO_MARGIN },
        { "force a NaN expert", { N, 1, 2, 3, 4, 5, 6, 7 }, { "force", "0", NULL }, 1, { 0 }, { 1 }, MT_NO_MARGIN },
        { "force beside +inf", { 0, I, 2, 3, 4, 5, 6, 7 }, { "force", "3", NULL }, 1, { 3 }, { 1 }, MT_NO_MARGIN },
        { "k = E with NaN: all the others", { 1, N, 0, N, -I, I, N, N }, { "k", "8", NULL }, 4, { 5, 0, 2, 4 }, { 1, 0, 0, 0 }, MT_NO_MARGIN },
    };
    for (size_t i = 0; i < sizeof list / sizeof *list; i++) check_route(&list[i]);
}

/* A model whose expert matrices are Q5_K (random super-blocks: synth writes
 * no K-quant) against its twin holding the same experts as F32, the values
 * the dequantizer gives (on Vulkan too: its shaders decode Q5_K in place, to
 * the same floats): the forward passes agree to float32 summation order,
 * logits within 1e-4 x scale and routing equal. */
typedef struct q5_twin {
    mt_bytes bytes;
    mt_gguf *g;
    mt_model *m;
    mt_backend *be; /* one per model: prepare() uploads one model's weights */
} q5_twin;

static bool q5_twin_open(mt_gguf_writer *w, q5_twin *t, const char *name) {
    mt_err err;
    if (!CHECKF(mt_gguf_writer_to_bytes(w, &t->bytes, NULL, NULL, &err), "%s: %s", name, err.msg)) return false;
    t->g = mt_gguf_open_memory(t->bytes.data, t->bytes.len, name, &err);
    t->m = t->g ? mt_model_load(t->g, &err) : NULL;
    if (!CHECKF(t->m != NULL, "%s: %s", name, err.msg)) return false;
    t->be = test_backend_new(); /* NULL: skipped (Vulkan without a device) */
    return t->be != NULL;
}

static void q5_k_experts_forward(void) {
    mt_synth_spec spec = mt_synth_default_spec();
    CHECK(mt_synth_preset("tiny", &spec));
    spec.d_model = 256; /* expert rows of 256: one Q5_K super-block */
    spec.ff = 256;
    spec.type_experts = MT_TYPE_F32;
    char path[600];
    snprintf(path, sizeof path, "%s/q5k-base.gguf", t_tmpdir());
    mt_err err;
    if (!CHECKF(mt_synth_write(&spec, path, &err), "%s", err.msg)) return;
    mt_gguf *base = mt_gguf_open(path, &err);
    if (!CHECKF(base != NULL, "%s", err.msg)) return;
    mt_gguf_writer *wq = mt_gguf_writer_new(), *wf = mt_gguf_writer_new();
    for (uint64_t i = 0; i < mt_gguf_kv_count(base); i++) {
        const mt_gguf_kv *kv = mt_gguf_kv_at(base, i);
        char key[256];
        snprintf(key, sizeof key, "%.*s", (int)kv->key.len, kv->key.ptr);
        if (strcmp(key, "general.alignment") == 0) continue;
        CHECK(mt_gguf_copy_kv(wq, key, &kv->value) && mt_gguf_copy_kv(wf, key, &kv->value));
    }
    uint64_t n_tensors = mt_gguf_tensor_count(base);
    void **owned = calloc(2 * n_tensors, sizeof *owned);
    mt_rng rng = mt_rng_seed(13, 0);
    int n_q5 = 0;
    for (uint64_t i = 0; i < n_tensors; i++) {
        const mt_gguf_tensor *t = mt_gguf_tensor_at(base, i);
        char name[MT_GGUF_MAX_NAME_LEN + 1];
        snprintf(name, sizeof name, "%.*s", (int)t->name.len, t->name.ptr);
        if (!strstr(name, "_exps.weight")) {
            mt_gguf_add_tensor(wq, name, t->type, t->n_dims, t->ne, t->data);
            mt_gguf_add_tensor(wf, name, t->type, t->n_dims, t->ne, t->data);
            continue;
        }
        uint64_t row_bytes = mt_row_bytes(MT_TYPE_Q5_K, t->ne[0]), rows = t->n_elements / t->ne[0];
        uint8_t *q = malloc(rows * row_bytes);
        float *f = malloc(t->n_elements * sizeof *f);
        owned[2 * i] = q;
        owned[2 * i + 1] = f;
        for (uint64_t b = 0; b < rows * row_bytes; b++) q[b] = (uint8_t)mt_rng_u64(&rng);
        for (uint64_t b = 0; b < rows * row_bytes / 176; b++) {
            /* d in [1e-4, 2e-4], dmin = 15.25 d: values centred near 0, |w| up to ~0.4 */
            float d = 1e-4f * (1.0f + (float)mt_rng_uniform(&rng));
            uint16_t hd = mt_f32_to_f16(d), hm = mt_f32_to_f16(15.25f * d);
            memcpy(q + b * 176, &hd, 2);
            memcpy(q + b * 176 + 2, &hm, 2);
        }
        for (uint64_t r = 0; r < rows; r++) mt_dequant_row(MT_TYPE_Q5_K, q + r * row_bytes, f + r * t->ne[0], (int64_t)t->ne[0]);
        mt_gguf_add_tensor(wq, name, MT_TYPE_Q5_K, t->n_dims, t->ne, q);
        mt_gguf_add_tensor(wf, name, MT_TYPE_F32, t->n_dims, t->ne, f);
        n_q5++;
    }
    CHECKF(n_q5 == 3 * (int)spec.n_layer, "%d expert tensors made Q5_K", n_q5);
    q5_twin tq = { 0 }, tf = { 0 };
    if (q5_twin_open(wq, &tq, "q5k-experts") && q5_twin_open(wf, &tf, "f32-experts")) {
        const uint32_t n = 40;
        uint32_t *ids = random_ids(n, tq.m->hp.n_vocab, 9);
        mt_session *sq = mt_session_new(tq.m, tq.be, &err), *sf = mt_session_new(tf.m, tf.be, &err);
        bool ok = CHECKF(sq && sf, "session: %s", err.msg);
        if (ok) {
            mt_session_keep_all_logits(sq, true);
            mt_session_keep_all_logits(sf, true);
            ok = CHECKF(mt_session_append(sq, ids, n, &err), "Q5_K experts: %s", err.msg) &&
                 CHECKF(mt_session_append(sf, ids, n, &err), "F32 experts: %s", err.msg);
        }
        if (ok) {
            session_diff d = sessions_differ(sq, sf, n, &tq.m->hp);
            double worst = d.worst_logit;
            int routing_diffs = d.routing_diffs, compared = d.compared;
            CHECKF(worst <= 1e-4 * test_tolerance_scale(), "Q5_K vs F32 experts: logits differ by %g x scale", worst);
            CHECKF(routing_diffs == 0, "%d of %d (token, layer) routings differ", routing_diffs, compared);
            printf("  %d Q5_K expert tensors: logits within %.1e x scale of F32 twins, routing equal at %d (token, layer)\n", n_q5,
                   worst, compared);
        }
        mt_session_free(sq);
        mt_session_free(sf);
        free(ids);
    }
    mt_model_free(tq.m);
    mt_model_free(tf.m);
    mt_gguf_close(tq.g);
    mt_gguf_close(tf.g);
    mt_bytes_free(&tq.bytes);
    mt_bytes_free(&tf.bytes);
    mt_gguf_writer_free(wq);
    mt_gguf_writer_free(wf);
    for (uint64_t i = 0; i < 2 * n_tensors; i++) free(owned[i]);
    free(owned);
    if (tq.be) tq.be->destroy(tq.be);
    if (tf.be) tf.be->destroy(tf.be);
    mt_gguf_close(base);
    unlink(path);
}

int main(void) {
    t_begin(test_on_vulkan() ? "engine-vulkan" : "engine");
    if (!test_on_vulkan()) RUN(routing_rules); /* the router's rules on the host: backend-free */
    if (!test_on_vulkan()) RUN(routing_nonfinite);
    RUN(decode_equals_prefill);
    RUN(recompute_from_changed_layer);
    RUN(progress_and_cancel);
    RUN(context_limit);
    RUN(q5_k_experts_forward);
    if (test_validating()) t_run("validation_clean", test_validation_clean);
    return t_end();
}
