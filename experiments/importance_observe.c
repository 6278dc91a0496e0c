/* Importance observed on a forward pass (importance_observe.h). */
#include "importance_observe.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

void mt_imp_scratch_free(mt_imp_scratch *sc) {
    free(sc->in);
    free(sc->out);
    free(sc->norms);
    free(sc->rows);
    memset(sc, 0, sizeof *sc);
}

static bool reserve(mt_imp_scratch *sc, uint32_t T, uint32_t d, uint32_t E) {
    if (T <= sc->cap) return true;
    mt_imp_scratch_free(sc);
    sc->in = malloc((size_t)T * d * sizeof *sc->in);
    sc->out = malloc((size_t)T * d * sizeof *sc->out);
    sc->norms = malloc((size_t)T * E * sizeof *sc->norms);
    sc->rows = malloc((size_t)T * sizeof *sc->rows);
    if (sc->in && sc->out && sc->norms && sc->rows) {
        sc->cap = T;
        return true;
    }
    mt_imp_scratch_free(sc);
    return false;
}

bool mt_imp_observe_session(mt_imp_layer *layers, uint32_t domain, const mt_session *s, const mt_model *m,
                            const mt_interventions *iv, mt_expert_eval *ev, mt_imp_scratch *sc, mt_err *err) {
    uint32_t T = mt_session_length(s), d = m->hp.d_model, E = m->hp.n_expert;
    if (T == 0) return true;
    if (!reserve(sc, T, d, E)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    for (uint32_t l = 0; l < m->hp.n_layer; l++) {
        /* each expert's output on the tokens that selected it; norms[t*E + i]
         * aligned with the i-th entry of token t's route */
        for (uint32_t e = 0; e < E; e++) {
            uint32_t n = 0;
            for (uint32_t t = 0; t < T; t++) {
                const uint32_t *ex;
                const float *w;
                float margin;
                uint32_t k = mt_session_route(s, l, t, &ex, &w, &margin);
                for (uint32_t i = 0; i < k; i++)
                    if (ex[i] == e && w[i] > 0.0f) {
                        sc->rows[n] = t * E + i;
                        memcpy(sc->in + (size_t)n++ * d, mt_session_moe_input(s, l, t), (size_t)d * sizeof *sc->in);
                    }
            }
            if (n == 0) continue;
            bool zeroed = iv && iv->flags && (iv->flags[(size_t)l * E + e] & MT_IV_ZERO) != 0 && iv->force[l] < 0;
            if (!zeroed && !mt_expert_eval_run(ev, l, e, sc->in, n, sc->out, err)) return false;
            for (uint32_t i = 0; i < n; i++) {
                double sq = 0;
                for (uint32_t j = 0; !zeroed && j < d; j++) sq += (double)sc->out[(size_t)i * d + j] * sc->out[(size_t)i * d + j];
                sc->norms[sc->rows[i]] = (float)sqrt(sq);
            }
        }
        for (uint32_t t = 0; t < T; t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t k = mt_session_route(s, l, t, &ex, &w, &margin);
            mt_imp_observe(&layers[l], domain, ex, w, sc->norms + (size_t)t * E, k);
        }
        mt_imp_end_prompt(&layers[l]);
    }
    return true;
}
