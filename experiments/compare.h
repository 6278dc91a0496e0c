/* Conditions side by side on one prompt (moetop compare, the explorer's
 * compare view, the tour): per condition the greedy continuation, the
 * next-token distribution after the prompt and how it moved from the
 * baseline's, and how far the routing of the prompt's tokens moved. */
#ifndef MT_COMPARE_H
#define MT_COMPARE_H

#include <stdbool.h>
#include <stdint.h>

#include "condition.h"
#include "engine/backend.h"
#include "engine/generate.h"
#include "engine/model.h"
#include "engine/tokenizer.h"

#define MT_COMPARE_TOP 5

typedef struct mt_compare_result {
    mt_ids generated;      /* the greedy continuation (stops at end of generation or max_tokens) */
    mt_gen_stop stop;
    uint32_t top_ids[MT_COMPARE_TOP]; /* the next token after the prompt: the most likely ... */
    double top_p[MT_COMPARE_TOP];     /* ... with their probabilities */
    double kl_next;        /* KL(baseline || this) of the next-token distribution, nats, whole vocabulary */
    double *overlap;       /* [n_layer]: mean over prompt tokens of |A n B| / |A|, A the baseline's selected
                              set and B this condition's (experts with weight > 0); tokens whose A is empty
                              are left out; NaN when every token's is */
    int64_t first_difference; /* first index where generated differs from the baseline's (the shorter
                                 length when one is a prefix of the other); -1 when equal */
} mt_compare_result;

/* Called after each condition; false stops the run (then err says "cancelled"). */
typedef bool (*mt_exp_progress_fn)(void *user, uint64_t done, uint64_t total);

/* Runs every condition of c on prompt ids[0..n) (n >= 1) and fills out[c->n].
 * False with err set (out of memory, a prompt longer than the context, the
 * backend failed, cancelled); out is then freed. */
bool mt_compare_run(const mt_model *m, mt_backend *be, const mt_tokenizer *tok, const mt_conditions *c, const uint32_t *ids,
                    uint32_t n, uint32_t max_tokens, mt_exp_progress_fn progress, void *user, mt_compare_result *out, mt_err *err);
void mt_compare_free(mt_compare_result *out, size_t n);

#endif
