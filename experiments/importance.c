/* Per-expert importance sums, their summary and the ranking (importance.h). */
#include "importance.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/stats.h"

bool mt_imp_init(mt_imp_layer *l, uint32_t n_expert, uint32_t n_domain) {
    memset(l, 0, sizeof *l);
    l->n_expert = n_expert;
    l->n_domain = n_domain;
    l->domain_tokens = calloc(n_domain ? n_domain : 1, sizeof *l->domain_tokens);
    l->domain_count = calloc((size_t)n_expert * (n_domain ? n_domain : 1), sizeof *l->domain_count);
    l->e = calloc(n_expert, sizeof *l->e);
    l->prompt_count = calloc(n_expert, sizeof *l->prompt_count);
    if (l->domain_tokens && l->domain_count && l->e && l->prompt_count) return true;
    mt_imp_free(l);
    return false;
}

void mt_imp_free(mt_imp_layer *l) {
    free(l->domain_tokens);
    free(l->domain_count);
    free(l->e);
    free(l->prompt_count);
    l->domain_tokens = l->domain_count = l->prompt_count = NULL;
    l->e = NULL;
}

void mt_imp_add(mt_imp_layer *a, const mt_imp_layer *b) {
    a->tokens += b->tokens;
    a->prompts += b->prompts;
    for (uint32_t d = 0; d < a->n_domain; d++) a->domain_tokens[d] += b->domain_tokens[d];
    for (size_t i = 0; i < (size_t)a->n_expert * a->n_domain; i++) a->domain_count[i] += b->domain_count[i];
    for (uint32_t e = 0; e < a->n_expert; e++) {
        a->e[e].count += b->e[e].count;
        a->e[e].weight_fx += b->e[e].weight_fx;
        a->e[e].saliency_fx += b->e[e].saliency_fx;
        a->e[e].rate_fx += b->e[e].rate_fx;
        a->e[e].rate_sq_fx += b->e[e].rate_sq_fx;
    }
}

void mt_imp_observe(mt_imp_layer *l, uint32_t domain, const uint32_t *experts, const float *weights, const float *norms, uint32_t n) {
    l->tokens++;
    l->prompt_tokens++;
    if (domain < l->n_domain) l->domain_tokens[domain]++;
    for (uint32_t i = 0; i < n; i++) {
        uint32_t e = experts[i];
        if (e >= l->n_expert || !(weights[i] > 0.0f)) continue;
        mt_imp_expert *x = &l->e[e];
        x->count++;
        x->weight_fx += (uint64_t)llround((double)weights[i] * MT_FIX_ONE);
        x->saliency_fx += (uint64_t)llround((double)weights[i] * (double)norms[i] * MT_IMP_SAL_ONE);
        l->prompt_count[e]++;
        if (domain < l->n_domain) l->domain_count[(size_t)e * l->n_domain + domain]++;
    }
}

void mt_imp_end_prompt(mt_imp_layer *l) {
    if (l->prompt_tokens == 0) return;
    l->prompts++;
    for (uint32_t e = 0; e < l->n_expert; e++) {
        double r = (double)l->prompt_count[e] / (double)l->prompt_tokens;
        l->e[e].rate_fx += (uint64_t)llround(r * MT_FIX_ONE);
        l->e[e].rate_sq_fx += (uint64_t)llround(r * r * MT_FIX_ONE);
        l->prompt_count[e] = 0;
    }
    l->prompt_tokens = 0;
}

void mt_imp_rank(const double *scores, uint32_t E, uint32_t *rank) {
    for (uint32_t e = 0; e < E; e++) {
        uint32_t above = 0;
        double s = isnan(scores[e]) ? -INFINITY : scores[e];
        for (uint32_t f = 0; f < E; f++) {
            double o = isnan(scores[f]) ? -INFINITY : scores[f];
            above += o > s || (o == s && f < e);
        }
        rank[e] = above + 1;
    }
}

void mt_imp_summarize(const mt_imp_layer *l, mt_imp_summary *out) {
    uint32_t E = l->n_expert;
    double *scores = calloc(E ? E : 1, sizeof *scores);
    uint32_t *rank = calloc(E ? E : 1, sizeof *rank);
    for (uint32_t e = 0; e < E; e++) {
        const mt_imp_expert *x = &l->e[e];
        mt_imp_summary *s = &out[e];
        double T = (double)l->tokens, n = (double)x->count;
        s->rate = l->tokens ? n / T : NAN;
        s->mean_weight = x->count ? (double)x->weight_fx / MT_FIX_ONE / n : NAN;
        s->saliency = x->count ? (double)x->saliency_fx / MT_IMP_SAL_ONE / n : NAN;
        s->contribution = l->tokens ? (double)x->saliency_fx / MT_IMP_SAL_ONE / T : NAN;
        s->specialisation = s->specialisation_baseline = NAN;
        s->specialisation_domain = 0;
        if (l->n_domain >= 2 && x->count) {
            uint64_t best = 0;
            for (uint32_t d = 0; d < l->n_domain; d++)
                if (l->domain_count[(size_t)e * l->n_domain + d] > best) {
                    best = l->domain_count[(size_t)e * l->n_domain + d];
                    s->specialisation_domain = d;
                }
            s->specialisation = (double)best / n;
            s->specialisation_baseline = (double)l->domain_tokens[s->specialisation_domain] / T;
        }
        s->consistency = NAN;
        if (l->prompts >= 2) {
            double m = (double)x->rate_fx / MT_FIX_ONE / (double)l->prompts;
            double var = (double)x->rate_sq_fx / MT_FIX_ONE / (double)l->prompts - m * m;
            s->consistency = m > 0 ? 1.0 / (1.0 + sqrt(var > 0 ? var : 0) / m) : 0.0;
        }
        if (scores) scores[e] = s->contribution;
    }
    if (scores && rank) mt_imp_rank(scores, E, rank);
    for (uint32_t e = 0; e < E; e++) out[e].rank = scores && rank ? rank[e] : e + 1; /* out of memory: id order */
    free(scores);
    free(rank);
}
