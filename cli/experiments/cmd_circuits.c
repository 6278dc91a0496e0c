/* `moetop circuits`: contingency tables between the top experts of pairs of
 * layers, their NMI against a shuffled baseline, the strongest transitions and
 * the most frequent top-expert paths (experiments/circuits.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "cli/stats_input.h"
#include "exp_args.h"
#include "experiments/circuits.h"
#include "experiments/routes.h"
#include "experiments/significance.h"
#include "structure.h"

#define SHUFFLES 100

static const char *const circuits_definitions[] = {
    "top expert  the selected expert with the highest mixing weight (ties: the earlier in topk)",
    "counts      counts[i][j]: tokens whose top expert is i at layer `from` and j at layer `to`,",
    "            over every token of every prompt (tokens with no selected expert left out).",
    "            Expert ids are never compared across layers: i and j name different networks",
    "P(j|i)      counts[i][j] / sum_j counts[i][j]; P(j): the share of tokens whose top expert at",
    "            `to` is j, what P(j|i) would be if the layers were independent",
    "NMI         I / sqrt(H_from H_to) of the counts, natural logs; 0 when either entropy is 0.",
    "            Invariant to renaming either layer's experts",
    "shuffled    mean NMI over 100 shuffles (seeded by --seed) of the tokens' top experts at `to`:",
    "            loads kept, pairing broken; p = (1 + shuffles with NMI >= observed) / 101.",
    "            Fewer than two tokens: no NMI, shuffled or p (- ; JSON null)",
    "p Holm      p adjusted by Holm's step-down method across the run's tested pairs (JSON",
    "            p_shuffled_holm); \"beyond chance\" only when p Holm < 0.05. m pairs cannot give",
    "            a Holm p below m/101: the output says so when that is >= 0.05",
    "path        a token's top experts over the consecutive layers of --path-layers; support:",
    "            its tokens / the tokens with a path",
    NULL,
};

typedef struct circ_run {
    cli_shard_head head;
    uint32_t E, n_pairs, path_from, path_width, top_n;
    uint32_t (*pairs)[2];
    uint64_t *counts; /* [n_pairs][E][E] */
    mt_paths paths;
} circ_run;

static void run_free(circ_run *r) {
    free(r->pairs);
    free(r->counts);
    mt_paths_free(&r->paths);
}

/* --pairs "L:L2,..": each two layers in range and different. */
static int parse_pairs(const char *v, uint32_t L, circ_run *r) {
    size_t cap = strlen(v) / 2 + 1;
    r->pairs = calloc(cap, sizeof *r->pairs);
    if (!r->pairs) return cli_error(CLI_EXIT_FAIL, "out of memory");
    const char *p = v;
    while (*p) {
        char *end;
        unsigned long a = strtoul(p, &end, 10);
        if (end == p || *end != ':' || *p == '-' || *p == '+') goto bad;
        const char *q = end + 1;
        unsigned long b = strtoul(q, &end, 10);
        if (end == q || *q == '-' || *q == '+' || a >= L || b >= L || a == b || (*end && *end != ',')) goto bad;
        r->pairs[r->n_pairs][0] = (uint32_t)a;
        r->pairs[r->n_pairs++][1] = (uint32_t)b;
        p = *end ? end + 1 : end;
        if (*end && !*p) goto bad;
    }
    if (r->n_pairs) return 0;
bad:
    return cli_error(CLI_EXIT_USAGE, "--pairs: '%s' is not a list L:L2,.. of two different layers in 0..%u", v, L - 1);
}

/* --path-layers A:B (inclusive, A <= B) */
static int parse_path_layers(const char *v, uint32_t L, circ_run *r) {
    char *end;
    unsigned long a = strtoul(v, &end, 10), b = L;
    if (end != v && *end == ':' && *v != '-' && *v != '+') {
        const char *q = end + 1;
        b = strtoul(q, &end, 10);
        if (end == q || *end || *q == '-' || *q == '+') b = L;
    }
    if (b >= L || a > b || b - a + 1 > 64)
        return cli_error(CLI_EXIT_USAGE, "--path-layers: '%s' is not A:B with 0 <= A <= B <= %u (at most 64 layers)", v, L - 1);
    r->path_from = (uint32_t)a;
    r->path_width = (uint32_t)(b - a + 1);
    return 0;
}

