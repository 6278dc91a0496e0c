/* Next-token distributions from logits, in double precision: log-softmax,
 * KL divergence, the most likely tokens. */
#ifndef MT_DISTRIBUTION_H
#define MT_DISTRIBUTION_H

#include <stdint.h>

/* out[i] = z[i] - log sum_j exp(z[j]) over V logits (natural log). */
void mt_log_softmax(const float *z, uint32_t V, double *out);

/* KL(P || Q) = sum_i P_i (log P_i - log Q_i) in nats, from log-probabilities
 * of V outcomes; terms with P_i = 0 count 0. */
double mt_kl_logp(const double *lp, const double *lq, uint32_t V);

/* The n most likely outcomes (highest log-probability first, the lower id on
 * a tie) with their probabilities; n <= V. */
void mt_top_n(const double *lp, uint32_t V, uint32_t n, uint32_t *ids, double *probs);

#endif
