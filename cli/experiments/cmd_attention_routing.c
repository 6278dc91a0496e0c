/* `moetop attention-routing`: across contexts that share a target token, do
 * contexts whose target attends alike also route alike? Per layer, the
 * Mantel test between attention-pattern similarity and routing (Jaccard)
 * similarity (experiments/attention.h computes; engine/session.h gives the
 * attention probabilities as the forward pass computes them). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/model_args.h"
#include "exp_args.h"
#include "experiments/attention.h"
#include "experiments/routes.h"
#include "experiments/significance.h"

static const char *const attention_routing_definitions[] = {
    "target       the last occurrence of --token's ids in the context, else of \" \" + TEXT's;",
    "             its last token's position (as `moetop context`)",
    "attention    per head, the target's attention probabilities by offset back from it",
    "pattern      (0..--offsets-1) and the sink's share, as the forward pass computes them",
    "             (sliding window and sinks included)",
    "attention    mean over heads of the cosine of two contexts' patterns",
    "similarity",
    "routing      |A ∩ B| / |A ∪ B| of the two contexts' selected sets at the target",
    "similarity",
    "Mantel r     Pearson correlation of the two similarities over all pairs of contexts; p: the",
    "             share of --permutations relabellings of the contexts (seeded) with r' >= r,",
    "             (1 + count) / (1 + permutations); - (JSON null) with r when a similarity does not",
    "             vary: no test",
    "p Holm       p adjusted by Holm's step-down method across the run's tested layers (JSON",
    "             p_mantel_holm); \"associated\" only when p Holm < 0.05",
    "relabellings n! distinct relabellings of n contexts: p cannot go below 1/n! however many",
    "             permutations (3 contexts: 6, p >= 0.167); the output says so when 1/n! is",
    "             above 1/(1 + permutations) (JSON relabellings, p_floor = the larger of the two)",
    "most         the positions with the highest attention averaged over heads (JSON)",
    "attended",
    NULL,
};

static int opt_index(const cli_args *a, const char *name) {
    for (int i = 0; a->cmd->opts[i].name; i++)
        if (strcmp(a->cmd->opts[i].name, name) == 0) return i;
    return -1;
}

/* the last position where needle occurs in hay ending there, or -1 */
static long last_occurrence(const mt_ids *hay, const mt_ids *needle) {
    if (needle->n == 0 || needle->n > hay->n) return -1;
    for (size_t end = hay->n; end >= needle->n; end--)
        if (memcmp(hay->ids + end - needle->n, needle->ids, needle->n * sizeof *needle->ids) == 0) return (long)end - 1;
    return -1;
}

typedef struct ctx_result {
    uint32_t position, id;
    bool spaced; /* the target was " " + TEXT */
    double *pattern;   /* [L][n_head][D + 1] */
    uint8_t *selected; /* [L][E] */
    uint32_t *top;     /* [L][3] most attended positions */
    double *top_w;     /* [L][3] */
} ctx_result;

