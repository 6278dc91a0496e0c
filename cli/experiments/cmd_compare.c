/* `moetop compare`: conditions side by side on one prompt
 * (experiments/compare.h computes; this file parses and prints). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/json_token.h"
#include "cli/model_args.h"
#include "cli/text.h"
#include "exp_args.h"
#include "experiments/compare.h"

static const char *const compare_definitions[] = {
    "KL next     KL(baseline || condition) of the next-token distribution after the prompt,",
    "            over the whole vocabulary, in nats (0: the same distribution)",
    "overlap     per layer, the mean over the prompt's tokens of |A n B| / |A|: A the",
    "            baseline's selected experts (weight > 0), B the condition's; the table",
    "            shows the mean over layers, --json every layer",
    "diverges    the first generated token that differs from the baseline's (a shorter",
    "            continuation differs where it ends); '-' when they are equal",
    "next token  the most likely next token after the prompt and its probability",
    NULL,
};

static void print_token(const mt_tokenizer *tok, uint32_t id, size_t width) {
    size_t len;
    const char *bytes = mt_tok_bytes(tok, id, &len);
    putchar('"');
    size_t w = mt_print_escaped(stdout, bytes, len, width) + 2;
    putchar('"');
    for (; w < width + 2; w++) putchar(' ');
}

static void print_text(const cli_model *cm, const mt_compare_result *r, size_t max_cols) {
    mt_bytes text = { 0 };
    for (size_t i = 0; i < r->generated.n; i++) {
        size_t len;
        const char *b = mt_tok_bytes(cm->tok, r->generated.ids[i], &len);
        mt_bytes_put(&text, b, len);
    }
    putchar('"');
    mt_print_escaped(stdout, (const char *)text.data, text.len, max_cols);
    putchar('"');
    mt_bytes_free(&text);
}

static int print_json(const cli_model *cm, const mt_conditions *c, const mt_compare_result *r, const mt_ids *prompt) {
    uint32_t L = cm->m->hp.n_layer;
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "model", cli_base_name(cm->path));
    mt_json_key(&j, "prompt_tokens");
    mt_json_begin_array(&j);
    for (size_t i = 0; i < prompt->n; i++) mt_json_token(&j, cm->tok, prompt->ids[i]);
    mt_json_end_array(&j);
    mt_json_key(&j, "conditions");
    mt_json_begin_array(&j);
    for (size_t ci = 0; ci < c->n; ci++) {
        const mt_compare_result *x = &r[ci];
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "name", c->items[ci].name);
        mt_json_key(&j, "generated");
        mt_json_begin_array(&j);
        for (size_t i = 0; i < x->generated.n; i++) mt_json_u64(&j, x->generated.ids[i]);
        mt_json_end_array(&j);
        mt_json_key(&j, "text");
        mt_bytes text = { 0 };
        for (size_t i = 0; i < x->generated.n; i++) {
            size_t len;
            const char *b = mt_tok_bytes(cm->tok, x->generated.ids[i], &len);
            mt_bytes_put(&text, b, len);
        }
        mt_json_string_n(&j, (const char *)text.data, text.len);
        mt_bytes_free(&text);
        mt_json_kv_str(&j, "stop", x->stop == MT_STOP_EOG ? "eog" : x->stop == MT_STOP_CONTEXT ? "context" : "length");
        mt_json_key(&j, "next_top5");
        mt_json_begin_array(&j);
        for (int k = 0; k < MT_COMPARE_TOP && (uint32_t)k < cm->m->hp.n_vocab; k++) {
            mt_json_begin_object(&j);
            mt_json_token_fields(&j, cm->tok, x->top_ids[k]);
            mt_json_kv_f64(&j, "p", x->top_p[k]);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_kv_f64(&j, "kl_next", x->kl_next);
        mt_json_key(&j, "overlap");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < L; l++) mt_json_f64(&j, x->overlap[l]); /* NaN (no baseline selection) is null */
        mt_json_end_array(&j);
        mt_json_key(&j, "first_difference");
        if (x->first_difference < 0) mt_json_null(&j);
        else mt_json_u64(&j, (uint64_t)x->first_difference);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

