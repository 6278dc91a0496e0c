#include "eval.h"

#include <stdlib.h>
#include <string.h>

#include "engine/bytes.h"
#include "engine/generate.h"
#include "engine/chat.h"
#include "engine/session.h"
#include "prompt_run.h"
#include "score.h"
#include "significance.h"

void mt_eval_free(mt_eval_result *r) {
    if (r->outputs)
        for (size_t i = 0; i < r->n_problems * r->n_conds; i++) free(r->outputs[i].text);
    free(r->outputs);
    free(r->summary);
    memset(r, 0, sizeof *r);
}

bool mt_eval_summarize(mt_eval_result *r) {
    size_t P = r->n_problems, C = r->n_conds;
    free(r->summary);
    r->summary = calloc(C ? C : 1, sizeof *r->summary);
    double *p = malloc((C ? C : 1) * sizeof *p);
    if (!r->summary || !p) {
        free(p);
        return false;
    }
    for (size_t c = 0; c < C; c++) {
        mt_eval_summary *s = &r->summary[c];
        for (size_t i = 0; i < P; i++) {
            bool mine = r->outputs[i * C + c].correct, base = r->outputs[i * C].correct;
            s->correct += mine;
            s->fixed += mine && !base;
            s->broken += !mine && base;
        }
        s->accuracy = P ? (double)s->correct / (double)P : 0.0;
        mt_wilson95(s->correct, P, &s->wilson_lo, &s->wilson_hi);
        s->p_mcnemar = mt_mcnemar_exact(s->fixed, s->broken);
        if (c > 0) p[c - 1] = s->p_mcnemar;
    }
    if (C > 1) mt_holm(p, C - 1, p);
    r->summary[0].p_holm = 1.0;
    for (size_t c = 1; c < C; c++) r->summary[c].p_holm = p[c - 1];
    free(p);
    return true;
}

typedef struct continuation {
    const mt_tokenizer *tok;
    bool chat;
    mt_bytes text;
} continuation;

static bool on_token(void *ctx, uint32_t id, uint32_t pos) {
    (void)pos;
    continuation *c = ctx;
    if (mt_tok_is_eog(c->tok, id)) return true; /* generation stops after it; its text is not the answer's */
    size_t len;
    const char *bytes = mt_tok_bytes(c->tok, id, &len);
    if (!c->chat) {
        const char *nl = memchr(bytes, '\n', len);
        if (nl) {
            mt_bytes_put(&c->text, bytes, (size_t)(nl - bytes));
            return false; /* a newline ends the answer */
        }
    }
    mt_bytes_put(&c->text, bytes, len);
    return true;
}

/* The scored text of a continuation: outside chats all of it (already cut at
 * its newline), in a chat the final channel's message up to its first newline. */
static bool finish_output(const continuation *c, const char *answer, mt_eval_output *out) {
    const char *t = (const char *)c->text.data;
    size_t start = 0, n = c->text.len;
    if (c->chat) {
        mt_harmony_final(t, c->text.len, &start, &n);
        const char *nl = n ? memchr(t + start, '\n', n) : NULL;
        if (nl) n = (size_t)(nl - (t + start));
    }
    if (!(out->text = malloc(n + 1))) return false;
    if (n) memcpy(out->text, t + start, n);
    out->text[n] = 0;
    out->len = n;
    out->correct = mt_score(answer, out->text, n);
    return true;
}

bool mt_eval_run(const mt_model *m, mt_backend *be, const mt_tokenizer *tok, const mt_conditions *c, const mt_problem *problems,
                 size_t n_problems, uint32_t max_tokens, mt_exp_progress_fn progress, void *user, mt_eval_result *r, mt_err *err) {
    memset(r, 0, sizeof *r);
    r->n_problems = n_problems;
    r->n_conds = c->n;
    r->outputs = calloc(n_problems * c->n + 1, sizeof *r->outputs);
    mt_session *s = r->outputs ? mt_session_new(m, be, err) : NULL;
    if (!r->outputs) mt_err_set(err, "out of memory");
    bool ok = s != NULL;
    mt_ids ids = { 0 };
    for (size_t i = 0; ok && i < n_problems; i++) {
        const mt_problem *pr = &problems[i];
        ids.n = 0;
        if (pr->chat) ok = mt_chat_prompt(tok, pr->prompt, pr->prompt_len, &ids, err);
        else if (!(ok = mt_tok_encode_prompt(tok, pr->prompt, pr->prompt_len, false, &ids))) mt_err_set(err, "out of memory");
        if (ok && ids.n == 0) {
            mt_err_set(err, "problem %zu: the prompt is empty", i + 1);
            ok = false;
        }
        if (ok && ids.n > m->hp.n_ctx) {
            mt_err_set(err, "problem %zu: the prompt's %zu tokens are more than the model's context of %u", i + 1, ids.n, m->hp.n_ctx);
            ok = false;
        }
        uint32_t n = (uint32_t)ids.n;
        for (size_t ci = 0; ok && ci < c->n; ci++) {
            continuation cont = { .tok = tok, .chat = pr->chat };
            mt_gen_opts o = { .max_tokens = max_tokens, .temperature = 0.0f, .top_p = 1.0f, .seed = 0 };
            mt_gen_stop stop;
            ok = mt_exp_eval_prompt(s, &c->items[ci].iv, ids.ids, n, ci > 0, err) && (max_tokens == 0 || mt_generate(s, tok, &o, on_token, &cont, &stop, err));
            if (ok && !finish_output(&cont, pr->answer, &r->outputs[i * c->n + ci])) {
                mt_err_set(err, "out of memory");
                ok = false;
            }
            mt_bytes_free(&cont.text);
        }
        if (ok && progress && !progress(user, i + 1, n_problems)) {
            mt_err_set(err, "cancelled");
            ok = false;
        }
    }
    mt_ids_free(&ids);
    mt_session_free(s);
    if (ok && !mt_eval_summarize(r)) {
        mt_err_set(err, "out of memory");
        ok = false;
    }
    if (!ok) mt_eval_free(r);
    return ok;
}
