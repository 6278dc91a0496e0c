#include "probe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/quant.h"

const char *const mt_probe_route_names[MT_PROBE_ROUTES] = { "actual", "embedding", "no_attention", "no_moe" };

bool mt_probe_layer_init(mt_probe_layer *p, uint32_t E) {
    memset(p, 0, sizeof *p);
    for (int r = 0; r < MT_PROBE_ROUTES; r++) {
        p->routes[r].experts = calloc(E, sizeof *p->routes[r].experts);
        p->routes[r].weights = calloc(E, sizeof *p->routes[r].weights);
        if (!p->routes[r].experts || !p->routes[r].weights) {
            mt_probe_layer_free(p);
            return false;
        }
    }
    return true;
}

void mt_probe_layer_free(mt_probe_layer *p) {
    for (int r = 0; r < MT_PROBE_ROUTES; r++) {
        free(p->routes[r].experts);
        free(p->routes[r].weights);
    }
    memset(p, 0, sizeof *p);
}

void mt_probe_router_logits(const mt_model *m, uint32_t l, const float *x, float *h, float *z) {
    const mt_layer_weights *w = &m->layers[l];
    uint32_t d = m->hp.d_model, E = m->hp.n_expert;
    double ss = 0.0; /* RMSNorm exactly as the C backend computes it */
    for (uint32_t i = 0; i < d; i++) ss += (double)x[i] * x[i];
    float scale = (float)(1.0 / sqrt(ss / d + m->hp.rms_eps));
    for (uint32_t i = 0; i < d; i++) h[i] = x[i] * scale * w->post_attn_norm[i];
    for (uint32_t e = 0; e < E; e++)
        z[e] = mt_dot_row(w->router.type, w->router.data + (size_t)e * w->router.row_bytes, h, d) + (w->router_bias ? w->router_bias[e] : 0.0f);
}

static double norm(const double *v, uint32_t d) {
    double s = 0;
    for (uint32_t i = 0; i < d; i++) s += v[i] * v[i];
    return sqrt(s);
}

static double cosine(const double *a, const double *b, uint32_t d) {
    double ab = 0, na = norm(a, d), nb = norm(b, d);
    for (uint32_t i = 0; i < d; i++) ab += a[i] * b[i];
    return na > 0 && nb > 0 ? ab / (na * nb) : NAN;
}

static double overlap(const mt_probe_route *a, const mt_probe_route *b) {
    uint32_t size = 0, both = 0;
    for (uint32_t i = 0; i < a->n; i++) {
        if (!(a->weights[i] > 0)) continue;
        size++;
        for (uint32_t j = 0; j < b->n; j++)
            if (b->experts[j] == a->experts[i] && b->weights[j] > 0) both++;
    }
    return size ? (double)both / size : NAN;
}

bool mt_probe_compute(const mt_model *m, const mt_interventions *iv, uint32_t l, const float *const *resid, const float *const *attn,
                      mt_probe_layer *out) {
    uint32_t d = m->hp.d_model, E = m->hp.n_expert;
    double *A = calloc(d, sizeof *A), *M = calloc(d, sizeof *M), *e = calloc(d, sizeof *e), *r = calloc(d, sizeof *r);
    float *x = calloc(d, sizeof *x), *h = calloc(d, sizeof *h), *z = calloc(E, sizeof *z);
    uint32_t *order = calloc(E, sizeof *order);
    bool ok = A && M && e && r && x && h && z && order;
    if (ok) {
        for (uint32_t i = 0; i < d; i++) {
            e[i] = resid[0][i];
            for (uint32_t j = 0; j <= l; j++) A[i] += attn[j][i];
            for (uint32_t j = 0; j < l; j++) M[i] += (double)resid[j + 1][i] - ((double)resid[j][i] + attn[j][i]);
            r[i] = (double)(resid[l][i] + attn[l][i]);
        }
        out->norm_input = norm(r, d), out->norm_embedding = norm(e, d), out->norm_attention = norm(A, d), out->norm_moe = norm(M, d);
        out->cos_embedding = cosine(e, r, d), out->cos_attention = cosine(A, r, d), out->cos_moe = cosine(M, r, d);
        for (int k = 0; k < MT_PROBE_ROUTES; k++) {
            for (uint32_t i = 0; i < d; i++) {
                switch (k) {
                case MT_PROBE_ACTUAL: x[i] = resid[l][i] + attn[l][i]; break; /* the forward pass's float add */
                case MT_PROBE_EMBEDDING: x[i] = resid[0][i]; break;
                case MT_PROBE_NO_ATTENTION: x[i] = (float)(e[i] + M[i]); break;
                default: x[i] = (float)(e[i] + A[i]); break;
                }
            }
            mt_probe_router_logits(m, l, x, h, z);
            float margin;
            mt_probe_route *rt = &out->routes[k];
            rt->n = mt_iv_route(iv, l, m->hp.k, m->family->router, z, rt->experts, rt->weights, &margin, order);
        }
        for (int k = 0; k < MT_PROBE_ROUTES; k++) out->routes[k].overlap = overlap(&out->routes[MT_PROBE_ACTUAL], &out->routes[k]);
    }
    free(A);
    free(M);
    free(e);
    free(r);
    free(x);
    free(h);
    free(z);
    free(order);
    return ok;
}