static void print_table(const cli_model *cm, const mt_conditions *c, const mt_compare_result *r, size_t prompt_tokens,
                        uint32_t max_tokens) {
    uint32_t L = cm->m->hp.n_layer;
    printf("%s: %zu condition%s on a %zu-token prompt, greedy, up to %u tokens each\n", cli_base_name(cm->path), c->n,
           c->n == 1 ? "" : "s", prompt_tokens, max_tokens);
    printf("KL next: KL(baseline || condition) of the next token (nats); overlap: baseline experts kept, mean over\n"
           "layers (--json: per layer); diverges: first generated token that differs (- equal)\n\n");
    size_t name_w = 9;
    for (size_t i = 0; i < c->n; i++)
        if (strlen(c->items[i].name) > name_w) name_w = strlen(c->items[i].name);
    if (name_w > 24) name_w = 24;
    printf("%-*s  %8s  %7s  %8s  %-16s %6s  %s\n", (int)name_w, "condition", "KL next", "overlap", "diverges", "next token", "p",
           "continuation");
    for (size_t ci = 0; ci < c->n; ci++) {
        const mt_compare_result *x = &r[ci];
        double mean = 0.0;
        uint32_t counted = 0;
        for (uint32_t l = 0; l < L; l++)
            if (!isnan(x->overlap[l])) mean += x->overlap[l], counted++;
        printf("%-*.*s  %8.4f  ", (int)name_w, (int)name_w, c->items[ci].name, x->kl_next);
        if (counted) printf("%7.3f  ", mean / counted);
        else printf("%7s  ", "n/a");
        if (x->first_difference < 0) printf("%8s  ", "-");
        else printf("%8lld  ", (long long)x->first_difference);
        print_token(cm->tok, x->top_ids[0], 14);
        printf(" %6.3g  ", x->top_p[0]);
        print_text(cm, x, 60);
        putchar('\n');
    }
}

static int run_compare(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint32_t max_tokens = 16;
    if (!cli_get_u32(a, "--max-tokens", 0, 1u << 20, &max_tokens)) return CLI_EXIT_USAGE;
    uint64_t seed;
    if (!cli_seed(a, &seed)) return CLI_EXIT_USAGE;
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    mt_ids prompt = { 0 };
    mt_conditions conds = { 0 };
    mt_compare_result *res = NULL;
    if ((rc = cli_prompt(a, &cm, &prompt)) || (rc = cli_conditions(a, cm.m, &conds))) goto done;
    if (prompt.n == 0) {
        rc = cli_error(CLI_EXIT_USAGE, "the prompt has no tokens: compare needs at least one");
        goto done;
    }
    if (prompt.n > cm.m->hp.n_ctx) {
        rc = cli_error(CLI_EXIT_USAGE, "the prompt's %zu tokens are more than the model's context of %u", prompt.n, cm.m->hp.n_ctx);
        goto done;
    }
    if (!(res = calloc(conds.n, sizeof *res))) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    cli_progress pr;
    cli_progress_begin(&pr, "compare", "conditions");
    mt_err err;
    bool ok = mt_compare_run(cm.m, cm.be, cm.tok, &conds, prompt.ids, (uint32_t)prompt.n, max_tokens, cli_progress_fn, &pr, res, &err);
    cli_progress_end(&pr);
    if (!ok) {
        free(res);
        res = NULL;
        rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        goto done;
    }
    if (cli_has(a, "--json")) rc = print_json(&cm, &conds, res, &prompt);
    else {
        print_table(&cm, &conds, res, prompt.n, max_tokens);
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
    mt_compare_free(res, conds.n);
done:
    free(res);
    mt_conds_free(&conds);
    mt_ids_free(&prompt);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_compare = {
    .name = "compare",
    .usage = "moetop compare -m MODEL.gguf (--prompt TEXT | --prompt-file FILE | --ids \"..\" | --chat TEXT) "
             "[--cond \"NAME: FLAGS\"].. [--each KIND[@L,..]] [--k-sweep N,..] [-n 16] [intervention flags] [--json]",
    .summary = "Conditions side by side on a prompt: continuation, next token, KL and routing overlap.",
    .details = CLI_COND_DETAILS "\n\n" CLI_IV_DETAILS,
    .definitions = compare_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_PROMPT_OPTS, CLI_IV_OPTS, CLI_COND_OPTS,
              { "--max-tokens", 'n', "N", "greedy tokens per condition (default 16)" },
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" }, { NULL, 0, NULL, NULL } },
    .run = run_compare,
};
