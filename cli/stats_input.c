#include "stats_input.h"

#include "engine/locale_c.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "profile_io.h"

typedef struct observe_ctx {
    mt_stats *st;
    mt_session *baseline; /* when interventions are given: the same prompt without them */
    double *overlap_sum;  /* [n_layer] */
    uint64_t *overlap_tokens; /* [n_layer]: tokens whose router logits are finite in both runs */
} observe_ctx;

static int observe(void *vctx, const cli_prompt_item *item, const mt_session *s) {
    observe_ctx *ctx = vctx;
    cli_stats_observe_session(ctx->st, s);
    if (!ctx->baseline) return 0;
    mt_err err;
    mt_session_truncate(ctx->baseline, 0);
    if (item->ids.n && !mt_session_append(ctx->baseline, item->ids.ids, (uint32_t)item->ids.n, &err))
        return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    for (uint32_t l = 0; l < ctx->st->n_layer; l++)
        for (uint32_t t = 0; t < mt_session_length(s); t++) {
            const uint32_t *a, *b;
            const float *w;
            float margin;
            uint32_t na = mt_session_route(s, l, t, &a, &w, &margin), nb = mt_session_route(ctx->baseline, l, t, &b, &w, &margin);
            if (!mt_logits_finite(mt_session_router_logits(s, l, t), ctx->st->n_expert) ||
                !mt_logits_finite(mt_session_router_logits(ctx->baseline, l, t), ctx->st->n_expert))
                continue; /* left out, as from every statistic */
            ctx->overlap_sum[l] += mt_overlap(a, na, b, nb);
            ctx->overlap_tokens[l]++;
        }
    return 0;
}

int cli_stats_gather(const cli_args *a, cli_stats_input *in) {
    memset(in, 0, sizeof *in);
    const char *profile = cli_get(a, "--profile");
    if (profile) {
        mt_profile p;
        if (!mt_profile_read(profile, &p)) return CLI_EXIT_USAGE;
        if (p.stats.layers[0].tokens + p.stats.layers[0].nonfinite == 0) { /* an empty shard: no statistic to show */
            mt_profile_free(&p);
            return cli_error(CLI_EXIT_USAGE, "%s: the profile holds no tokens (its documents were empty or none)", profile);
        }
        in->st = p.stats;
        in->k = p.k;
        snprintf(in->model, sizeof in->model, "%s", p.model);
        cli_stats_warn_nonfinite(&in->st);
        return 0;
    }
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    cli_corpus corpus;
    mt_interventions iv = { 0 };
    if (!(rc = cli_corpus_load(a, &cm, &corpus)) && !(rc = cli_interventions(a, cm.m, &iv))) {
        if (!mt_stats_init(&in->st, cm.m->hp.n_layer, cm.m->hp.n_expert)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        observe_ctx ctx = { .st = &in->st };
        mt_err err;
        if (!rc && mt_iv_any(&iv)) { /* compare with the unmodified router, token by token */
            ctx.baseline = mt_session_new(cm.m, cm.be, &err);
            ctx.overlap_sum = in->overlap = calloc(cm.m->hp.n_layer, sizeof *in->overlap);
            ctx.overlap_tokens = calloc(cm.m->hp.n_layer, sizeof *ctx.overlap_tokens);
            if (!ctx.baseline || !in->overlap || !ctx.overlap_tokens) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        }
        if (!rc) rc = cli_corpus_run(&cm, &corpus, &iv, observe, &ctx);
        for (uint32_t l = 0; in->overlap && ctx.overlap_tokens && l < cm.m->hp.n_layer; l++) /* no token: no mean (NaN) */
            in->overlap[l] = ctx.overlap_tokens[l] ? in->overlap[l] / (double)ctx.overlap_tokens[l] : NAN;
        free(ctx.overlap_tokens);
        mt_session_free(ctx.baseline);
        in->k = cm.m->hp.k;
        snprintf(in->model, sizeof in->model, "%s", cli_base_name(cm.path));
    }
    cli_corpus_free(&corpus);
    mt_iv_free(&iv);
    cli_model_close(&cm);
    if (rc) cli_stats_input_free(in);
    else cli_stats_warn_nonfinite(&in->st);
    return rc;
}

void cli_stats_input_free(cli_stats_input *in) {
    mt_stats_free(&in->st);
    free(in->overlap);
    in->overlap = NULL;
}

void cli_warn_nonfinite(uint32_t layer, uint64_t n) {
    if (n)
        fprintf(stderr, "moetop: warning: layer %u: %llu token%s with NaN or infinite router logits, left out of every statistic\n", layer,
                (unsigned long long)n, n == 1 ? "" : "s");
}

void cli_stats_warn_nonfinite(const mt_stats *st) {
    for (uint32_t l = 0; l < st->n_layer; l++) cli_warn_nonfinite(l, st->layers[l].nonfinite);
}

const char *cli_num(char *buf, const char *fmt, double v, const char *none) {
    if (isnan(v)) return none;
    mt_c_snprintf(buf, 32, fmt, v); /* machine-readable: the C locale whatever the caller set */
    return buf;
}

double cli_mean_selected(const mt_layer_stats *ls) { return ls->tokens ? (double)ls->selections / (double)ls->tokens : 0.0; }

void cli_csv_field(FILE *f, const char *s, size_t n) {
    bool quote = false;
    for (size_t i = 0; i < n; i++) quote |= s[i] == ',' || s[i] == '"' || s[i] == '\r' || s[i] == '\n';
    if (!quote) {
        fwrite(s, 1, n, f);
        return;
    }
    fputc('"', f);
    for (size_t i = 0; i < n; i++) {
        if (s[i] == '"') fputc('"', f);
        fputc(s[i], f);
    }
    fputc('"', f);
}
