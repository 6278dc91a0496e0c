/* Interventions on the router (shared/contracts/cli.md), per layer:
 *   force E   every token uses exactly expert E with weight 1 (overrides the rest)
 *   mask  E.. z[e] = -inf before top-k: the next expert takes the slot
 *   k N       select the top N instead of the model's k (fewer left: all of them)
 *   drop  E.. after top-k the listed experts get weight 0, the others are
 *             re-softmaxed over their logits; none left: the MoE adds nothing
 *   zero  E.. routing and weights unchanged; those experts' outputs count as 0
 * Repeated flags for a layer: mask, drop and zero lists unite; the last k wins. */
#ifndef MT_INTERVENE_H
#define MT_INTERVENE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

enum { MT_IV_MASK = 1, MT_IV_DROP = 2, MT_IV_ZERO = 4 };

/* How a family's router turns its logits z[E] into selected experts and
 * mixing weights (a property of the model: family.h). */
typedef enum {
    MT_ROUTER_TOPK_SOFTMAX = 0,  /* gpt-oss: the k highest logits, softmax over those k */
    MT_ROUTER_SOFTMAX_TOPK_NORM, /* Mixtral, Qwen3-MoE: p = softmax(z) over all E, the k highest p,
                                    weights p renormalised over the k (the same numbers as softmax over the k) */
    MT_ROUTER_SOFTMAX_TOPK,      /* OLMoE: p = softmax(z) over all E, the k highest p, weights p as they are */
} mt_router_kind;

typedef struct mt_interventions {
    uint32_t n_layer, n_expert;
    int32_t *force;  /* [n_layer]: the forced expert, or -1 */
    uint32_t *k;     /* [n_layer]: 0 = the model's k */
    uint8_t *flags;  /* [n_layer][n_expert]: MT_IV_* bits */
} mt_interventions;

bool mt_iv_init(mt_interventions *iv, uint32_t n_layer, uint32_t n_expert);
void mt_iv_free(mt_interventions *iv);
void mt_iv_clear(mt_interventions *iv);
bool mt_iv_copy(mt_interventions *dst, const mt_interventions *src);
/* The first layer where a and b differ; n_layer when they are the same. */
uint32_t mt_iv_first_difference(const mt_interventions *a, const mt_interventions *b);
bool mt_iv_any(const mt_interventions *iv);

/* Adds one flag: kind is "mask", "k", "force", "zero" or "drop"; value is
 * "E[,E..][@L,..]" (for k, "N[@L,..]"). False with "--kind: why" in err. */
bool mt_iv_parse(mt_interventions *iv, const char *kind, const char *value, mt_err *err);

/* One token's routing at one layer, from the biased router logits z[E]:
 * experts in the router's rank order (highest logit first), the mixing
 * weights actually applied (0 for a dropped expert), and the margin between
 * the last selected and the first unselected logit (1e9 when nothing could
 * tie: under force, or when every candidate is selected). Returns the count.
 * kind is the model's router (mt_router_kind): for softmax-first routers the
 * margin is in probability units and OLMoE's weights are probabilities
 * (intervene.c says exactly how).
 * Logits that are not finite follow one rule (intervene.c): a NaN expert is
 * never selected, as if masked; +inf and -inf rank at the ends; a +inf max
 * shares the weight among the +inf experts; margins may be +inf.
 * experts and weights hold n_expert entries; order is scratch of n_expert. */
#define MT_NO_MARGIN 1e9f
uint32_t mt_iv_route(const mt_interventions *iv, uint32_t layer, uint32_t model_k, mt_router_kind kind, const float *z,
                     uint32_t *experts, float *weights, float *margin, uint32_t *order);

#endif
