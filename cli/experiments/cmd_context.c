/* `moetop context`: one target token in several contexts, its routing per
 * layer and the agreement across contexts (experiments/context.h computes;
 * this file finds the target, parses and prints). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/json_token.h"
#include "cli/model_args.h"
#include "cli/stats_input.h"
#include "cli/text.h"
#include "exp_args.h"
#include "experiments/context.h"
#include "experiments/attention.h"
#include "experiments/routing.h"

static const char *const context_definitions[] = {
    "target       the last occurrence of TEXT's token ids in the context (matched id by id,",
    "             never by substring), else of \" \" + TEXT's ids; target_ids says which;",
    "             the routing shown is that of its last token (position, id)",
    "topk         the experts selected, in the router's rank order, with the weights applied",
    "entropy      H(softmax(z)) / ln E over all E experts, z the biased router logits",
    "distinct     per layer, the number of distinct top experts (highest weight, ties to the",
    "             earlier topk entry) among the contexts",
    "jaccard      per layer, the mean over pairs of contexts of |A n B| / |A u B|, A and B",
    "             the selected sets (weight > 0); n/a with fewer than two contexts",
    "attended     (--json) per layer, the three positions the target's last token attends to",
    "             most: the mean over heads of its attention probabilities as the forward",
    "             pass computes them (sinks and the sliding window included), ties to the",
    "             earlier position",
    "start/later  the same within contexts where the target is the first thing (its ids",
    "             begin at position 0: a position effect) and within the others (a context",
    "             effect); across: pairs of one of each",
    NULL,
};

typedef struct ctx_input {
    cli_corpus corpus;   /* each item one context */
    bool bundled;        /* the bundled prompt sets: contexts without the target are skipped */
} ctx_input;

static int load_contexts(const cli_args *a, const cli_model *cm, ctx_input *in) {
    memset(in, 0, sizeof *in);
    const char *file = cli_get(a, "--contexts-file");
    int given = 0;
    for (int i = 0; a->cmd->opts[i].name; i++)
        if (strcmp(a->cmd->opts[i].name, "--context") == 0) given = a->count[i];
    if (file && given) return cli_usage_error(a->cmd, "--contexts-file: give contexts with --context or a file, not both");
    if ((file || given) && (cli_get(a, "--prompt") || cli_get(a, "--prompt-file") || cli_get(a, "--ids") || cli_get(a, "--prompts")))
        return cli_usage_error(a->cmd, "--context: give contexts with --context, --contexts-file or the prompt flags, not several");
    if (file) return cli_corpus_load_file(file, "contexts", cm, &in->corpus);
    if (!given) {
        in->bundled = true;
        return cli_corpus_load(a, cm, &in->corpus);
    }
    cli_corpus *c = &in->corpus;
    c->domains = malloc(sizeof *c->domains);
    c->items = calloc((size_t)given, sizeof *c->items);
    if (!c->domains || !c->items || !(c->domains[0] = strdup("contexts"))) return cli_error(CLI_EXIT_FAIL, "out of memory");
    c->n_domains = 1;
    int opt = 0;
    while (strcmp(a->cmd->opts[opt].name, "--context") != 0) opt++;
    for (int i = 0; i < given; i++) {
        const char *text = a->values[opt][i];
        cli_prompt_item *it = &c->items[c->n_items++];
        it->index = (uint32_t)i;
        if (!mt_tok_encode(cm->tok, text, strlen(text), cli_has(a, "--special"), &it->ids)) return cli_error(CLI_EXIT_FAIL, "out of memory");
        if (it->ids.n == 0) return cli_error(CLI_EXIT_USAGE, "--context %d: the context has no tokens", i + 1);
        if (it->ids.n > cm->m->hp.n_ctx)
            return cli_error(CLI_EXIT_USAGE, "--context %d: %zu tokens are more than the model's context of %u", i + 1, it->ids.n, cm->m->hp.n_ctx);
    }
    return 0;
}

typedef struct ctx_found {
    size_t item;         /* index into the corpus */
    bool spaced;         /* " " + TEXT's ids were used */
    mt_context_item r;
    uint32_t n_att;      /* attended positions kept per layer (at most ATTENDED) */
    uint32_t *att_pos;   /* [L][ATTENDED]: the target's most attended positions ... */
    double *att_w;       /* [L][ATTENDED]: ... and their attention, the mean over heads */
} ctx_found;

#define ATTENDED 3

static void put_text(mt_json *j, const cli_model *cm, const mt_ids *ids) {
    mt_bytes text = { 0 };
    for (size_t i = 0; i < ids->n; i++) {
        size_t len;
        const char *b = mt_tok_bytes(cm->tok, ids->ids[i], &len);
        mt_bytes_put(&text, b, len);
    }
    mt_json_string_n(j, (const char *)text.data, text.len);
    mt_bytes_free(&text);
}

