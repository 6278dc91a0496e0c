#include "session_diff.h"

#include <math.h>

#include "harness.h"

void t_route_diff_at(const mt_model *m, const mt_session *a, const mt_session *b, uint32_t l, uint32_t t, double margin_skip, t_route_diff *d) {
    const mt_hparams *hp = &m->hp;
    const uint32_t *ea, *eb;
    const float *wa, *wb;
    float ma, mb;
    uint32_t na = mt_session_route(a, l, t, &ea, &wa, &ma), nb = mt_session_route(b, l, t, &eb, &wb, &mb);
    const float *za = mt_session_router_logits(a, l, t), *zb = mt_session_router_logits(b, l, t);
    double zscale = 1.0;
    for (uint32_t e = 0; e < hp->n_expert; e++) zscale = fmax(zscale, fabs(za[e]));
    for (uint32_t e = 0; e < hp->n_expert; e++) d->router = fmax(d->router, fabs(za[e] - zb[e]) / zscale);
    float norm_a[3], norm_b[3];
    mt_session_norms(a, l, t, norm_a);
    mt_session_norms(b, l, t, norm_b);
    for (int i = 0; i < 3; i++) d->norm = fmax(d->norm, fabs(norm_a[i] - norm_b[i]) / fmax(1.0, fabs(norm_a[i])));
    if (ma < margin_skip) {
        d->ties++;
        return;
    }
    d->sets++;
    bool same = na == nb;
    for (uint32_t i = 0; same && i < na; i++) same = ea[i] == eb[i];
    if (!same) {
        if (d->mismatches++ < 3) CHECKF(false, "layer %u token %u: experts differ between the backends (margin %g)", l, t, (double)ma);
        return;
    }
    for (uint32_t i = 0; i < na; i++) d->weight = fmax(d->weight, fabs(wa[i] - wb[i]));
    if (ma != MT_NO_MARGIN || mb != MT_NO_MARGIN) d->margin = fmax(d->margin, fabs(ma - mb));
}

double t_logit_diff(const mt_model *m, const mt_session *a, const mt_session *b, uint32_t t) {
    const float *la = mt_session_logits(a, t), *lb = mt_session_logits(b, t);
    if (!CHECKF(la && lb, "no logits at %u", t)) return -1;
    double scale = 1.0, worst = 0.0;
    for (uint32_t v = 0; v < m->hp.n_vocab; v++) scale = fmax(scale, fabs(la[v]));
    for (uint32_t v = 0; v < m->hp.n_vocab; v++) worst = fmax(worst, fabs(la[v] - lb[v]) / scale);
    return worst;
}
