/* `moetop trace`: the routing of every token at every layer, and the logits
 * (shared/contracts/cli.md fixes the --json form). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "engine/sample.h"
#include "engine/session.h"
#include "json.h"
#include "json_token.h"
#include "model_args.h"
#include "text.h"
#include "tui/grid.h"
#include "tui/label.h"

enum { LOGITS_NONE, LOGITS_LAST, LOGITS_ALL };

static void json_floats(mt_json *j, const float *v, uint32_t n) {
    mt_json_begin_array(j);
    for (uint32_t i = 0; i < n; i++) mt_json_f32(j, v[i]);
    mt_json_end_array(j);
}

static int trace_json(const cli_model *cm, const mt_session *s, int logits_mode, bool router_logits) {
    const mt_hparams *hp = &cm->m->hp;
    uint32_t T = mt_session_length(s);
    const uint32_t *ids = mt_session_ids(s);
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "model", cli_base_name(cm->path));
    mt_json_kv_str(&j, "arch", cm->m->family->arch);
    mt_json_kv_str(&j, "backend", cm->be->name);
    mt_json_kv_str(&j, "device", cm->be->device);
    mt_json_kv_u64(&j, "n_layer", hp->n_layer);
    mt_json_kv_u64(&j, "n_expert", hp->n_expert);
    mt_json_kv_u64(&j, "k", hp->k);
    mt_json_kv_u64(&j, "n_vocab", hp->n_vocab);
    mt_json_key(&j, "tokens");
    mt_json_begin_array(&j);
    for (uint32_t t = 0; t < T; t++) mt_json_token(&j, cm->tok, ids[t]);
    mt_json_end_array(&j);
    mt_json_key(&j, "layers");
    mt_json_begin_array(&j);
    for (uint32_t l = 0; l < hp->n_layer; l++) {
        mt_json_begin_object(&j);
        mt_json_kv_u64(&j, "layer", l);
        const uint32_t *ex;
        const float *w;
        float margin;
        mt_json_key(&j, "topk");
        mt_json_begin_array(&j);
        for (uint32_t t = 0; t < T; t++) {
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            mt_json_begin_array(&j);
            for (uint32_t i = 0; i < n; i++) mt_json_u64(&j, ex[i]);
            mt_json_end_array(&j);
        }
        mt_json_end_array(&j);
        mt_json_key(&j, "weights");
        mt_json_begin_array(&j);
        for (uint32_t t = 0; t < T; t++) {
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            json_floats(&j, w, n);
        }
        mt_json_end_array(&j);
        mt_json_key(&j, "margin"); /* beyond the contract: last selected minus first unselected logit */
        mt_json_begin_array(&j);
        for (uint32_t t = 0; t < T; t++) {
            mt_session_route(s, l, t, &ex, &w, &margin);
            mt_json_f32(&j, margin);
        }
        mt_json_end_array(&j);
        mt_json_key(&j, "norms"); /* beyond the contract: |residual in|, |attention update|, |MoE update| per token */
        mt_json_begin_array(&j);
        for (uint32_t t = 0; t < T; t++) {
            float norms[3];
            mt_session_norms(s, l, t, norms);
            json_floats(&j, norms, 3);
        }
        mt_json_end_array(&j);
        if (router_logits) {
            mt_json_key(&j, "router_logits");
            mt_json_begin_array(&j);
            for (uint32_t t = 0; t < T; t++) json_floats(&j, mt_session_router_logits(s, l, t), hp->n_expert);
            mt_json_end_array(&j);
        }
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    if (logits_mode != LOGITS_NONE && T > 0) {
        if (logits_mode == LOGITS_ALL) {
            mt_json_key(&j, "logits");
            mt_json_begin_array(&j);
            for (uint32_t t = 0; t < T; t++) json_floats(&j, mt_session_logits(s, t), hp->n_vocab);
            mt_json_end_array(&j);
        } else {
            mt_json_key(&j, "logits_last");
            json_floats(&j, mt_session_logits(s, T - 1), hp->n_vocab);
        }
        mt_json_key(&j, "argmax");
        mt_json_begin_array(&j);
        for (uint32_t t = 0; t < T; t++) mt_json_u64(&j, mt_argmax(mt_session_logits(s, t), hp->n_vocab));
        mt_json_end_array(&j);
    }
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