typedef struct circ_ctx {
    circ_run *r;
    uint32_t L;
    uint32_t *tops; /* [L][T] of the current prompt */
} circ_ctx;

static int observe(void *vctx, size_t index, const cli_prompt_item *item, mt_session *s) {
    (void)index;
    (void)item;
    circ_ctx *c = vctx;
    circ_run *r = c->r;
    uint32_t T = mt_session_length(s);
    free(c->tops);
    c->tops = malloc(((size_t)c->L * T + 1) * sizeof *c->tops);
    if (!c->tops) return cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t l = 0; l < c->L; l++)
        for (uint32_t t = 0; t < T; t++) c->tops[(size_t)l * T + t] = mt_session_top(s, l, t);
    for (uint32_t p = 0; p < r->n_pairs; p++)
        mt_circuit_count(r->counts + (size_t)p * r->E * r->E, r->E, c->tops + (size_t)r->pairs[p][0] * T, c->tops + (size_t)r->pairs[p][1] * T, T);
    uint32_t path[64];
    for (uint32_t t = 0; t < T; t++) {
        bool whole = true;
        for (uint32_t i = 0; i < r->path_width; i++) {
            path[i] = c->tops[(size_t)(r->path_from + i) * T + t];
            whole = whole && path[i] != MT_NO_EXPERT;
        }
        if (whole && !mt_paths_add(&r->paths, path, 1)) return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    return mt_paths_compact(&r->paths) ? 0 : cli_error(CLI_EXIT_FAIL, "out of memory");
}

/* ---- output --------------------------------------------------------------------------- */

typedef struct cell {
    uint32_t i, j;
    uint64_t n;
} cell;

static int by_count(const void *a, const void *b) {
    const cell *x = a, *y = b;
    if (x->n != y->n) return x->n > y->n ? -1 : 1;
    return x->i != y->i ? (x->i < y->i ? -1 : 1) : (x->j < y->j ? -1 : x->j > y->j);
}

typedef struct pair_summary {
    uint64_t tokens;
    double nmi, shuffled, p, p_holm; /* NaN with fewer than two tokens: no test */
    uint64_t *row, *col; /* marginals [E] */
    cell *cells;         /* nonzero cells, strongest first */
    size_t n_cells;
} pair_summary;

static bool summarize(const circ_run *r, uint32_t p, pair_summary *s) {
    const uint64_t *c = r->counts + (size_t)p * r->E * r->E;
    memset(s, 0, sizeof *s);
    s->row = calloc(r->E, sizeof *s->row);
    s->col = calloc(r->E, sizeof *s->col);
    s->cells = malloc(((size_t)r->E * r->E) * sizeof *s->cells);
    if (!s->row || !s->col || !s->cells) return false;
    for (uint32_t i = 0; i < r->E; i++)
        for (uint32_t j = 0; j < r->E; j++) {
            uint64_t n = c[(size_t)i * r->E + j];
            s->row[i] += n;
            s->col[j] += n;
            s->tokens += n;
            if (n) s->cells[s->n_cells++] = (cell){ i, j, n };
        }
    qsort(s->cells, s->n_cells, sizeof *s->cells, by_count);
    s->nmi = mt_nmi(c, r->E);
    s->p_holm = NAN;
    if (!mt_nmi_shuffled(c, r->E, SHUFFLES, r->head.seed, ((uint64_t)r->pairs[p][0] << 32) | r->pairs[p][1], &s->shuffled, &s->p))
        return false;
    if (s->tokens < 2) s->nmi = s->shuffled = s->p = NAN; /* too few tokens: no numbers */
    return true;
}

/* Holm's adjustment of the pairs' p over the pairs with a test */
static bool holm_pairs(pair_summary *s, uint32_t n) {
    double *p = malloc((n + 1) * sizeof *p);
    if (!p) return false;
    size_t m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(s[i].p)) p[m++] = s[i].p;
    mt_holm(p, m, p);
    m = 0;
    for (uint32_t i = 0; i < n; i++)
        if (!isnan(s[i].p)) s[i].p_holm = p[m++];
    free(p);
    return true;
}

static uint32_t tested_pairs(const pair_summary *s, uint32_t n) {
    uint32_t m = 0;
    for (uint32_t i = 0; i < n; i++) m += !isnan(s[i].p);
    return m;
}

