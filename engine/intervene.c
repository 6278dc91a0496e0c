#include "intervene.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

bool mt_iv_init(mt_interventions *iv, uint32_t n_layer, uint32_t n_expert) {
    memset(iv, 0, sizeof *iv);
    iv->n_layer = n_layer;
    iv->n_expert = n_expert;
    iv->force = malloc((n_layer ? n_layer : 1) * sizeof *iv->force);
    iv->k = calloc(n_layer ? n_layer : 1, sizeof *iv->k);
    iv->flags = calloc((size_t)n_layer * n_expert + 1, 1);
    if (!iv->force || !iv->k || !iv->flags) {
        mt_iv_free(iv);
        return false;
    }
    mt_iv_clear(iv);
    return true;
}

void mt_iv_free(mt_interventions *iv) {
    free(iv->force);
    free(iv->k);
    free(iv->flags);
    memset(iv, 0, sizeof *iv);
}

void mt_iv_clear(mt_interventions *iv) {
    for (uint32_t l = 0; l < iv->n_layer; l++) iv->force[l] = -1;
    memset(iv->k, 0, iv->n_layer * sizeof *iv->k);
    memset(iv->flags, 0, (size_t)iv->n_layer * iv->n_expert);
}

bool mt_iv_copy(mt_interventions *dst, const mt_interventions *src) {
    if (dst->n_layer != src->n_layer || dst->n_expert != src->n_expert) {
        mt_iv_free(dst);
        if (!mt_iv_init(dst, src->n_layer, src->n_expert)) return false;
    }
    memcpy(dst->force, src->force, src->n_layer * sizeof *src->force);
    memcpy(dst->k, src->k, src->n_layer * sizeof *src->k);
    memcpy(dst->flags, src->flags, (size_t)src->n_layer * src->n_expert);
    return true;
}

uint32_t mt_iv_first_difference(const mt_interventions *a, const mt_interventions *b) {
    for (uint32_t l = 0; l < a->n_layer; l++)
        if (a->force[l] != b->force[l] || a->k[l] != b->k[l] ||
            memcmp(a->flags + (size_t)l * a->n_expert, b->flags + (size_t)l * b->n_expert, a->n_expert) != 0)
            return l;
    return a->n_layer;
}

bool mt_iv_any(const mt_interventions *iv) {
    mt_interventions none = { 0 };
    if (!mt_iv_init(&none, iv->n_layer, iv->n_expert)) return true;
    bool any = mt_iv_first_difference(iv, &none) < iv->n_layer;
    mt_iv_free(&none);
    return any;
}

/* Parses a comma-separated list of integers in [0, limit) into out; returns the count or -1. */
static int parse_list(const char *s, size_t len, uint32_t limit, uint32_t *out, int cap, const char **bad) {
    int n = 0;
    const char *p = s, *end = s + len;
    while (p < end) {
        char *stop;
        errno = 0;
        if (*p < '0' || *p > '9') { *bad = p; return -1; }
        unsigned long v = strtoul(p, &stop, 10);
        if (errno || stop > end || (stop < end && *stop != ',') || v >= limit || n >= cap) { *bad = p; return -1; }
        out[n++] = (uint32_t)v;
        p = stop < end ? stop + 1 : stop;
        if (stop < end && p == end) { *bad = stop; return -1; } /* trailing comma */
    }
    if (n == 0) *bad = s;
    return n ? n : -1;
}

