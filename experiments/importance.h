/* Importance: which experts matter most at each layer, and a ranking that
 * `prune --by importance` uses. Sums are integers or fixed point, so shards
 * of a prompt set add to exactly one run's sums.
 *
 * Definitions (shared/contracts/cli.md, importance), per layer and expert e,
 * over T tokens; a token selects e when e's mixing weight is > 0:
 *   rate            selections / T (uniform use: k/E)
 *   mean_weight     mean over the tokens that selected e of its weight g
 *   saliency        mean over the tokens that selected e of g * ||f_e(x)||_2
 *                   (REAP's saliency; f_e(x): the expert's output on the
 *                   token's MoE input, before mixing; 0 for a zeroed expert)
 *   contribution    sum over the tokens that selected e of g * ||f_e(x)|| / T
 *                   = rate * saliency: the expert's mean share of the MoE's
 *                   output norm budget per token, over all tokens
 *   specialisation  max over domains D of N(e, D) / N(e): the share of e's
 *                   selections from its most frequent domain; read against
 *                   that domain's share of the tokens, T_D / T (what it is
 *                   when e ignores domains). None with fewer than two domains
 *   consistency     1 / (1 + CV) of e's per-prompt rates over the prompts
 *                   (CV: population sd / mean): 1 when e is used at the same
 *                   rate in every prompt, toward 0 when used in few; 0 when
 *                   never used; none with fewer than two prompts
 *   rank            1 = the largest contribution; ties to the lower id. */
#ifndef MT_IMPORTANCE_H
#define MT_IMPORTANCE_H

#include <stdbool.h>
#include <stdint.h>

#define MT_IMP_SAL_ONE 1048576.0 /* saliency sums: units of 2^-20 (norms are unbounded) */

typedef struct mt_imp_expert {
    uint64_t count;        /* selections */
    uint64_t weight_fx;    /* sum of g (2^-32) */
    uint64_t saliency_fx;  /* sum of g ||f_e(x)|| (2^-20) */
    uint64_t rate_fx;      /* sum over prompts of the prompt's rate (2^-32) */
    uint64_t rate_sq_fx;   /* sum over prompts of its square (2^-32) */
} mt_imp_expert;

typedef struct mt_imp_layer {
    uint32_t n_expert, n_domain;
    uint64_t tokens, prompts;
    uint64_t *domain_tokens;  /* [D] */
    uint64_t *domain_count;   /* [E][D] */
    mt_imp_expert *e;         /* [E] */
    uint64_t *prompt_count;   /* [E]: the current prompt's selections (scratch) */
    uint64_t prompt_tokens;
} mt_imp_layer;

bool mt_imp_init(mt_imp_layer *l, uint32_t n_expert, uint32_t n_domain);
void mt_imp_free(mt_imp_layer *l);
/* a += b (same shape). */
void mt_imp_add(mt_imp_layer *a, const mt_imp_layer *b);

/* One token of domain d: experts[i] with weight weights[i] and output norm
 * norms[i] (i < n; entries with weight <= 0 are not selections). */
void mt_imp_observe(mt_imp_layer *l, uint32_t domain, const uint32_t *experts, const float *weights, const float *norms, uint32_t n);
/* Ends the prompt whose tokens were observed since the last call: adds its
 * per-expert rates to the consistency sums. A prompt of no tokens counts not. */
void mt_imp_end_prompt(mt_imp_layer *l);

typedef struct mt_imp_summary {
    double rate, mean_weight, saliency, contribution;
    double specialisation, specialisation_baseline; /* NaN: none */
    uint32_t specialisation_domain;
    double consistency;                             /* NaN: none */
    uint32_t rank;
} mt_imp_summary;

/* out [E], ranks included. */
void mt_imp_summarize(const mt_imp_layer *l, mt_imp_summary *out);

/* Ranks from scores (rank 1 = the largest score, ties to the lower id): the
 * ranking `prune --by importance` keeps the N best of. scores [E] (a NaN
 * counts as the smallest), rank [E]. */
void mt_imp_rank(const double *scores, uint32_t E, uint32_t *rank);

#endif
