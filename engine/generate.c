#include "generate.h"

#include <stdlib.h>

#include "rng.h"
#include "sample.h"

bool mt_generate(mt_session *s, const mt_tokenizer *tok, const mt_gen_opts *o, mt_gen_token_fn fn, void *ctx,
                 mt_gen_stop *stop, mt_err *err) {
    uint32_t V = mt_tok_vocab_size(tok);
    float *prob = malloc(V * sizeof *prob);
    uint32_t *index = malloc(V * sizeof *index);
    mt_rng rng = mt_rng_seed(o->seed, 0x67656eull);
    bool ok = prob && index;
    if (!ok) mt_err_set(err, "out of memory for sampling");
    *stop = MT_STOP_LENGTH;
    for (uint32_t i = 0; ok && i < o->max_tokens; i++) {
        uint32_t last = mt_session_length(s) - 1;
        const float *logits = mt_session_logits(s, last);
        if (!logits) {
            mt_err_set(err, "no logits at position %u", last);
            ok = false;
            break;
        }
        uint32_t next = mt_sample(logits, V, o->temperature, o->top_p, &rng, prob, index);
        if (mt_session_length(s) >= mt_session_context(s)) {
            *stop = MT_STOP_CONTEXT;
            break;
        }
        if (!mt_session_append(s, &next, 1, err)) {
            ok = false;
            break;
        }
        if (fn && !fn(ctx, next, last + 1)) {
            *stop = MT_STOP_CALLER;
            break;
        }
        if (mt_tok_is_eog(tok, next)) {
            *stop = MT_STOP_EOG;
            break;
        }
    }
    free(prob);
    free(index);
    return ok;
}
