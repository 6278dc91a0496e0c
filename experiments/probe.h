/* What the router reads. At one position, the residual entering layer l's
 * router (after l's attention) is written as
 *   r_l = e + A_l + M_l,   A_l = sum_{j <= l} attn_j,   M_l = sum_{j < l} moe_j
 * e the token embedding, attn_j layer j's attention update (output projection
 * with bias), moe_j = x_{j+1} - (x_j + attn_j) layer j's MoE update, x_j the
 * residual entering layer j (engine/session.h's capture). Per part: its L2
 * norm and its cosine with r_l. Counterfactual inputs go through layer l's own
 * post-attention RMSNorm, router (weights in their stored format, row dot
 * products of engine/quant.h) and routing step with the session's
 * interventions (mt_iv_route), exactly as the real input does:
 *   actual         r_l = x_l + attn_l (float, as the forward pass adds it)
 *   embedding      e alone
 *   no_attention   r_l - A_l = e + M_l
 *   no_moe         r_l - M_l = e + A_l
 * Each route's overlap with the actual one: |A n B| / |A|, A the actual
 * selected set (weight > 0), as compare's overlap; NaN when A is empty. */
#ifndef MT_PROBE_H
#define MT_PROBE_H

#include <stdbool.h>
#include <stdint.h>

#include "engine/intervene.h"
#include "engine/model.h"

enum { MT_PROBE_ACTUAL, MT_PROBE_EMBEDDING, MT_PROBE_NO_ATTENTION, MT_PROBE_NO_MOE, MT_PROBE_ROUTES };
extern const char *const mt_probe_route_names[MT_PROBE_ROUTES]; /* "actual", "embedding", "no_attention", "no_moe" */

typedef struct mt_probe_route {
    uint32_t n;
    uint32_t *experts; /* [E], first n used: rank order */
    float *weights;    /* [E] */
    double overlap;
} mt_probe_route;

typedef struct mt_probe_layer {
    double norm_input, norm_embedding, norm_attention, norm_moe; /* |r_l|, |e|, |A_l|, |M_l| */
    double cos_embedding, cos_attention, cos_moe;                /* cosine of each part with r_l (NaN for a zero vector) */
    mt_probe_route routes[MT_PROBE_ROUTES];
} mt_probe_layer;

bool mt_probe_layer_init(mt_probe_layer *p, uint32_t n_expert);
void mt_probe_layer_free(mt_probe_layer *p);

/* Layer l of the decomposition from the captured rows: resid[0..L] (x_0 = e
 * .. x_L) and attn[0..L) of one position. False when out of memory. */
bool mt_probe_compute(const mt_model *m, const mt_interventions *iv, uint32_t l, const float *const *resid, const float *const *attn,
                      mt_probe_layer *out);

/* Layer l's router on an input row x [d]: RMSNorm with post_attn_norm, then
 * z = W_r h + b_r [E] (as the forward pass computes them). */
void mt_probe_router_logits(const mt_model *m, uint32_t l, const float *x, float *h, float *z);

#endif