/* The routing of one (token, layer) as "e:w,e:w" (selected experts in rank
 * order, each with its mixing weight), into out. */
static int route_cell(const mt_session *s, uint32_t l, uint32_t t, char *out, size_t cap) {
    const uint32_t *ex;
    const float *wt;
    float margin;
    uint32_t n = mt_session_route(s, l, t, &ex, &wt, &margin);
    size_t o = 0;
    out[0] = 0;
    for (uint32_t i = 0; i < n && o < cap; i++) o += (size_t)snprintf(out + o, cap - o, "%s%u:%.2f", i ? "," : "", ex[i], (double)wt[i]);
    return o < cap ? (int)o : (int)cap - 1;
}

#define TOKEN_CELLS 16 /* the token column: its visible label, cut with an ellipsis */

/* A table: a row per token (position, id, its visible label: explorer's
 * rule, a space as a middle dot, a newline as a return arrow), a column per
 * layer of expert:weight pairs; the header says the selection count that
 * ran (interventions change k), and the legend what a cell holds. */
static int trace_human(const cli_model *cm, const mt_session *s) {
    const mt_hparams *hp = &cm->m->hp;
    uint32_t T = mt_session_length(s), L = hp->n_layer;
    const uint32_t *ids = mt_session_ids(s);
    int *width = calloc(L, sizeof *width);
    double *selected = calloc(L, sizeof *selected);
    if (!width || !selected) {
        free(width);
        free(selected);
        return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    char cell[4096];
    for (uint32_t l = 0; l < L; l++) {
        uint64_t sum = 0;
        width[l] = snprintf(cell, sizeof cell, "L%u", l);
        for (uint32_t t = 0; t < T; t++) {
            const uint32_t *ex;
            const float *wt;
            float margin;
            sum += mt_session_route(s, l, t, &ex, &wt, &margin);
            int w = route_cell(s, l, t, cell, sizeof cell);
            if (w > width[l]) width[l] = w;
        }
        selected[l] = T ? (double)sum / T : 0.0;
    }
    char topk[512];
    mt_format_topk(selected, L, topk, sizeof topk);
    char name_line[1024];
    printf("%s: %u token%s, %u layer%s, %u expert%s, %s (%s, %s)\n", mt_one_line(cli_base_name(cm->path), name_line, sizeof name_line), T,
           T == 1 ? "" : "s", L, L == 1 ? "" : "s", hp->n_expert, hp->n_expert == 1 ? "" : "s", topk, cm->be->name, cm->be->device);
    printf("each layer: the selected experts as expert:weight, highest router logit first (weights: the mixing weights applied);\n"
           "token: \xc2\xb7 a space, \xe2\x86\xb5 a newline, \xe2\x86\x92 a tab, \\xNN a byte that is not UTF-8\n");
    printf("%5s %7s  %-*s", "pos", "id", TOKEN_CELLS, "token");
    for (uint32_t l = 0; l < L; l++) {
        snprintf(cell, sizeof cell, "L%u", l);
        printf("  %-*s", l + 1 < L ? width[l] : 0, cell);
    }
    printf("\n");
    for (uint32_t t = 0; t < T; t++) {
        size_t len;
        const char *bytes = mt_tok_bytes(cm->tok, ids[t], &len);
        char label[TOKEN_CELLS * 8 + 8];
        mt_token_label(bytes, len, false, TOKEN_CELLS, label, sizeof label);
        int pad = TOKEN_CELLS - mt_text_width(label);
        printf("%5u %7u  %s%*s", t, ids[t], label, pad > 0 ? pad : 0, "");
        for (uint32_t l = 0; l < L; l++) {
            route_cell(s, l, t, cell, sizeof cell);
            printf("  %-*s", l + 1 < L ? width[l] : 0, cell);
        }
        printf("\n");
    }
    free(width);
    free(selected);
    const float *logits = T ? mt_session_logits(s, T - 1) : NULL;
    if (logits) {
        uint32_t next = mt_argmax(logits, hp->n_vocab);
        size_t len;
        const char *bytes = mt_tok_bytes(cm->tok, next, &len);
        char label[40 * 8 + 8];
        mt_token_label(bytes, len, false, 40, label, sizeof label);
        printf("next token: %u %s (the argmax of the last position's logits)\n", next, label);
    }
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static int run_trace(const cli_command *cmd, cli_args *a) {
    const char *mode = cli_get(a, "--logits");
    int logits_mode = LOGITS_LAST;
    if (mode) {
        if (strcmp(mode, "all") == 0) logits_mode = LOGITS_ALL;
        else if (strcmp(mode, "last") == 0) logits_mode = LOGITS_LAST;
        else if (strcmp(mode, "none") == 0) logits_mode = LOGITS_NONE;
        else return cli_usage_error(cmd, "--logits: '%s' is not all, last or none", mode);
    }
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    mt_ids ids = { 0 };
    mt_interventions iv = { 0 };
    mt_session *s = NULL;
    mt_err err;
    if ((rc = cli_prompt(a, &cm, &ids)) || (rc = cli_interventions(a, cm.m, &iv))) goto done;
    if (!(s = mt_session_new(cm.m, cm.be, &err))) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    /* argmax is per position, so "last" computes every position's logits too */
    mt_session_keep_all_logits(s, logits_mode != LOGITS_NONE);
    mt_session_set_interventions(s, &iv);
    if (!mt_session_append(s, ids.ids, (uint32_t)ids.n, &err)) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    rc = cli_has(a, "--json") ? trace_json(&cm, s, logits_mode, cli_has(a, "--router-logits")) : trace_human(&cm, s);
done:
    mt_session_free(s);
    mt_iv_free(&iv);
    mt_ids_free(&ids);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_trace = {
    .name = "trace",
    .usage = "moetop trace [-m MODEL.gguf] (--ids \"ID ID ..\" | --prompt TEXT | --prompt-file FILE | --chat TEXT) [--backend cpu|vulkan] "
             "[--threads N] [--special] [--logits all|last|none] [--router-logits] [intervention flags] [--json]",
    .summary = "Run a prompt and show which experts every token used at every layer.",
    .details = "Text output: a row per token (pos, id, the token with a space shown as \xc2\xb7, a newline as\n"
               "\xe2\x86\xb5, a tab as \xe2\x86\x92), a column per layer of expert:weight pairs (the selected experts,\n"
               "highest router logit first, with the mixing weights applied); the first line says how\n"
               "many experts ran per token (top-2 under --k 2; per layer when they differ), the last the\n"
               "next token (the argmax of the last position's logits). --chat TEXT wraps TEXT as a user\n"
               "message in the model's chat format (harmony, ChatML, [INST]). An empty prompt is refused\n"
               "(exit 2: no tokens to run). BOS comes first only where the vocabulary asks (Mixtral).\n"
               "--logits defaults to last; argmax is per position.\n"
               "router_logits are the router's logits (biased, where it has a bias) before any\n"
               "intervention; topk lists the\n"
               "selected experts in the router's rank order and weights the mixing weights applied.\n" CLI_IV_DETAILS,
    .opts = {
        CLI_MODEL_OPTS,
        CLI_GPU_PROFILE_OPT,
        CLI_PROMPT_OPTS,
        { "--logits", 0, "MODE", "all, last (default) or none" },
        { "--router-logits", 0, NULL, "include every router logit in the JSON" },
        CLI_IV_OPTS,
        { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_trace,
};