static const char *num4(char *buf, size_t cap, double x) {
    if (isnan(x)) return "-";
    snprintf(buf, cap, "%.4f", x);
    return buf;
}

static void summary_free(pair_summary *s) {
    free(s->row);
    free(s->col);
    free(s->cells);
}

static void json_u64s(mt_json *j, const uint64_t *x, size_t n) {
    mt_json_begin_array(j);
    for (size_t i = 0; i < n; i++) mt_json_u64(j, x[i]);
    mt_json_end_array(j);
}

static void json_pair(mt_json *j, const circ_run *r, uint32_t p, const pair_summary *s) {
    const uint64_t *c = r->counts + (size_t)p * r->E * r->E;
    mt_json_begin_object(j);
    mt_json_kv_u64(j, "from", r->pairs[p][0]);
    mt_json_kv_u64(j, "to", r->pairs[p][1]);
    mt_json_kv_u64(j, "tokens", s->tokens);
    mt_json_key(j, "counts");
    mt_json_begin_array(j);
    for (uint32_t i = 0; i < r->E; i++) json_u64s(j, c + (size_t)i * r->E, r->E);
    mt_json_end_array(j);
    mt_json_kv_f64(j, "nmi", s->nmi);
    mt_json_kv_f64(j, "nmi_shuffled", s->shuffled);
    mt_json_kv_f64(j, "p_shuffled", s->p);
    mt_json_kv_f64(j, "p_shuffled_holm", s->p_holm);
    mt_json_key(j, "top_transitions");
    mt_json_begin_array(j);
    for (size_t k = 0; k < s->n_cells && k < r->top_n; k++) {
        const cell *x = &s->cells[k];
        mt_json_begin_object(j);
        mt_json_kv_u64(j, "from_expert", x->i);
        mt_json_kv_u64(j, "to_expert", x->j);
        mt_json_kv_u64(j, "count", x->n);
        mt_json_kv_f64(j, "p_given_from", (double)x->n / (double)s->row[x->i]);
        mt_json_kv_f64(j, "p_to", (double)s->col[x->j] / (double)s->tokens);
        mt_json_end_object(j);
    }
    mt_json_end_array(j);
    mt_json_end_object(j);
}

static void json_paths(mt_json *j, const circ_run *r) {
    uint64_t total = mt_paths_total(&r->paths);
    mt_json_key(j, "paths");
    mt_json_begin_object(j);
    mt_json_kv_u64(j, "from", r->path_from);
    mt_json_kv_u64(j, "to", r->path_from + r->path_width - 1);
    mt_json_kv_u64(j, "tokens", total);
    mt_json_kv_u64(j, "distinct", r->paths.n);
    mt_json_key(j, "top");
    mt_json_begin_array(j);
    for (size_t i = 0; i < r->paths.n && i < r->top_n; i++) {
        mt_json_begin_object(j);
        mt_json_key(j, "experts");
        mt_json_begin_array(j);
        for (uint32_t k = 0; k < r->path_width; k++) mt_json_u64(j, r->paths.ids[i * r->path_width + k]);
        mt_json_end_array(j);
        mt_json_kv_u64(j, "count", r->paths.count[i]);
        mt_json_kv_f64(j, "support", (double)r->paths.count[i] / (double)total);
        mt_json_end_object(j);
    }
    mt_json_end_array(j);
    if (r->head.count > 0) { /* a shard keeps every path for merge-shards */
        mt_json_key(j, "all");
        mt_json_begin_array(j);
        for (size_t i = 0; i < r->paths.n; i++) {
            mt_json_begin_array(j);
            for (uint32_t k = 0; k < r->path_width; k++) mt_json_u64(j, r->paths.ids[i * r->path_width + k]);
            mt_json_u64(j, r->paths.count[i]);
            mt_json_end_array(j);
        }
        mt_json_end_array(j);
    }
    mt_json_end_object(j);
}