static void print_ids_text(const cli_model *cm, const uint32_t *ids, size_t n, size_t max_cols) {
    mt_bytes text = { 0 };
    for (size_t i = 0; i < n; i++) {
        size_t len;
        const char *b = mt_tok_bytes(cm->tok, ids[i], &len);
        mt_bytes_put(&text, b, len);
    }
    putchar('"');
    mt_print_escaped(stdout, (const char *)text.data, text.len, max_cols);
    putchar('"');
    mt_bytes_free(&text);
}

static void json_opt_f64(mt_json *j, const char *key, double v) {
    mt_json_key(j, key);
    mt_json_f64(j, v); /* NaN (no pair) is null */
}

static int print_json(const cli_model *cm, const ctx_input *in, const ctx_found *f, size_t n, const mt_ids *plain,
                      const mt_ids *spaced, const mt_context_layer *sum, size_t skipped) {
    uint32_t L = cm->m->hp.n_layer, E = cm->m->hp.n_expert;
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "model", cli_base_name(cm->path));
    mt_json_kv_u64(&j, "skipped", skipped);
    mt_json_key(&j, "contexts");
    mt_json_begin_array(&j);
    for (size_t c = 0; c < n; c++) {
        const mt_context_item *r = &f[c].r;
        const mt_ids *target = f[c].spaced ? spaced : plain;
        mt_json_begin_object(&j);
        mt_json_key(&j, "text");
        put_text(&j, cm, &in->corpus.items[f[c].item].ids);
        mt_json_kv_u64(&j, "position", r->position);
        mt_json_kv_u64(&j, "id", r->id);
        mt_json_kv_u64(&j, "start", r->start);
        mt_json_key(&j, "target_ids");
        mt_json_begin_array(&j);
        for (size_t i = 0; i < target->n; i++) mt_json_u64(&j, target->ids[i]);
        mt_json_end_array(&j);
        mt_json_key(&j, "spaced");
        mt_json_bool(&j, f[c].spaced);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < L; l++) {
            mt_json_begin_object(&j);
            mt_json_key(&j, "topk");
            mt_json_begin_array(&j);
            for (uint32_t i = 0; i < r->n_sel[l]; i++) mt_json_u64(&j, r->experts[(size_t)l * E + i]);
            mt_json_end_array(&j);
            mt_json_key(&j, "weights");
            mt_json_begin_array(&j);
            for (uint32_t i = 0; i < r->n_sel[l]; i++) mt_json_f32(&j, r->weights[(size_t)l * E + i]);
            mt_json_end_array(&j);
            mt_json_key(&j, "top");
            int32_t top = mt_route_top(r->experts + (size_t)l * E, r->weights + (size_t)l * E, r->n_sel[l]);
            if (top < 0) mt_json_null(&j);
            else mt_json_u64(&j, (uint64_t)top);
            json_opt_f64(&j, "entropy", r->entropy[l]);
            mt_json_key(&j, "attended");
            mt_json_begin_array(&j);
            for (uint32_t i = 0; i < f[c].n_att; i++) {
                mt_json_begin_object(&j);
                mt_json_kv_u64(&j, "position", f[c].att_pos[(size_t)l * ATTENDED + i]);
                mt_json_kv_f64(&j, "weight", f[c].att_w[(size_t)l * ATTENDED + i]);
                mt_json_end_object(&j);
            }
            mt_json_end_array(&j);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_key(&j, "layers");
    mt_json_begin_array(&j);
    for (uint32_t l = 0; l < L; l++) {
        mt_json_begin_object(&j);
        mt_json_kv_u64(&j, "layer", l);
        mt_json_kv_u64(&j, "distinct_top", sum[l].distinct_top);
        json_opt_f64(&j, "jaccard_mean", sum[l].jaccard_mean);
        mt_json_kv_u64(&j, "distinct_top_start", sum[l].distinct_top_start);
        mt_json_kv_u64(&j, "distinct_top_later", sum[l].distinct_top_later);
        json_opt_f64(&j, "jaccard_start", sum[l].jaccard_start);
        json_opt_f64(&j, "jaccard_later", sum[l].jaccard_later);
        json_opt_f64(&j, "jaccard_across", sum[l].jaccard_across);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

static int print_csv(const cli_model *cm, const ctx_found *f, size_t n) {
    uint32_t L = cm->m->hp.n_layer, E = cm->m->hp.n_expert;
    printf("context,position,id,layer,rank,expert,weight,entropy\n");
    for (size_t c = 0; c < n; c++)
        for (uint32_t l = 0; l < L; l++)
            for (uint32_t i = 0; i < f[c].r.n_sel[l]; i++)
                printf("%zu,%u,%u,%u,%u,%u,%.9g,%.9g\n", c, f[c].r.position, f[c].r.id, l, i, f[c].r.experts[(size_t)l * E + i],
                       f[c].r.weights[(size_t)l * E + i], f[c].r.entropy[l]);
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static void print_mean(double x) {
    if (isnan(x)) printf(" %7s", "n/a");
    else printf(" %7.3f", x);
}

static int print_table(const cli_model *cm, const ctx_input *in, const ctx_found *f, size_t n, const mt_context_layer *sum,
                       size_t skipped) {
    uint32_t L = cm->m->hp.n_layer, E = cm->m->hp.n_expert;
    printf("%s: the target in %zu context%s", cli_base_name(cm->path), n, n == 1 ? "" : "s");
    if (skipped) printf(" (%zu prompt%s without it skipped)", skipped, skipped == 1 ? "" : "s");
    printf("; topk as expert:weight in rank order, H = router entropy over all experts / ln E\n");
    for (size_t c = 0; c < n; c++) {
        const mt_context_item *r = &f[c].r;
        const mt_ids *ids = &in->corpus.items[f[c].item].ids;
        printf("\n#%zu ", c);
        print_ids_text(cm, ids->ids, ids->n, 60);
        printf("  position %u, id %u ", r->position, r->id);
        print_ids_text(cm, &r->id, 1, 20);
        printf("%s%s\n", f[c].spaced ? ", found as \" \" + TEXT" : "", r->start == 0 ? ", at the start" : "");
        for (uint32_t l = 0; l < L; l++) {
            printf("  layer %2u  H %.3f  ", l, r->entropy[l]);
            for (uint32_t i = 0; i < r->n_sel[l]; i++) printf(" %u:%.3f", r->experts[(size_t)l * E + i], r->weights[(size_t)l * E + i]);
            putchar('\n');
        }
    }
    printf("\nacross contexts (distinct top experts; mean pairwise Jaccard of the selected sets):\n");
    printf("layer  distinct  jaccard   start-distinct  later-distinct  J-start J-later J-across\n");
    for (uint32_t l = 0; l < L; l++) {
        printf("%5u  %8u ", l, sum[l].distinct_top);
        print_mean(sum[l].jaccard_mean);
        printf("   %14u  %14u ", sum[l].distinct_top_start, sum[l].distinct_top_later);
        print_mean(sum[l].jaccard_start);
        print_mean(sum[l].jaccard_later);
        print_mean(sum[l].jaccard_across);
        putchar('\n');
    }
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static int run_context(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    const char *token = cli_get(a, "--token");
    if (!token || !*token) return cli_usage_error(a->cmd, "--token: the target TEXT is required (and not empty)");
    uint64_t seed;
    if (!cli_seed(a, &seed)) return CLI_EXIT_USAGE;
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    uint32_t L = cm.m->hp.n_layer, E = cm.m->hp.n_expert;
    ctx_input in;
    mt_ids plain = { 0 }, spaced = { 0 };
    mt_interventions iv = { 0 };
    ctx_found *found = NULL;
    size_t n_found = 0, skipped = 0;
    mt_context_layer *sum = NULL;
    mt_session *s = NULL;
    rc = load_contexts(a, &cm, &in);
    if (rc) goto done;
    if ((rc = cli_interventions(a, cm.m, &iv))) goto done;
    size_t tlen = strlen(token);
    char *sp = malloc(tlen + 2);
    if (!sp) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    sp[0] = ' ';
    memcpy(sp + 1, token, tlen + 1);
    bool special = cli_has(a, "--special") || (in.bundled || cli_get(a, "--contexts-file"));
    bool ok = mt_tok_encode(cm.tok, token, tlen, special, &plain) && mt_tok_encode(cm.tok, sp, tlen + 1, special, &spaced);
    free(sp);
    if (!ok) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    found = calloc(in.corpus.n_items ? in.corpus.n_items : 1, sizeof *found);
    sum = calloc(L, sizeof *sum);
    mt_err err;
    if (!found || !sum || !(s = mt_session_new(cm.m, cm.be, &err))) {
        rc = cli_error(CLI_EXIT_FAIL, "%s", found && sum ? err.msg : "out of memory");
        goto done;
    }
    mt_session_skip_logits(s, true); /* the trace is all context reads */
    if (!mt_session_capture_attention(s, true)) { /* for each target's most attended tokens */
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    float *probs = NULL;
    mt_session_set_interventions(s, &iv);
    cli_progress pr;
    cli_progress_begin(&pr, "context", "contexts");
    for (size_t i = 0; i < in.corpus.n_items && !rc; i++) {
        const mt_ids *ids = &in.corpus.items[i].ids;
        int64_t at = mt_ids_find_last(ids->ids, ids->n, plain.ids, plain.n);
        bool use_spaced = false;
        if (at < 0 && (at = mt_ids_find_last(ids->ids, ids->n, spaced.ids, spaced.n)) >= 0) use_spaced = true;
        if (at < 0) {
            if (in.bundled) {
                skipped++;
                continue;
            }
            rc = cli_error(CLI_EXIT_USAGE, "context %zu: the target \"%s\" is not in it (as its token ids, nor after a space)", i + 1, token);
            break;
        }
        uint32_t last = (uint32_t)at + (uint32_t)(use_spaced ? spaced.n : plain.n) - 1;
        mt_session_truncate(s, 0);
        if (!mt_session_append(s, ids->ids, last + 1, &err)) { /* what follows the target cannot change its routing */
            rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            break;
        }
        found[n_found].item = i;
        found[n_found].spaced = use_spaced;
        ctx_found *fc = &found[n_found];
        uint32_t H = cm.m->hp.n_head;
        fc->n_att = last + 1 < ATTENDED ? last + 1 : ATTENDED;
        fc->att_pos = calloc((size_t)L * ATTENDED, sizeof *fc->att_pos);
        fc->att_w = calloc((size_t)L * ATTENDED, sizeof *fc->att_w);
        float *grown = realloc(probs, (size_t)H * (last + 1) * sizeof *probs);
        if (grown) probs = grown;
        if (!fc->att_pos || !fc->att_w || !grown || !mt_context_capture(s, (uint32_t)at, last, L, E, &fc->r)) {
            free(fc->att_pos);
            free(fc->att_w);
            rc = cli_error(CLI_EXIT_FAIL, "out of memory");
            break;
        }
        n_found++;
        for (uint32_t l = 0; l < L && !rc; l++) {
            if (!mt_session_attention(s, l, last, probs, NULL, NULL, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
            else mt_attention_top(probs, H, last, fc->n_att, fc->att_pos + (size_t)l * ATTENDED, fc->att_w + (size_t)l * ATTENDED);
        }
        cli_progress_fn(&pr, i + 1, in.corpus.n_items);
    }
    cli_progress_end(&pr);
    free(probs);
    if (rc) goto done;
    if (n_found == 0) {
        rc = cli_error(CLI_EXIT_USAGE, "--token: \"%s\" is in none of the %zu prompts", token, in.corpus.n_items);
        goto done;
    }
    mt_context_item *items = malloc(n_found * sizeof *items);
    if (!items) {
        rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        goto done;
    }
    for (size_t i = 0; i < n_found; i++) items[i] = found[i].r;
    for (uint32_t l = 0; l < L && !rc; l++)
        if (!mt_context_summarize(items, n_found, l, &sum[l])) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    free(items);
    if (rc) goto done;
    if (cli_has(a, "--json")) rc = print_json(&cm, &in, found, n_found, &plain, &spaced, sum, skipped);
    else if (cli_has(a, "--csv")) rc = print_csv(&cm, found, n_found);
    else rc = print_table(&cm, &in, found, n_found, sum, skipped);
done:
    mt_session_free(s);
    for (size_t i = 0; found && i < n_found; i++) {
        mt_context_item_free(&found[i].r);
        free(found[i].att_pos);
        free(found[i].att_w);
    }
    free(found);
    free(sum);
    mt_iv_free(&iv);
    mt_ids_free(&plain);
    mt_ids_free(&spaced);
    cli_corpus_free(&in.corpus);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_context = {
    .name = "context",
    .usage = "moetop context -m MODEL.gguf --token TEXT ((--context TEXT).. | --contexts-file FILE | --prompts DIR) "
             "[intervention flags] [--json | --csv]",
    .summary = "One token in several contexts: its routing per layer, and how much the contexts agree.",
    .details = "Without --context or --contexts-file, the contexts are the prompts of the bundled prompt sets (or\n"
               "--prompts DIR) that hold the target; the others are skipped and counted. --contexts-file is in the\n"
               "prompt-set format (prompts separated by blank lines; special-token strings are special tokens).\n"
               "Only the tokens up to the target are evaluated: a causal model's routing there cannot depend on\n"
               "what follows.\n\n" CLI_IV_DETAILS,
    .definitions = context_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,
              { "--token", 0, "TEXT", "the target (one or several tokens)" },
              { "--context", 0, "TEXT", "a context holding the target (repeatable)", true },
              { "--contexts-file", 0, "FILE", "contexts in the prompt-set format" },
              { "--seed", 0, "S", "seed for anything random (default 0; nothing here is)" },
              { "--csv", 0, NULL, "one row per context, layer and rank (RFC 4180)" },
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" }, { NULL, 0, NULL, NULL } },
    .run = run_context,
};
