#include "vocab_map.h"

#include <stdlib.h>
#include <string.h>

#include "routing.h"

bool mt_vocab_map_init(mt_vocab_map *v, uint32_t L, uint32_t E) {
    memset(v, 0, sizeof *v);
    v->n_layer = L, v->n_expert = E;
    v->top = calloc((size_t)L * E, sizeof *v->top);
    v->no_top = calloc(L, sizeof *v->no_top);
    if (v->top && v->no_top) return true;
    mt_vocab_map_free(v);
    return false;
}

void mt_vocab_map_free(mt_vocab_map *v) {
    free(v->top);
    free(v->no_top);
    memset(v, 0, sizeof *v);
}

bool mt_vocab_map_run(mt_session *s, uint32_t first, uint32_t end, uint32_t batch, mt_vocab_row_fn fn, void *fn_user,
                      bool (*progress)(void *, uint64_t, uint64_t), void *progress_user, mt_vocab_map *out, mt_err *err) {
    uint32_t P = mt_session_length(s), L = out->n_layer, E = out->n_expert;
    uint32_t ids[256];
    for (uint32_t t0 = first; t0 < end;) {
        if (batch > 256) batch = 256;
        uint32_t n = batch ? (end - t0 < batch ? end - t0 : batch) : 1;
        for (uint32_t i = 0; i < n; i++) ids[i] = t0 + i;
        mt_session_truncate(s, P);
        if (batch ? !mt_session_eval_alone(s, ids, n, err) : !mt_session_append(s, ids, 1, err)) return false;
        for (uint32_t i = 0; i < n; i++) {
            for (uint32_t l = 0; l < L; l++) {
                const uint32_t *ex;
                const float *w;
                float margin;
                uint32_t k = mt_session_route(s, l, P + i, &ex, &w, &margin);
                int32_t top = mt_route_top(ex, w, k);
                if (top >= 0) out->top[(size_t)l * E + (size_t)top]++;
                else out->no_top[l]++;
                if (fn && !fn(fn_user, t0 + i, l, ex, w, k)) {
                    mt_session_truncate(s, P);
                    mt_err_set(err, "cancelled");
                    return false;
                }
            }
            out->tokens++;
        }
        t0 += n;
        if (progress && !progress(progress_user, t0 - first, end - first)) {
            mt_session_truncate(s, P);
            mt_err_set(err, "cancelled");
            return false;
        }
    }
    mt_session_truncate(s, P);
    return true;
}
