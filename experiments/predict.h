/* Predicting the experts a later layer b selects from what layer a shows,
 * so a runtime could prefetch them: trained on one part of a prompt set and
 * scored on the rest.
 *
 * Predictors, each giving every expert of layer b a score; the k highest
 * (ties to the lower id) are its prediction:
 *   frequency     how often e was selected at b in training (the same
 *                 prediction for every token: what load alone gives)
 *   co-occurrence sum over the experts i selected at a of P(e at b | i at a),
 *                 from training counts (frequency breaks ties)
 *   probe         one L2-regularised logistic regression per expert of b
 *                 (liblinear, solver L2R_LR, C = 1, a bias term) on layer a's
 *                 features standardised with the training mean and sd
 * Scores over the test tokens with at least one expert selected at b (S):
 *   precision@k   mean |P_k ∩ S| / k   (chance: mean |S| / E)
 *   recall@k      mean |P_k ∩ S| / |S| (chance: k / E)
 *   hit@k'        mean |P_k' ∩ S| / |S|: the share of the experts b needs
 *                 that a prefetch of k' experts holds (chance: k' / E) */
#ifndef MT_PREDICT_H
#define MT_PREDICT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct mt_pred_set {
    uint32_t E, n_feat;
    size_t n, cap;
    float *feat;   /* [n][n_feat] */
    uint8_t *in_a; /* [n][E]: 1 when selected at a */
    uint8_t *in_b; /* [n][E]: 1 when selected at b */
} mt_pred_set;

void mt_pred_init(mt_pred_set *s, uint32_t E, uint32_t n_feat);
void mt_pred_free(mt_pred_set *s);
bool mt_pred_push(mt_pred_set *s, const float *feat, const uint8_t *in_a, const uint8_t *in_b);

enum { MT_PRED_FREQ, MT_PRED_COOC, MT_PRED_PROBE, MT_PRED_KINDS };

typedef struct mt_pred_result {
    size_t tokens; /* test tokens scored */
    double precision, recall, hit;
    double chance_precision, chance_recall, chance_hit;
} mt_pred_result;

/* Trains every predictor on train and scores them on test at k and
 * k_prefetch (both 1..E). False with why set (out of memory; liblinear
 * refused). */
bool mt_predict_evaluate(const mt_pred_set *train, const mt_pred_set *test, uint32_t k, uint32_t k_prefetch,
                         mt_pred_result out[MT_PRED_KINDS], char *why, size_t why_cap);

#endif