bool mt_iv_parse(mt_interventions *iv, const char *kind, const char *value, mt_err *err) {
    const char *at = strchr(value, '@');
    size_t head_len = at ? (size_t)(at - value) : strlen(value);
    bool is_k = strcmp(kind, "k") == 0, is_force = strcmp(kind, "force") == 0;
    uint8_t bit = strcmp(kind, "mask") == 0 ? MT_IV_MASK : strcmp(kind, "drop") == 0 ? MT_IV_DROP : strcmp(kind, "zero") == 0 ? MT_IV_ZERO : 0;
    if (!is_k && !is_force && !bit) {
        mt_err_set(err, "--%s: not an intervention (mask, k, force, zero, drop)", kind);
        return false;
    }
    uint32_t *items = malloc((iv->n_expert + 1) * sizeof *items), *layers = malloc((iv->n_layer + 1) * sizeof *layers);
    bool ok = items && layers;
    const char *bad = value;
    int n_items = 0, n_layers = (int)iv->n_layer;
    if (ok) {
        /* k counts experts (1..E); the others name experts (0..E-1) */
        n_items = parse_list(value, head_len, is_k ? iv->n_expert + 1 : iv->n_expert, items, is_k || is_force ? 1 : (int)iv->n_expert, &bad);
        if (n_items < 0) {
            if (is_k) mt_err_set(err, "--k: '%s' is not a number of experts in 1..%u (optionally @LAYER,..)", value, iv->n_expert);
            else mt_err_set(err, "--%s: '%s' is not %s in 0..%u (optionally @LAYER,..)", kind, value,
                            is_force ? "one expert id" : "a list of expert ids", iv->n_expert - 1);
            ok = false;
        } else if (is_k && items[0] == 0) {
            mt_err_set(err, "--k: 0 is outside 1..%u", iv->n_expert);
            ok = false;
        }
    }
    if (ok && at) {
        n_layers = parse_list(at + 1, strlen(at + 1), iv->n_layer, layers, (int)iv->n_layer, &bad);
        if (n_layers < 0) {
            mt_err_set(err, "--%s: '%s' after @ is not a list of layers in 0..%u", kind, at + 1, iv->n_layer - 1);
            ok = false;
        }
    } else if (ok) {
        for (uint32_t l = 0; l < iv->n_layer; l++) layers[l] = l;
    }
    for (int i = 0; ok && i < n_layers; i++) {
        uint32_t l = layers[i];
        if (is_k) iv->k[l] = items[0];
        else if (is_force) iv->force[l] = (int32_t)items[0];
        else
            for (int e = 0; e < n_items; e++) iv->flags[(size_t)l * iv->n_expert + items[e]] |= bit;
    }
    if (!items || !layers) mt_err_set(err, "--%s: out of memory", kind);
    free(items);
    free(layers);
    return ok;
}

/* The full router distribution of a softmax-first router (llama.cpp's
 * ggml_soft_max over all E logits: exp(z - max) summed in double, scaled by
 * 1 / sum) as a closure over z: p(e) = expf(z[e] - top) * inv. NaN logits
 * take no part (p = 0); a max of +inf shares 1 among the experts at +inf;
 * a max of -inf (or no logit) gives every p = 0. */
typedef struct full_softmax {
    float top, inv;
    uint32_t n_top_inf;
} full_softmax;

static full_softmax full_softmax_of(const float *z, uint32_t E) {
    full_softmax f = { -INFINITY, 0.0f, 0 };
    for (uint32_t e = 0; e < E; e++)
        if (z[e] > f.top) f.top = z[e]; /* a NaN compares false */
    if (f.top == INFINITY) {
        for (uint32_t e = 0; e < E; e++) f.n_top_inf += z[e] == INFINITY;
        f.inv = 1.0f / (float)f.n_top_inf;
    } else if (f.top != -INFINITY) {
        double sum = 0.0;
        for (uint32_t e = 0; e < E; e++)
            if (!isnan(z[e])) sum += (double)expf(z[e] - f.top);
        f.inv = (float)(1.0 / sum);
    }
    return f;
}

static float full_p(const full_softmax *f, float z) {
    if (isnan(z) || f->top == -INFINITY) return 0.0f;
    if (f->top == INFINITY) return z == INFINITY ? f->inv : 0.0f;
    return expf(z - f->top) * f->inv;
}

/* The routing step, and its rule for logits that are not finite (the same
 * on every backend: shaders/route.comp does exactly this):
 * - Order: logits ranked highest first, ties to the lower expert id; +inf and
 *   -inf are ordinary values at the ends of that order. A NaN logit is never
 *   a candidate: its expert is treated exactly like a masked one (never
 *   selected; fewer than k candidates left: all of them are selected; none
 *   left: the layer's MoE adds nothing). Force still overrides everything.
 * - Weights: softmax over the selected, not dropped logits, exp(z - max) / sum.
 *   When the max is +inf the experts at +inf share the weight equally and
 *   every other gets 0; experts at -inf get 0; when every such logit is -inf
 *   (or all are dropped) every weight is 0 and the MoE adds nothing.
 * - Margin (last selected minus first unselected candidate): 0 when the two
 *   are equal (the same infinity included), else their difference (+inf
 *   when only one of them is infinite); MT_NO_MARGIN when nothing is left
 *   unselected or under force.
 * Softmax-first routers (Mixtral, Qwen3-MoE: renormalised; OLMoE: not) have
 * the same candidates, order, force, k and drop; what differs is in p =
 * softmax(z) over all E experts, the model's distribution before any
 * intervention (masked experts stay in its denominator):
 * - margin: p of the last selected minus p of the first unselected
 *   candidate (probability units, as llama.cpp ranks them);
 * - weights, renormalised: p_i / sum of the kept p_j, which is the softmax
 *   over the kept logits above (so the same code); not renormalised: p_i
 *   itself, 0 for a dropped expert, the others unchanged (they do not sum
 *   to 1: OLMoE's mixture is sum p_i FFN_i). */
