/* How far two sessions run over the same tokens are apart: a, the
 * reference (the C backend), against b, the backend under test. Used by the
 * Vulkan tests that compare the backends (test_vulkan, test_vulkan_families). */
#ifndef T_SESSION_DIFF_H
#define T_SESSION_DIFF_H

#include <stdint.h>

#include "engine/model.h"
#include "engine/session.h"

/* Worst differences over the (layer, token) pairs added so far. */
typedef struct t_route_diff {
    double weight;     /* |w_a - w_b| of the selected experts, where the top-k sets agree */
    double margin;     /* |margin_a - margin_b| there (where either has one) */
    double router;     /* router logits: |z_a - z_b| / max(1, max |z_a|) */
    double norm;       /* the trace's three residual norms: |n_a - n_b| / max(1, |n_a|) */
    uint64_t sets;     /* top-k sets compared (a's margin at least margin_skip) */
    uint64_t ties;     /* near-ties skipped */
    uint64_t mismatches; /* top-k sets that differ: the first three are reported as failed checks */
} t_route_diff;

/* Adds (layer l, token t) to d: router logits and norms always, the top-k set where a's margin is
 * at least margin_skip, and the weights and margins where the sets agree. */
void t_route_diff_at(const mt_model *m, const mt_session *a, const mt_session *b, uint32_t l, uint32_t t, double margin_skip, t_route_diff *d);

/* max_v |a_v - b_v| / max(1, max_v |a_v|) over the logits at position t; a failed check and -1 when
 * either session kept none there. */
double t_logit_diff(const mt_model *m, const mt_session *a, const mt_session *b, uint32_t t);

#endif
