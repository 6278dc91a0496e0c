/* gpt-oss-20b's real shapes (2 of its 24 layers): width 2880, 64 query heads
 * and 8 KV heads of 64 (query width 4096), 32 experts of 2880, top-4, a
 * 201088-token vocabulary, window 128, context 131072, in its formats (MXFP4
 * experts, Q8_0 elsewhere). The model is written once by `moetop synth` into
 * build/ (about 2.1 GB) and reused. It loads, runs a 200-token prompt and
 * generates; the peak memory is printed. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "engine/backend.h"
#include "engine/generate.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/session.h"
#include "engine/tokenizer.h"
#include "support/harness.h"
#include "support/proc.h"

#define MODEL_PATH "build/real-shape-v1.gguf"

static double now(void) {
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}

/* The plain build writes the file fastest; the binary under test otherwise. */
static bool ensure_model(void) {
    if (access(MODEL_PATH, R_OK) == 0) return true;
    const char *bin = access("./moetop", X_OK) == 0 ? "./moetop" : t_bin();
    const char *argv[] = { bin, "synth", "-q", "-o", MODEL_PATH, "--layers", "2", "--d-model", "2880", "--heads", "64",
                           "--kv-heads", "8", "--head-dim", "64", "--experts", "32", "--k", "4", "--ff", "2880", "--swa", "128",
                           "--context", "131072", "--vocab-base", "201056", "--seed", "20", NULL };
    double t0 = now();
    proc_result r = proc_run(argv, NULL);
    bool ok = CHECKF(r.status == 0, "synth: %s", r.err);
    if (ok) printf("  wrote %s in %.0f s\n", MODEL_PATH, now() - t0);
    proc_free(&r);
    return ok;
}

static bool count_token(void *ctx, uint32_t id, uint32_t pos) {
    (void)id;
    (void)pos;
    (*(int *)ctx)++;
    return true;
}

static void loads_runs_and_generates(void) {
    if (!ensure_model()) return;
    mt_err err;
    double t0 = now();
    mt_gguf *g = mt_gguf_open(MODEL_PATH, &err);
    mt_model *m = g ? mt_model_load(g, &err) : NULL;
    mt_tokenizer *tok = m ? mt_tokenizer_load(g, &err) : NULL;
    mt_backend *be = mt_cpu_backend_new(0);
    if (!CHECKF(tok && be, "%s", err.msg)) goto done;
    const mt_hparams *hp = &m->hp;
    CHECK(hp->d_model == 2880 && hp->n_head * hp->head_dim == 4096 && hp->n_kv == 8 && hp->n_expert == 32 && hp->k == 4);
    CHECK(hp->n_vocab == 201088 && mt_tok_vocab_size(tok) == 201088 && hp->sliding_window == 128 && hp->n_ctx == 131072);
    double loaded = now();
    /* 200 tokens of text, more than the window */
    char text[4096] = "";
    while (strlen(text) < 3000) strcat(text, "Routing sends each token to four of thirty-two experts; ");
    mt_ids ids = { 0 };
    CHECK(mt_tok_encode(tok, text, strlen(text), false, &ids) && ids.n >= 200);
    ids.n = 200;
    mt_session *s = mt_session_new(m, be, &err);
    CHECK(s && mt_session_append(s, ids.ids, (uint32_t)ids.n, &err));
    double prefilled = now();
    mt_gen_opts o = { .max_tokens = 8, .temperature = 0.0f, .top_p = 1.0f };
    mt_gen_stop stop;
    int generated = 0;
    CHECKF(mt_generate(s, tok, &o, count_token, &generated, &stop, &err), "%s", err.msg);
    double done_gen = now();
    CHECK(generated >= 1 && mt_session_length(s) == 200 + (uint32_t)generated);
    const float *logits = mt_session_logits(s, mt_session_length(s) - 1);
    bool finite = logits != NULL;
    for (uint32_t v = 0; finite && v < hp->n_vocab; v++) finite = isfinite(logits[v]);
    CHECK(finite);
    for (uint32_t l = 0; l < hp->n_layer; l++) {
        const uint32_t *ex;
        const float *w;
        float margin;
        CHECK(mt_session_route(s, l, 199, &ex, &w, &margin) == 4 && ex[0] < 32);
    }
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    printf("  load %.2f s, 200-token prefill %.2f s, %d tokens generated in %.2f s, peak RSS %.0f MB (weights %.2f GB mapped)\n",
           loaded - t0, prefilled - loaded, generated, done_gen - prefilled, (double)ru.ru_maxrss / 1024.0, (double)m->weight_bytes / 1e9);
    mt_session_free(s);
    mt_ids_free(&ids);
done:
    if (be) be->destroy(be);
    mt_tokenizer_free(tok);
    mt_model_free(m);
    mt_gguf_close(g);
}

int main(void) {
    t_begin("real-shape");
    RUN(loads_runs_and_generates);
    return t_end();
}
