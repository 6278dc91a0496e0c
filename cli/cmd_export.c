/* `moetop export`: the routing of a prompt or prompt set in long format, one
 * row per (token, layer, rank): CSV (RFC 4180) or JSON Lines, for pandas
 * and friends (loading tokens such as "NA" or "007" as text: the help). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "commands.h"
#include "engine/bytes.h"
#include "engine/outfile.h"
#include "engine/stats.h"
#include "engine/utf8.h"
#include "json.h"
#include "stats_input.h"
#include "engine/locale_c.h"

typedef struct export_ctx {
    const cli_model *cm;
    const cli_corpus *corpus;
    FILE *f;
    bool jsonl;
    uint64_t *nonfinite; /* [n_layer]: (token, layer)s whose router logits hold NaN or infinity */
} export_ctx;

/* Token text as valid UTF-8 (each invalid sequence U+FFFD), for CSV readers. */
static void valid_text(const char *s, size_t n, mt_bytes *out) {
    out->len = 0;
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        size_t len = mt_utf8_next((const uint8_t *)s + i, n - i, &cp);
        if (cp == MT_UTF8_INVALID) mt_bytes_put(out, "\xef\xbf\xbd", 3);
        else mt_bytes_put(out, s + i, len);
        i += len;
    }
}

static int export_prompt(void *vctx, const cli_prompt_item *item, const mt_session *s) {
    export_ctx *c = vctx;
    const char *domain = c->corpus->domains[item->domain];
    const uint32_t *ids = mt_session_ids(s);
    mt_bytes text = { 0 };
    for (uint32_t t = 0; t < mt_session_length(s); t++) {
        size_t len;
        const char *bytes = mt_tok_bytes(c->cm->tok, ids[t], &len);
        valid_text(bytes, len, &text);
        for (uint32_t l = 0; l < c->cm->m->hp.n_layer; l++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            bool finite = mt_logits_finite(mt_session_router_logits(s, l, t), c->cm->m->hp.n_expert);
            c->nonfinite[l] += !finite;
            for (uint32_t r = 0; r < n; r++) {
                if (c->jsonl) {
                    mt_json j = { 0 };
                    mt_json_begin_object(&j);
                    mt_json_kv_str(&j, "domain", domain);
                    mt_json_kv_u64(&j, "prompt", item->index);
                    mt_json_kv_u64(&j, "position", t);
                    mt_json_kv_u64(&j, "token_id", ids[t]);
                    mt_json_key(&j, "token_text");
                    mt_json_string_n(&j, (const char *)text.data, text.len);
                    mt_json_kv_u64(&j, "layer", l);
                    mt_json_kv_u64(&j, "rank", r);
                    mt_json_kv_u64(&j, "expert", ex[r]);
                    mt_json_key(&j, "weight");
                    mt_json_f32(&j, w[r]);
                    mt_json_key(&j, "nonfinite");
                    mt_json_bool(&j, !finite);
                    mt_json_end_object(&j);
                    mt_bytes_put(&j.out, "\n", 1);
                    fwrite(j.out.data, 1, j.out.len, c->f);
                    mt_json_free(&j);
                } else {
                    cli_csv_field(c->f, domain, strlen(domain));
                    fprintf(c->f, ",%u,%u,%u,", item->index, t, ids[t]);
                    cli_csv_field(c->f, (const char *)text.data, text.len);
                    mt_c_fprintf(c->f, ",%u,%u,%u,%.9g,%d\r\n", l, r, ex[r], (double)w[r], !finite);
                }
            }
        }
    }
    mt_bytes_free(&text);
    return ferror(c->f) ? CLI_EXIT_FAIL : 0; /* a write failed: stop; the commit says why */
}

static int run_export(const cli_command *cmd, cli_args *a) {
    const char *format = cli_get(a, "--format"), *out = cli_get(a, "--output");
    bool jsonl = format && strcmp(format, "jsonl") == 0;
    if (format && !jsonl && strcmp(format, "csv") != 0) return cli_usage_error(cmd, "--format: '%s' is not csv or jsonl", format);
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    cli_corpus corpus;
    mt_interventions iv = { 0 };
    mt_outfile file;
    mt_err err;
    if ((rc = cli_corpus_load(a, &cm, &corpus)) || (rc = cli_interventions(a, cm.m, &iv))) goto done;
    if (!mt_outfile_open(&file, out ? out : "-", &err)) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    if (!jsonl) fprintf(file.f, "domain,prompt,position,token_id,token_text,layer,rank,expert,weight,nonfinite\r\n");
    export_ctx ctx = { &cm, &corpus, file.f, jsonl, calloc(cm.m->hp.n_layer, sizeof(uint64_t)) };
    rc = ctx.nonfinite ? cli_corpus_run(&cm, &corpus, &iv, export_prompt, &ctx) : cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t l = 0; !rc && l < cm.m->hp.n_layer; l++) cli_warn_nonfinite(l, ctx.nonfinite[l]);
    free(ctx.nonfinite);
    if (rc && !ferror(file.f)) mt_outfile_abort(&file); /* a failed run leaves no file (and an old one as it was) */
    else if (!mt_outfile_commit(&file, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg); /* also says why a write failed */
done:
    cli_corpus_free(&corpus);
    mt_iv_free(&iv);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_export = {
    .name = "export",
    .usage = "moetop export [-m MODEL.gguf] [--prompts DIR | --prompt .. | --chat TEXT ..] [--format csv|jsonl] [-o FILE] [intervention flags]",
    .summary = "The routing of a prompt set in long format (CSV or JSON Lines) for pandas and friends.",
    .details = "One row per token, layer and rank: domain, prompt, position, token_id, token_text, layer,\n"
               "rank, expert, weight, nonfinite. Ranks follow the router (highest logit first); weights are the\n"
               "mixing weights applied. nonfinite (1 / true) marks a token whose router logits at that layer\n"
               "hold NaN or infinity (routed by the rule below, left out of every statistic; said on\n"
               "stderr). token_text is UTF-8 (invalid bytes as U+FFFD). CSV follows RFC 4180\n"
               "(CRLF line ends, quotes doubled). Without a prompt flag, the bundled prompt sets.\n"
               "In pandas, keep tokens such as NA, null or 007 as text (not missing values, not numbers):\n"
               "  pd.read_csv(\"routing.csv\", keep_default_na=False, dtype={\"domain\": str, \"token_text\": str})\n"
               "  pd.read_json(\"routing.jsonl\", lines=True, dtype={\"domain\": str, \"token_text\": str})\n" CLI_IV_DETAILS "\n" CLI_OUTPUT_DETAILS,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS, { "--format", 0, "FMT", "csv (default) or jsonl" },
              { "--output", 'o', "FILE", "write here instead of stdout (- for stdout)" }, { NULL, 0, NULL, NULL } },
    .run = run_export,
};