static int print_run(const circ_run *r, int mode, const char *out) { /* mode 0 text, 1 json, 2 csv */
    pair_summary *s = calloc(r->n_pairs, sizeof *s);
    int rc = s ? 0 : cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t p = 0; !rc && p < r->n_pairs; p++)
        if (!summarize(r, p, &s[p])) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    if (!rc && !holm_pairs(s, r->n_pairs)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    if (!rc && mode == 1) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        cli_shard_head_write(&j, &r->head);
        mt_json_kv_u64(&j, "n_expert", r->E);
        mt_json_kv_u64(&j, "shuffles", SHUFFLES);
        mt_json_kv_u64(&j, "top", r->top_n);
        mt_json_key(&j, "pairs");
        mt_json_begin_array(&j);
        for (uint32_t p = 0; p < r->n_pairs; p++) json_pair(&j, r, p, &s[p]);
        mt_json_end_array(&j);
        json_paths(&j, r);
        mt_json_end_object(&j);
        rc = mt_json_finish_to(&j, out);
    } else if (!rc && mode == 2) {
        printf("from,to,from_expert,to_expert,count,p_given_from,p_to\n");
        for (uint32_t p = 0; p < r->n_pairs; p++)
            for (size_t k = 0; k < s[p].n_cells; k++) {
                const cell *x = &s[p].cells[k];
                printf("%u,%u,%u,%u,%llu,%.9g,%.9g\n", r->pairs[p][0], r->pairs[p][1], x->i, x->j, (unsigned long long)x->n,
                       (double)x->n / (double)s[p].row[x->i], (double)s[p].col[x->j] / (double)s[p].tokens);
            }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    } else if (!rc) {
        printf("%s: circuits between the top experts of layer pairs, %llu prompt%s%s\n", r->head.model,
               (unsigned long long)r->head.prompts, r->head.prompts == 1 ? "" : "s", r->head.count ? " (one shard)" : "");
        printf("NMI against its shuffled baseline (%d shuffles, seed %llu); expert ids name different networks at each layer\n\n",
               SHUFFLES, (unsigned long long)r->head.seed);
        uint32_t m = tested_pairs(s, r->n_pairs);
        double floor_holm = (double)m / (SHUFFLES + 1); /* the smallest Holm p: m times the smallest p, 1/101 */
        if (floor_holm >= 0.05)
            printf("%u pairs tested with %d shuffles: Holm's p cannot go below %u/%d = %.4f, so no pair can be called\n"
                   "dependent beyond chance (fewer --pairs)\n\n",
                   m, SHUFFLES, m, SHUFFLES + 1, floor_holm > 1 ? 1.0 : floor_holm);
        printf("%-9s %8s  %7s  %9s  %8s  %8s  %s\n", "pair", "tokens", "NMI", "shuffled", "p", "p Holm", "reading");
        for (uint32_t p = 0; p < r->n_pairs; p++) {
            char name[24], b[4][24];
            snprintf(name, sizeof name, "%u->%u", r->pairs[p][0], r->pairs[p][1]);
            printf("%-9s %8llu  %7s  %9s  %8s  %8s  %s\n", name, (unsigned long long)s[p].tokens, num4(b[0], 24, s[p].nmi),
                   num4(b[1], 24, s[p].shuffled), num4(b[2], 24, s[p].p), num4(b[3], 24, s[p].p_holm),
                   s[p].tokens < 2        ? "too few tokens: no test"
                   : floor_holm >= 0.05   ? "too many pairs for a test"
                   : s[p].p_holm < 0.05   ? "dependent beyond chance"
                                          : "not beyond the shuffled baseline");
        }
        for (uint32_t p = 0; p < r->n_pairs; p++) {
            printf("\nstrongest transitions %u->%u (top expert i at %u, j at %u)\n", r->pairs[p][0], r->pairs[p][1], r->pairs[p][0],
                   r->pairs[p][1]);
            printf("  %6s %6s  %8s  %7s  %7s\n", "i", "j", "tokens", "P(j|i)", "P(j)");
            for (size_t k = 0; k < s[p].n_cells && k < r->top_n; k++) {
                const cell *x = &s[p].cells[k];
                printf("  %6u %6u  %8llu  %7.3f  %7.3f\n", x->i, x->j, (unsigned long long)x->n, (double)x->n / (double)s[p].row[x->i],
                       (double)s[p].col[x->j] / (double)s[p].tokens);
            }
        }
        uint64_t total = mt_paths_total(&r->paths);
        printf("\nmost frequent top-expert paths, layers %u..%u (%llu tokens, %zu distinct paths)\n", r->path_from,
               r->path_from + r->path_width - 1, (unsigned long long)total, r->paths.n);
        for (size_t i = 0; i < r->paths.n && i < r->top_n; i++) {
            printf("  ");
            for (uint32_t k = 0; k < r->path_width; k++) printf("%s%u", k ? " -> " : "", r->paths.ids[i * r->path_width + k]);
            printf("   %llu tokens, support %.4f\n", (unsigned long long)r->paths.count[i], (double)r->paths.count[i] / (double)total);
        }
        rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
    for (uint32_t p = 0; s && p < r->n_pairs; p++) summary_free(&s[p]);
    free(s);
    return rc;
}