uint32_t mt_iv_route(const mt_interventions *iv, uint32_t layer, uint32_t model_k, mt_router_kind kind, const float *z,
                     uint32_t *experts, float *weights, float *margin, uint32_t *order) {
    uint32_t E = iv->n_expert;
    if (iv->force[layer] >= 0) {
        experts[0] = (uint32_t)iv->force[layer];
        weights[0] = 1.0f;
        *margin = MT_NO_MARGIN;
        return 1;
    }
    const uint8_t *flags = iv->flags + (size_t)layer * E;
    uint32_t k = iv->k[layer] ? iv->k[layer] : model_k;
    /* candidates (not masked, not NaN) by logit, highest first; equal logits
     * (the same infinity included) by expert id */
    uint32_t n_cand = 0;
    for (uint32_t e = 0; e < E; e++) {
        if ((flags[e] & MT_IV_MASK) || isnan(z[e])) continue;
        uint32_t i = n_cand++;
        while (i > 0 && z[order[i - 1]] < z[e]) {
            order[i] = order[i - 1];
            i--;
        }
        order[i] = e;
    }
    uint32_t n = k < n_cand ? k : n_cand;
    /* softmax-first routers rank by p = softmax(z), the same order as z's;
     * their margin and (without renormalisation) their weights are in p */
    bool full = kind != MT_ROUTER_TOPK_SOFTMAX;
    full_softmax fs = full ? full_softmax_of(z, E) : (full_softmax){ 0 };
    if (n == 0 || n == n_cand) *margin = MT_NO_MARGIN;
    else if (full) {
        float last = full_p(&fs, z[order[n - 1]]), next = full_p(&fs, z[order[n]]);
        *margin = last == next ? 0.0f : last - next;
    } else {
        float last = z[order[n - 1]], next = z[order[n]];
        *margin = last == next ? 0.0f : last - next; /* +inf against a finite or -inf one: +inf */
    }
    if (kind == MT_ROUTER_SOFTMAX_TOPK) { /* OLMoE: the probabilities as they are, 0 for a dropped expert */
        for (uint32_t i = 0; i < n; i++) {
            experts[i] = order[i];
            weights[i] = (flags[order[i]] & MT_IV_DROP) ? 0.0f : full_p(&fs, z[order[i]]);
        }
        return n;
    }
    /* gpt-oss, and renormalising softmax-first routers: p_i / sum of the
     * kept p_j is exactly the softmax over the kept logits, computed so */
    /* softmax over the kept (not dropped) selected logits: exp(z - max) / sum;
     * a max of +inf shares the weight among the experts at +inf; a max of
     * -inf (or nothing kept) leaves every weight 0 */
    float top = -INFINITY, sum = 0.0f;
    uint32_t n_top_inf = 0;
    for (uint32_t i = 0; i < n; i++) {
        float zi = z[order[i]];
        if (flags[order[i]] & MT_IV_DROP) continue;
        if (zi > top) top = zi;
        n_top_inf += zi == INFINITY;
    }
    for (uint32_t i = 0; i < n; i++) {
        float zi = z[order[i]];
        experts[i] = order[i];
        if ((flags[order[i]] & MT_IV_DROP) || top == -INFINITY) weights[i] = 0.0f;
        else if (top == INFINITY) weights[i] = zi == INFINITY ? 1.0f / (float)n_top_inf : 0.0f;
        else weights[i] = expf(zi - top);
        sum += weights[i];
    }
    if (top != INFINITY)
        for (uint32_t i = 0; i < n && sum > 0.0f; i++) weights[i] /= sum;
    return n;
}
