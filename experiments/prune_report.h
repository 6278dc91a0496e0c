/* The quality cost of a prune (moetop prune --report): perplexity and eval
 * accuracy of the model before and after, each with its interval
 * (experiments/ppl.h, experiments/eval.h), and the paired comparisons.
 *
 * "After" is computed as the input model under the condition "pruned": --mask
 * of every expert the plan removes, at its layer. A pruned file computes
 * exactly that (engine/prune.h; tests/test_prune.c checks routing and logits,
 * and that `moetop ppl -m OUT.gguf` gives the same perplexity), and running
 * both conditions on one model gives the paired numbers for free: KL and
 * top-1 agreement per token, fixed/broken problems with an exact McNemar
 * test. */
#ifndef MT_PRUNE_REPORT_H
#define MT_PRUNE_REPORT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "condition.h"
#include "engine/prune.h"
#include "engine/tokenizer.h"
#include "eval.h"
#include "ppl.h"

/* The conditions "baseline" and "pruned" (the plan's removed experts masked
 * at their layers) over model m of the plan's shape. False when out of memory. */
bool mt_prune_conditions(const mt_prune_plan *p, mt_conditions *out);

typedef struct mt_prune_quality {
    uint64_t documents;        /* documents scored for perplexity */
    mt_ppl_summary ppl[2];     /* before (baseline), after (pruned) */
    size_t problems;
    mt_eval_summary eval[2];   /* before, after; after's fixed/broken/p against before */
} mt_prune_quality;

/* Perplexity over docs (each alone, windows of ctx tokens, stride ctx;
 * bootstrap with resamples and seed) and the problems scored greedily with
 * max_tokens, under both conditions. False with err set (the backend failed,
 * out of memory, no document of two tokens, a bad problem). */
bool mt_prune_quality_run(const mt_model *m, mt_backend *be, const mt_tokenizer *tok, const mt_prune_plan *p, const mt_ids *docs,
                          size_t n_docs, uint32_t ctx, uint32_t resamples, uint64_t seed, const mt_problem *problems,
                          size_t n_problems, uint32_t max_tokens, mt_prune_quality *q, mt_err *err);

#endif