static int run_circuits(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    circ_run r = { 0 };
    mt_paths_init(&r.paths, 1);
    int shard, shards;
    uint32_t top_n = 10;
    if (!cli_seed(a, &r.head.seed) || !cli_shard_opt(a, &shard, &shards) || !cli_get_u32(a, "--top", 1, 1000000, &top_n))
        return CLI_EXIT_USAGE;
    if (cli_has(a, "--json") && cli_has(a, "--csv")) return cli_usage_error(a->cmd, "--json and --csv: give one");
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    cli_corpus c = { 0 };
    mt_interventions iv = { 0 };
    circ_ctx ctx = { &r, cm.m->hp.n_layer, NULL };
    uint32_t L = cm.m->hp.n_layer;
    r.E = cm.m->hp.n_expert;
    r.top_n = top_n;
    snprintf(r.head.experiment, sizeof r.head.experiment, "circuits");
    snprintf(r.head.model, sizeof r.head.model, "%s", cli_base_name(cm.path));
    r.head.index = shard;
    r.head.count = shards;
    if (cli_get(a, "--pairs")) rc = parse_pairs(cli_get(a, "--pairs"), L, &r);
    else if (L < 2) rc = cli_error(CLI_EXIT_USAGE, "%s: one layer: no adjacent pairs (give --pairs)", cm.path);
    else {
        r.pairs = calloc(L - 1, sizeof *r.pairs);
        if (!r.pairs) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        for (uint32_t l = 0; !rc && l + 1 < L; l++) {
            r.pairs[r.n_pairs][0] = l;
            r.pairs[r.n_pairs++][1] = l + 1;
        }
    }
    if (!rc) {
        r.path_width = L < 3 ? L : 3;
        if (cli_get(a, "--path-layers")) rc = parse_path_layers(cli_get(a, "--path-layers"), L, &r);
    }
    mt_paths_init(&r.paths, r.path_width);
    if (!rc && !(r.counts = calloc((size_t)r.n_pairs * r.E * r.E, sizeof *r.counts))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    if (!rc) rc = cli_interventions(a, cm.m, &iv);
    if (!rc) rc = cli_corpus_load(a, &cm, &c);
    if (!rc) {
        r.head.prompts = c.n_items;
        rc = cli_shard_run(&cm, &c, &iv, shard, shards, "circuits", false, observe, &ctx);
    }
    if (!rc) rc = print_run(&r, cli_has(a, "--json") ? 1 : cli_has(a, "--csv") ? 2 : 0, NULL);
    free(ctx.tops);
    mt_iv_free(&iv);
    cli_corpus_free(&c);
    run_free(&r);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_circuits = {
    .name = "circuits",
    .usage = "moetop circuits -m MODEL.gguf [--prompt TEXT | --prompt-file FILE | --ids \"..\" | --prompts DIR] [--pairs L:L2,..] "
             "[--path-layers A:B] [--top N] [--seed S] [--shard i/N] [intervention flags] [--json | --csv]",
    .summary = "Do experts form circuits across layers? Top-expert transitions, NMI against a shuffled baseline, paths.",
    .details = "Without a prompt, the bundled prompt sets. Default pairs: every adjacent pair of layers; default\n"
               "path layers: the first three. --csv: every nonzero transition of every pair. --shard i/N runs\n"
               "every N-th prompt (from the i-th); `moetop merge-shards` adds the shards' --json outputs into\n"
               "exactly the unsharded result.\n\n" CLI_IV_DETAILS,
    .definitions = circuits_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,
              { "--pairs", 0, "L:L2,..", "the layer pairs (default: every adjacent pair)" },
              { "--path-layers", 0, "A:B", "the layers of the top-expert paths (default 0:2)" },
              { "--top", 0, "N", "transitions and paths listed (default 10)" },
              { "--seed", 0, "S", "seed of the shuffled baseline (default 0)" }, CLI_SHARD_OPT,
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" },
              { "--csv", 0, NULL, "every nonzero transition as CSV (RFC 4180)" }, { NULL, 0, NULL, NULL } },
    .run = run_circuits,
};

/* ---- merge ---------------------------------------------------------------------------- */

int cli_circuits_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out) {
    circ_run r = { 0 };
    r.head = *h;
    r.head.index = r.head.count = 0;
    const jv *v0 = shards[0], *pairs0 = jv_get(v0, "pairs"), *p0 = jv_get(v0, "paths");
    r.E = (uint32_t)jv_num(v0, "n_expert", 0);
    r.top_n = (uint32_t)jv_num(v0, "top", 10);
    int rc = 0;
    if (!pairs0 || pairs0->kind != JV_ARR || pairs0->len == 0 || !p0 || r.E == 0 || r.E > 4096)
        return cli_error(CLI_EXIT_USAGE, "%s: not the --json output of moetop circuits --shard", paths[0]);
    r.n_pairs = (uint32_t)pairs0->len;
    r.path_from = (uint32_t)jv_num(p0, "from", 0);
    r.path_width = (uint32_t)(jv_num(p0, "to", 0) - r.path_from + 1);
    mt_paths_init(&r.paths, r.path_width);
    r.pairs = calloc(r.n_pairs, sizeof *r.pairs);
    r.counts = calloc((size_t)r.n_pairs * r.E * r.E, sizeof *r.counts);
    uint64_t *row = malloc((r.E + 65) * sizeof *row);
    if (!r.pairs || !r.counts || !row) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    for (uint32_t p = 0; !rc && p < r.n_pairs; p++) {
        r.pairs[p][0] = (uint32_t)jv_num(jv_at(pairs0, p), "from", 0);
        r.pairs[p][1] = (uint32_t)jv_num(jv_at(pairs0, p), "to", 0);
    }
    for (int s = 0; !rc && s < n; s++) {
        const jv *v = shards[s], *pairs = jv_get(v, "pairs"), *pp = jv_get(v, "paths"), *all = pp ? jv_get(pp, "all") : NULL;
        bool good = pairs && pairs->kind == JV_ARR && pairs->len == r.n_pairs && (uint32_t)jv_num(v, "n_expert", 0) == r.E && all &&
                    all->kind == JV_ARR && (uint32_t)jv_num(pp, "from", 0) == r.path_from &&
                    (uint32_t)(jv_num(pp, "to", 0) - r.path_from + 1) == r.path_width && r.path_width >= 1 && r.path_width <= 64;
        for (uint32_t p = 0; good && p < r.n_pairs; p++) {
            const jv *x = jv_at(pairs, p), *counts = jv_get(x, "counts");
            good = (uint32_t)jv_num(x, "from", 0) == r.pairs[p][0] && (uint32_t)jv_num(x, "to", 0) == r.pairs[p][1] && counts &&
                   counts->kind == JV_ARR && counts->len == r.E;
            for (uint32_t i = 0; good && i < r.E; i++) {
                good = cli_jv_u64s(jv_at(counts, i), row, r.E);
                for (uint32_t j = 0; good && j < r.E; j++) r.counts[((size_t)p * r.E + i) * r.E + j] += row[j];
            }
        }
        for (size_t i = 0; good && i < all->len; i++) {
            good = cli_jv_u64s(jv_at(all, i), row, r.path_width + 1);
            uint32_t ids[64];
            for (uint32_t k = 0; good && k < r.path_width; k++) {
                good = row[k] < r.E;
                ids[k] = (uint32_t)row[k];
            }
            if (good && !mt_paths_add(&r.paths, ids, row[r.path_width])) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        }
        if (!good && !rc) rc = cli_error(CLI_EXIT_USAGE, "%s: from another run of circuits (pairs, experts or path layers differ) or malformed", paths[s]);
    }
    if (!rc && !mt_paths_compact(&r.paths)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    if (!rc) rc = print_run(&r, 1, out);
    free(row);
    run_free(&r);
    return rc;
}
