/* The bundled model (assets/models/moetop-moe.gguf, trained by tools/train):
 * moetop's logits equal the training module's on the exported weights over a
 * held-out passage longer than the window (tests/fixtures/bundled-parity.*,
 * written by tools/train/export.py), and commands find the model unasked. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/json_read.h"
#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/model.h"
#include "engine/session.h"
#include "support/cli_util.h"
#include "support/harness.h"

#define MODEL "assets/models/moetop-moe.gguf"
#define PARITY "tests/fixtures/bundled-parity"

static void logits_equal_the_training_module(void) {
    if (access(MODEL, R_OK) != 0 || access(PARITY ".json", R_OK) != 0) {
        t_skip("%s or %s.json is absent (make model writes them)", MODEL, PARITY);
        return;
    }
    char err[256];
    jv *ref = jv_parse_file(PARITY ".json", err, sizeof err);
    unsigned long bytes = 0;
    float *want = (float *)(void *)t_read_file(PARITY ".f32", &bytes);
    mt_err merr;
    mt_gguf *g = mt_gguf_open(MODEL, &merr);
    mt_model *m = g ? mt_model_load(g, &merr) : NULL;
    mt_backend *be = mt_cpu_backend_new(0);
    if (!CHECKF(ref && want && m && be, "%s %s", err, merr.msg)) goto done;
    const jv *ids = jv_get(ref, "ids"), *positions = jv_get(ref, "positions");
    uint32_t V = m->hp.n_vocab, n = (uint32_t)ids->len;
    CHECK(bytes == positions->len * V * sizeof(float));
    CHECKF(n > m->hp.sliding_window, "the passage (%u tokens) must be longer than the window (%u)", n, m->hp.sliding_window);
    uint32_t *tok = malloc(n * sizeof *tok);
    for (uint32_t i = 0; i < n; i++) tok[i] = (uint32_t)jv_at(ids, i)->num;
    mt_session *s = mt_session_new(m, be, &merr);
    mt_session_keep_all_logits(s, true);
    CHECKF(mt_session_append(s, tok, n, &merr), "%s", merr.msg);
    double worst = 0;
    for (size_t p = 0; p < positions->len; p++) {
        uint32_t pos = (uint32_t)jv_at(positions, p)->num;
        const float *got = mt_session_logits(s, pos), *w = want + p * V;
        double scale = 1;
        for (uint32_t v = 0; v < V; v++) scale = fmax(scale, fabs(w[v]));
        for (uint32_t v = 0; v < V; v++) worst = fmax(worst, fabs(got[v] - w[v]) / scale);
    }
    CHECKF(worst <= 1e-3, "logits differ from the training module's by %g x scale", worst);
    printf("  %u-token held-out passage, %zu positions: logits within %.2e x scale of the training module\n", n, positions->len, worst);
    mt_session_free(s);
    free(tok);
done:
    free(want);
    jv_free(ref);
    if (be) be->destroy(be);
    mt_model_free(m);
    mt_gguf_close(g);
}

static void commands_find_it_unasked(void) {
    if (access(MODEL, R_OK) != 0) {
        t_skip("%s is absent", MODEL);
        return;
    }
    proc_result r = run_moetop("info", "--json", NULL);
    CHECKF(r.status == 0 && strstr(r.out, "\"file\":\"moetop-moe.gguf\""), "info without -m: %s", r.err);
    proc_free(&r);
    r = run_moetop("generate", "--chat", "What is 2 + 2?", "-n", "4", NULL);
    CHECKF(r.status == 0, "generate without -m: %s", r.err);
    proc_free(&r);
    r = run_moetop("sweep", "--json", NULL); /* and the bundled prompt sets */
    CHECKF(r.status == 0 && strstr(r.out, "\"gini\""), "sweep without -m or prompts: %s", r.err);
    proc_free(&r);
}

int main(void) {
    t_begin("bundled");
    RUN(logits_equal_the_training_module);
    RUN(commands_find_it_unasked);
    return t_end();
}