static int run_attention_routing(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    uint64_t seed;
    uint32_t D = 32, perms = 999;
    if (!cli_seed(a, &seed) || !cli_get_u32(a, "--offsets", 1, 4096, &D) || !cli_get_u32(a, "--permutations", 1, 1000000, &perms))
        return CLI_EXIT_USAGE;
    const char *token = cli_get(a, "--token"), *file = cli_get(a, "--contexts-file");
    int ci = opt_index(a, "--context");
    if (!token) return cli_usage_error(a->cmd, "--token: the target token's text is required");
    if (!file && a->count[ci] == 0)
        return cli_usage_error(a->cmd, "no contexts: give --context TEXT (repeatable, at least 3) or --contexts-file FILE");
    if (file && a->count[ci] > 0) return cli_usage_error(a->cmd, "give --context (repeatable) or --contexts-file, not both");
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    const mt_hparams *hp = &cm.m->hp;
    uint32_t L = hp->n_layer, E = hp->n_expert, H = hp->n_head;
    cli_corpus c = { 0 };
    mt_interventions iv = { 0 };
    mt_ids want = { 0 }, spaced = { 0 };
    ctx_result *res = NULL;
    mt_session *s = NULL;
    float *probs = NULL, *sink = NULL;
    double *sim_a = NULL, *sim_r = NULL;
    mt_err err;
    rc = cli_interventions(a, cm.m, &iv);
    if (!rc && file) rc = cli_corpus_load_file(file, "contexts", &cm, &c);
    for (int i = 0; !rc && !file && i < a->count[ci]; i++) {
        mt_ids ids = { 0 };
        const char *t = a->values[ci][i];
        if (!mt_tok_encode(cm.tok, t, strlen(t), cli_has(a, "--special"), &ids)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        cli_prompt_item *grown = rc ? NULL : realloc(c.items, (c.n_items + 1) * sizeof *grown);
        if (!rc && !grown) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        if (rc) mt_ids_free(&ids);
        else {
            c.items = grown;
            c.items[c.n_items] = (cli_prompt_item){ 0, (uint32_t)c.n_items, ids };
            c.n_items++;
        }
    }
    if (!rc && c.n_items < 3) rc = cli_error(CLI_EXIT_USAGE, "%s: %zu context%s: the Mantel test needs at least 3", file ? file : "--context", c.n_items, c.n_items == 1 ? "" : "s");
    size_t tlen = strlen(token);
    char *sp = malloc(tlen + 2);
    if (!rc && sp) {
        sp[0] = ' ';
        memcpy(sp + 1, token, tlen + 1);
        if (!mt_tok_encode(cm.tok, token, tlen, false, &want) || !mt_tok_encode(cm.tok, sp, tlen + 1, false, &spaced)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    } else if (!rc) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    free(sp);
    if (!rc && want.n == 0) rc = cli_error(CLI_EXIT_USAGE, "--token: '%s' has no tokens", token);
    size_t n = c.n_items;
    if (!rc) {
        res = calloc(n, sizeof *res);
        probs = malloc(((size_t)H * hp->n_ctx + 1) * sizeof *probs);
        sink = malloc(H * sizeof *sink);
        sim_a = calloc(n * n, sizeof *sim_a);
        sim_r = calloc(n * n, sizeof *sim_r);
        if (!res || !probs || !sink || !sim_a || !sim_r) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    for (size_t i = 0; !rc && i < n; i++) {
        long at = last_occurrence(&c.items[i].ids, &want);
        res[i].spaced = at < 0;
        if (at < 0) at = last_occurrence(&c.items[i].ids, &spaced);
        if (at < 0) {
            rc = cli_error(CLI_EXIT_USAGE, "%s: context %zu: the token '%s' does not occur in it", file ? file : "--context", i + 1, token);
            break;
        }
        res[i].position = (uint32_t)at;
        res[i].id = c.items[i].ids.ids[at];
        res[i].pattern = calloc((size_t)L * H * (D + 1), sizeof *res[i].pattern);
        res[i].selected = calloc((size_t)L * E, 1);
        res[i].top = calloc((size_t)L * 3, sizeof *res[i].top);
        res[i].top_w = calloc((size_t)L * 3, sizeof *res[i].top_w);
        if (!res[i].pattern || !res[i].selected || !res[i].top || !res[i].top_w) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        /* a fresh session evaluates the context up to its target */
        mt_session_free(s);
        if (!rc && !(s = mt_session_new(cm.m, cm.be, &err))) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        if (!rc && (!mt_session_capture_attention(s, true) || !mt_session_set_interventions(s, &iv))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        if (!rc && !mt_session_append(s, c.items[i].ids.ids, (uint32_t)at + 1, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        for (uint32_t l = 0; !rc && l < L; l++) {
            if (!mt_session_attention(s, l, (uint32_t)at, probs, sink, NULL, &err)) {
                rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
                break;
            }
            mt_attention_pattern(probs, sink, H, (uint32_t)at, D, res[i].pattern + (size_t)l * H * (D + 1));
            uint32_t got = (uint32_t)at + 1 < 3 ? (uint32_t)at + 1 : 3;
            mt_attention_top(probs, H, (uint32_t)at, got, res[i].top + (size_t)l * 3, res[i].top_w + (size_t)l * 3);
            for (uint32_t k = got; k < 3; k++) res[i].top_w[(size_t)l * 3 + k] = NAN;
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t k = mt_session_route(s, l, (uint32_t)at, &ex, &w, &margin);
            for (uint32_t q = 0; q < k; q++)
                if (w[q] > 0.0f && ex[q] < E) res[i].selected[(size_t)l * E + ex[q]] = 1;
        }
    }
    bool json = cli_has(a, "--json");
    mt_json j = { 0 };
    if (!rc && json) {
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "model", cli_base_name(cm.path));
        mt_json_kv_str(&j, "token", token);
        mt_json_kv_u64(&j, "offsets", D);
        mt_json_kv_u64(&j, "permutations", perms);
        mt_json_kv_u64(&j, "seed", seed);
        mt_json_key(&j, "contexts");
        mt_json_begin_array(&j);
        for (size_t i = 0; i < n; i++) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "position", res[i].position);
            mt_json_kv_u64(&j, "id", res[i].id);
            mt_json_key(&j, "target_ids");
            mt_json_begin_array(&j);
            const mt_ids *t = res[i].spaced ? &spaced : &want;
            for (size_t k = 0; k < t->n; k++) mt_json_u64(&j, t->ids[k]);
            mt_json_end_array(&j);
            mt_json_key(&j, "most_attended");
            mt_json_begin_array(&j);
            for (uint32_t l = 0; l < L; l++) {
                mt_json_begin_array(&j);
                for (uint32_t k = 0; k < 3 && !isnan(res[i].top_w[(size_t)l * 3 + k]); k++) {
                    uint32_t p = res[i].top[(size_t)l * 3 + k];
                    mt_json_begin_object(&j);
                    mt_json_kv_u64(&j, "position", p);
                    mt_json_kv_u64(&j, "id", c.items[i].ids.ids[p]);
                    mt_json_kv_f64(&j, "weight", res[i].top_w[(size_t)l * 3 + k]);
                    mt_json_end_object(&j);
                }
                mt_json_end_array(&j);
            }
            mt_json_end_array(&j);
            mt_json_end_object(&j);
        }
    } else if (!rc) {
        printf("%s: attention against routing at '%s' over %zu contexts; Mantel test, %u permutations (seed %llu)\n",
               cli_base_name(cm.path), token, n, perms, (unsigned long long)seed);
        printf("attention: patterns over %u offsets and the sink, cosine averaged over heads; routing: Jaccard\n\n", D);
    }
    double *lr = calloc((size_t)L * 5 + 1, sizeof *lr); /* [L] r, p, Holm p, attention mean, routing mean */
    if (!rc && !lr) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t l = 0; !rc && l < L; l++) {
        double ma = 0, mr = 0, r, p;
        for (size_t x = 0; x < n; x++)
            for (size_t y = 0; y < n; y++) {
                sim_a[x * n + y] = mt_attention_similarity(res[x].pattern + (size_t)l * H * (D + 1), res[y].pattern + (size_t)l * H * (D + 1), H, D);
                const uint8_t *A = res[x].selected + (size_t)l * E, *B = res[y].selected + (size_t)l * E;
                uint32_t in = 0, un = 0;
                for (uint32_t e = 0; e < E; e++) in += A[e] && B[e], un += A[e] || B[e];
                sim_r[x * n + y] = un ? (double)in / un : 0.0;
                if (x < y) ma += sim_a[x * n + y], mr += sim_r[x * n + y];
            }
        ma /= (double)n * (n - 1) / 2;
        mr /= (double)n * (n - 1) / 2;
        if (!mt_mantel(sim_a, sim_r, (uint32_t)n, perms, seed + l, &r, &p)) {
            rc = cli_error(CLI_EXIT_FAIL, "out of memory");
            break;
        }
        if (isnan(r)) p = NAN; /* no variation: no test, no p */
        lr[l] = r, lr[L + l] = p, lr[3 * (size_t)L + l] = ma, lr[4 * (size_t)L + l] = mr;
    }
    /* Holm's adjustment over the layers with a test */
    size_t tested = 0;
    for (uint32_t l = 0; !rc && l < L; l++)
        if (!isnan(lr[L + l])) lr[2 * (size_t)L + tested++] = lr[L + l];
    if (!rc) {
        double *adj = lr + 2 * (size_t)L;
        mt_holm(adj, tested, adj);
        for (uint32_t l = L; l-- > 0;) /* spread back to the layers, from the end so nothing unread is overwritten */
            if (!isnan(lr[L + l])) adj[l] = adj[--tested];
            else adj[l] = NAN;
    }
    double fact = 1; /* n!, the distinct relabellings */
    for (size_t i = 2; i <= n && fact < 1e18; i++) fact *= (double)i;
    double floor_perm = 1.0 / (1.0 + perms), floor_exact = 1.0 / fact, p_floor = floor_exact > floor_perm ? floor_exact : floor_perm;
    if (!rc && json) {
        mt_json_end_array(&j);
        mt_json_key(&j, "relabellings");
        if (fact < 1e18) mt_json_u64(&j, (uint64_t)fact);
        else mt_json_null(&j);
        mt_json_kv_f64(&j, "p_floor", p_floor);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
    } else if (!rc && floor_exact > floor_perm)
        printf("%zu contexts: at most %.0f distinct permutations: p cannot go below %.4f%s\n\n", n, fact, floor_exact,
               floor_exact >= 0.05 ? ", so no layer can be called associated (give more contexts)" : "");
    if (!rc && !json) printf("%5s  %14s  %14s  %8s  %8s  %8s  %s\n", "layer", "attention sim.", "routing sim.", "r", "p", "p Holm", "reading");
    for (uint32_t l = 0; !rc && l < L; l++) {
        double r = lr[l], p = lr[L + l], ph = lr[2 * (size_t)L + l], ma = lr[3 * (size_t)L + l], mr = lr[4 * (size_t)L + l];
        if (json) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            mt_json_kv_f64(&j, "attention_similarity_mean", ma);
            mt_json_kv_f64(&j, "routing_jaccard_mean", mr);
            mt_json_kv_f64(&j, "mantel_r", r);
            mt_json_kv_f64(&j, "p_mantel", p);
            mt_json_kv_f64(&j, "p_mantel_holm", ph);
            mt_json_end_object(&j);
        } else {
            char b[3][24];
            snprintf(b[0], 24, isnan(r) ? "-" : "%.4f", r);
            snprintf(b[1], 24, isnan(p) ? "-" : "%.4f", p);
            snprintf(b[2], 24, isnan(ph) ? "-" : "%.4f", ph);
            printf("%5u  %14.4f  %14.4f  %8s  %8s  %8s  %s\n", l, ma, mr, b[0], b[1], b[2],
                   isnan(r)                ? "no variation: no test"
                   : floor_exact >= 0.05   ? "too few contexts for a test"
                   : ph < 0.05             ? "associated beyond chance"
                                           : "no evidence of association");
        }
    }
    free(lr);
    if (!rc && json) {
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        rc = mt_json_finish(&j);
    } else if (json) mt_json_free(&j);
    else if (!rc) rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    for (size_t i = 0; res && i < n; i++) {
        free(res[i].pattern);
        free(res[i].selected);
        free(res[i].top);
        free(res[i].top_w);
    }
    free(res);
    free(probs);
    free(sink);
    free(sim_a);
    free(sim_r);
    mt_session_free(s);
    mt_ids_free(&want);
    mt_ids_free(&spaced);
    mt_iv_free(&iv);
    cli_corpus_free(&c);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_attention_routing = {
    .name = "attention-routing",
    .usage = "moetop attention-routing -m MODEL.gguf (--context TEXT).. | --contexts-file F  --token TEXT [--offsets 32] "
             "[--permutations 999] [--seed S] [--special] [intervention flags] [--json]",
    .summary = "Do contexts that attend alike at a token also route alike? Mantel test per layer.",
    .details = "At least three contexts, each holding the target token. --contexts-file is in the prompt-set format\n"
               "(prompts separated by blank lines; special-token strings are special tokens); --context text is\n"
               "plain unless --special.\n\n" CLI_IV_DETAILS,
    .definitions = attention_routing_definitions,
    .opts = { CLI_MODEL_OPTS, { "--context", 0, "TEXT", "a context (repeatable)", true },
              { "--contexts-file", 0, "FILE", "contexts in the prompt-set format" },
              { "--token", 0, "TEXT", "the target token's text" },
              { "--special", 0, NULL, "special-token strings in --context are special tokens" }, CLI_IV_OPTS,
              { "--offsets", 0, "D", "attention offsets compared, back from the target (default 32)" },
              { "--permutations", 0, "N", "Mantel permutations (default 999)" },
              { "--seed", 0, "S", "seed of the permutations (default 0)" },
              { "--json", 0, NULL, "one JSON object on stdout" }, { NULL, 0, NULL, NULL } },
    .run = run_attention_routing,
};
