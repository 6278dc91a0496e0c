/* A domain's candidate specialist: the (layer, expert) whose selection rate
 * among one domain's tokens (the "math" prompts, for the tour) most exceeds
 * its rate among every other prompt's tokens, with a permutation p-value that
 * accounts for having picked the largest of all L x E differences.
 *
 * For every layer l and expert e, over the prompts in the domain (in) and the
 * others (out):
 *   count     tokens whose selected experts (the top-k after interventions,
 *             as engine/stats.h counts them) include e at l, summed over the
 *             side's prompts
 *   tokens    the side's tokens at l (tokens whose router logits hold NaN or
 *             infinity are left out, as in engine/stats.h)
 *   rate      count / tokens: the share of the side's tokens that use e at l
 *             (uniform k/E); in [0, 1]
 *   diff      rate_in - rate_out, in [-1, 1]
 * The candidate is the (l, e) of the largest diff; equal diffs go to the
 * lower layer, then the lower expert id (equal: within 1e-13, which holds
 * double precision's rounding, while distinct diffs over the same token
 * totals differ by at least 1 / (in_tokens out_tokens)).
 * Cells where either side has no tokens are not compared.
 *
 *   p_max   (1 + #{permutations whose largest diff >= the observed largest})
 *           / (1 + N): each of N permutations shuffles the in/out labels
 *           among the prompts (Fisher-Yates, mt_rng seeded with (seed,
 *           stream 0x73706563); the domain keeps its number of prompts) and
 *           takes the largest diff over all compared cells. The +1s are
 *           Phipson and Smyth (2010): the smallest possible value is
 *           1/(1+N), never 0. Taking the maximum over every cell in each
 *           permutation is Westfall and Young's (1993) max-T: p_max is the
 *           candidate's p adjusted for the L x E cells it was chosen from.
 *           ">=" allows the same 1e-13, so a permutation that rebuilds the
 *           observed table counts. Valid when the prompts are
 *           exchangeable under "the domain does not matter".
 *   p_maxt  the same single-step max-T adjusted p for each listed runner-up:
 *           (1 + #{permutations whose largest diff >= its diff}) / (1 + N).
 *
 * When no expert differs between the sides (every prompt routes alike),
 * every permutation reaches the observed maximum and p_max = 1. */
#ifndef MT_SPECIALIST_H
#define MT_SPECIALIST_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare.h"
#include "engine/backend.h"
#include "engine/error.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/tokenizer.h"

#define MT_SPECIALIST_TOP 16 /* cells listed, the candidate first */

typedef struct mt_specialist_cell {
    uint32_t layer, expert;
    uint64_t in_count, in_tokens;   /* the domain's prompts */
    uint64_t out_count, out_tokens; /* every other prompt */
    double in_rate, out_rate;       /* count / tokens, each in [0, 1] */
    double diff;                    /* in_rate - out_rate */
    double p_maxt;                  /* max-T adjusted permutation p of this diff */
} mt_specialist_cell;

typedef struct mt_specialist {
    mt_specialist_cell top[MT_SPECIALIST_TOP]; /* by diff, largest first (ties as above); top[0] is the candidate */
    uint32_t n_top;
    uint32_t n_cells;       /* (layer, expert) cells compared */
    uint32_t permutations;  /* N */
    uint64_t reach;         /* permutations whose largest diff reached the candidate's */
    double p_max;           /* = top[0].p_maxt */
    size_t in_prompts, out_prompts;
} mt_specialist;

/* counts [P][L][E]: prompt p's selections of expert e at layer l; tokens
 * [P][L]: prompt p's tokens counted at layer l (each count <= its tokens);
 * in_domain [P]: the prompt belongs to the domain. N permutations (>= 1),
 * seed as above. Fills out. False with err set: no prompt on one side, no
 * cell with tokens on both sides, a count above its tokens, N = 0, out of
 * memory. */
bool mt_specialist_find(const uint64_t *counts, const uint64_t *tokens, const bool *in_domain, size_t P, uint32_t L, uint32_t E,
                        uint32_t N, uint64_t seed, mt_specialist *out, mt_err *err);

/* Adds a session's tokens to counts [L][E] and tokens [L] as defined above
 * (a token whose router logits are not all finite is left out at that layer). */
void mt_specialist_count_session(const mt_session *s, uint32_t L, uint32_t E, uint64_t *counts, uint64_t *tokens);

/* Runs each of the P prompts (ids, each non-empty) in a fresh context
 * without interventions, computing no logits, and fills counts [P][L][E] and
 * tokens [P][L] (zeroed first). progress (may be NULL) counts prompts; false
 * stops the run. False with err set (the backend failed, a prompt past the
 * context or empty, cancelled: "cancelled"). */
bool mt_specialist_count_prompts(const mt_model *m, mt_backend *be, const mt_ids *prompts, size_t P, mt_exp_progress_fn progress,
                                 void *user, uint64_t *counts, uint64_t *tokens, mt_err *err);

#endif
