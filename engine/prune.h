/* Pruning experts out of a GGUF file of gpt-oss or another family that
 * stores its experts merged (family.h; moetop prune; shared/contracts/cli.md).
 * Below, gpt-oss.* stands for the family's <arch>.* keys; the families
 * without biases have no bias tensors to slice.
 *
 * Structural: every layer keeps the same number N of experts. The expert
 * tensors blk.L.ffn_{gate,up,down}_exps.{weight,bias} (experts in their last,
 * outermost dimension: one expert is one contiguous slice of whole blocks)
 * and the router blk.L.ffn_gate_inp.{weight,bias} (one row per expert) are
 * sliced to the kept experts in ascending id order; gpt-oss.expert_count
 * becomes N and gpt-oss.expert_used_count min(k, N); every other key and
 * tensor is copied byte for byte. The file's experts are then 0..N-1; the key
 * moetop.prune.kept (u32[n_layer * N], element l*N+i = the original id of
 * the file's expert i at layer l) records where they came from, composed with
 * the input's own moetop.prune.kept when it was pruned before.
 *
 * Soft: the file keeps its shape; each removed expert's router bias becomes
 * -inf (F32, F16 or BF16 biases; other types cannot hold -inf and are
 * refused), so z = W h + b is -inf for it and it is never selected: exactly
 * --mask. Layers may keep different counts, each at least k (below k the
 * model's top-k would select experts of logit -inf, which a mask would not).
 * moetop.prune.removed records u32 pairs (layer, original id).
 *
 * Soft pruning needs a router bias: gpt-oss only.
 *
 * Either way the pruned file computes what the original computes under
 * --mask of the removed experts at each layer (tests/test_prune.c), for the
 * routers whose weights are renormalised over the selection (gpt-oss,
 * Mixtral, Qwen3-MoE). OLMoE's weights are the full softmax's probabilities,
 * whose denominator loses the removed experts: the same experts are selected
 * as under --mask, with weights p_i / (sum over the kept experts) instead. */
#ifndef MT_PRUNE_H
#define MT_PRUNE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "gguf.h"

#define MT_PRUNE_KEPT_KEY "moetop.prune.kept"
#define MT_PRUNE_REMOVED_KEY "moetop.prune.removed"

typedef struct mt_prune_plan {
    char arch[32];                 /* general.architecture: the prefix of the keys written */
    bool biases;                   /* the family has router and expert biases (gpt-oss) */
    uint32_t n_layer, n_expert, k; /* the input's */
    uint8_t *keep;                 /* [n_layer * n_expert]: 1 kept, 0 removed */
    bool soft;
} mt_prune_plan;

/* Reads the input's shape (general.architecture a family moetop runs, its
 * experts merged, with block_count, expert_count and expert_used_count) and
 * starts a plan keeping nothing. False with err "<file>: why". */
bool mt_prune_plan_init(mt_prune_plan *p, const mt_gguf *g, mt_err *err);
void mt_prune_plan_free(mt_prune_plan *p);
uint32_t mt_prune_kept(const mt_prune_plan *p, uint32_t layer);

/* Keeps at layer the n experts with the highest score[n_expert] (equal scores:
 * the lower id first); the layer's earlier choice is replaced. */
void mt_prune_keep_best(mt_prune_plan *p, uint32_t layer, const double *score, uint32_t n);

/* The rules above (counts, tensors present with n_expert experts in their
 * last dimension, the bias type for --soft, a soft-pruned input refused).
 * False with err naming the file, tensor or layer. */
bool mt_prune_check(const mt_gguf *g, const mt_prune_plan *p, mt_err *err);

/* Checks, then writes the pruned file to path atomically (the GGUF writer's
 * temporary file and rename); false with err, nothing left at path. */
bool mt_prune_write(const mt_gguf *g, const mt_prune_plan *p, const char *path, mt_err *err);

#endif
