#include "stats_input.h"

#include <stdio.h>
#include <string.h>

#include "profile_io.h"

typedef struct observe_ctx {
    mt_stats *st;
} observe_ctx;

static int observe(void *ctx, const cli_prompt_item *item, const mt_session *s) {
    (void)item;
    cli_stats_observe_session(((observe_ctx *)ctx)->st, s);
    return 0;
}

int cli_stats_gather(const cli_args *a, cli_stats_input *in) {
    memset(in, 0, sizeof *in);
    const char *profile = cli_get(a, "--profile");
    if (profile) {
        mt_profile p;
        if (!mt_profile_read(profile, &p)) return CLI_EXIT_USAGE;
        in->st = p.stats;
        in->k = p.k;
        snprintf(in->model, sizeof in->model, "%s", p.model);
        return 0;
    }
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    cli_corpus corpus;
    mt_interventions iv = { 0 };
    if (!(rc = cli_corpus_load(a, &cm, &corpus)) && !(rc = cli_interventions(a, cm.m, &iv))) {
        if (!mt_stats_init(&in->st, cm.m->hp.n_layer, cm.m->hp.n_expert)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        observe_ctx ctx = { &in->st };
        if (!rc) rc = cli_corpus_run(&cm, &corpus, &iv, observe, &ctx);
        in->k = cm.m->hp.k;
        snprintf(in->model, sizeof in->model, "%s", cli_base_name(cm.path));
    }
    cli_corpus_free(&corpus);
    mt_iv_free(&iv);
    cli_model_close(&cm);
    if (rc) cli_stats_input_free(in);
    return rc;
}

void cli_stats_input_free(cli_stats_input *in) { mt_stats_free(&in->st); }

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
