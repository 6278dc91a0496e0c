/* Generation: after a prompt, choose a token from the last logits (greedy or
 * seeded sampling), feed it back in (its own pass, so it has a routing
 * trace), and repeat until an end-of-generation token, the limit, or the
 * context is full. */
#ifndef MT_GENERATE_H
#define MT_GENERATE_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"
#include "session.h"
#include "tokenizer.h"

typedef struct mt_gen_opts {
    uint32_t max_tokens;
    float temperature; /* 0: greedy */
    float top_p;       /* 1: no nucleus cut */
    uint64_t seed;
} mt_gen_opts;

typedef enum { MT_STOP_LENGTH, MT_STOP_EOG, MT_STOP_CONTEXT, MT_STOP_CALLER } mt_gen_stop;

/* Called once each generated token has had its pass (its routing is at
 * position pos); return false to stop. */
typedef bool (*mt_gen_token_fn)(void *ctx, uint32_t id, uint32_t pos);

/* The session must hold at least one token. False (err set) on failure. */
bool mt_generate(mt_session *s, const mt_tokenizer *tok, const mt_gen_opts *o, mt_gen_token_fn fn, void *ctx,
                 mt_gen_stop *stop, mt_err *err);

#endif
