/* `moetop dynamics`: how each layer's routing changes token by token, over
 * the prompts' positions and over a greedy generation after each prompt
 * (experiments/dynamics.h computes). */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/model_args.h"
#include "engine/generate.h"
#include "exp_args.h"
#include "experiments/dynamics.h"
#include "structure.h"

#define SHUFFLES 100

static const char *const dynamics_definitions[] = {
    "pairs        consecutive positions (t-1, t) of one sequence, both with a selected expert;",
    "             sequences: each prompt's positions, and apart the tokens a greedy generation",
    "             of -n tokens after it produced (each generated token's own pass)",
    "selected set S_t: the experts with weight > 0; top expert: the highest weight (ties: earlier)",
    "Jaccard      mean over pairs of |S_t ∩ S_t-1| / |S_t ∪ S_t-1|",
    "persistence  share of pairs whose top expert is the same at t and t-1 (lag 1)",
    "chance       sum_e p_e^2, p_e: the layer's top-expert shares over its tokens: the",
    "             persistence of independent draws with the layer's own loads (1/E only when",
    "             use is even)",
    "shuffled     persistence after shuffling each sequence's positions (100 shuffles seeded",
    "             by --seed and the prompt's index): order broken, each prompt's loads kept",
    "handoff      a pair whose top expert changes, from i (t-1) to j (t)",
    "-            undefined: a layer without pairs (every sequence one token long) has no Jaccard,",
    "             persistence, chance or shuffled (JSON null, CSV empty)",
    NULL,
};

enum { SEQ_PROMPT, SEQ_GEN, SEQ_KINDS };

typedef struct dyn_run {
    cli_shard_head head;
    uint32_t L, E, generate;
    mt_dyn_sums *sums; /* [SEQ_KINDS][L] */
} dyn_run;

static void run_free(dyn_run *r) {
    for (size_t i = 0; r->sums && i < (size_t)SEQ_KINDS * r->L; i++) mt_dyn_free(&r->sums[i]);
    free(r->sums);
}

static bool run_alloc(dyn_run *r) {
    r->sums = calloc((size_t)SEQ_KINDS * r->L, sizeof *r->sums);
    if (!r->sums) return false;
    for (size_t i = 0; i < (size_t)SEQ_KINDS * r->L; i++)
        if (!mt_dyn_init(&r->sums[i], r->E)) return false;
    return true;
}

typedef struct dyn_ctx {
    dyn_run *r;
    const cli_model *cm;
    mt_token_sel *seq;
    size_t cap;
} dyn_ctx;

static bool no_stop(void *ctx, uint32_t id, uint32_t pos) {
    (void)ctx;
    (void)id;
    (void)pos;
    return true;
}

/* positions [from, to) of the session at every layer into the kind's sums */
static int observe_range(dyn_ctx *c, const mt_session *s, size_t index, int kind, uint32_t from, uint32_t to) {
    dyn_run *r = c->r;
    if (to - from > c->cap) {
        free(c->seq);
        c->cap = to - from;
        if (!(c->seq = malloc(c->cap * sizeof *c->seq))) return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    for (uint32_t l = 0; l < r->L; l++) {
        for (uint32_t t = from; t < to; t++) {
            float margin;
            mt_token_sel *x = &c->seq[t - from];
            x->n = mt_session_route(s, l, t, &x->experts, &x->weights, &margin);
        }
        uint64_t stream = ((uint64_t)index * r->L + l) * SEQ_KINDS + (uint64_t)kind;
        if (!mt_dyn_observe(&r->sums[(size_t)kind * r->L + l], c->seq, to - from, SHUFFLES, r->head.seed, stream))
            return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    return 0;
}

static int observe(void *vctx, size_t index, const cli_prompt_item *item, mt_session *s) {
    (void)item;
    dyn_ctx *c = vctx;
    uint32_t P = mt_session_length(s);
    int rc = observe_range(c, s, index, SEQ_PROMPT, 0, P);
    if (rc || c->r->generate == 0 || P == 0) return rc;
    mt_gen_opts o = { .max_tokens = c->r->generate, .temperature = 0.0f, .top_p = 1.0f, .seed = 0 };
    mt_gen_stop stop;
    mt_err err;
    if (!mt_generate(s, c->cm->tok, &o, no_stop, NULL, &stop, &err)) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    return observe_range(c, s, index, SEQ_GEN, P, mt_session_length(s));
}

/* ---- output --------------------------------------------------------------------------- */

/* mt_dyn_summarize, with chance undefined too where there are no pairs: it is
 * the baseline of a persistence, and there is none to compare it with */
static void summarize(const mt_dyn_sums *d, mt_dyn_summary *s) {
    mt_dyn_summarize(d, s);
    if (d->pairs == 0) s->persistence_chance = NAN;
}

static void json_u64s(mt_json *j, const uint64_t *x, size_t n) {
    mt_json_begin_array(j);
    for (size_t i = 0; i < n; i++) mt_json_u64(j, x[i]);
    mt_json_end_array(j);
}

/* the contract's fields, the handoffs, and the sums merge-shards adds */
static void json_sums(mt_json *j, const mt_dyn_sums *d) {
    mt_dyn_summary s;
    summarize(d, &s);
    mt_json_kv_u64(j, "tokens", d->tokens);
    mt_json_kv_u64(j, "pairs", d->pairs);
    mt_json_kv_f64(j, "jaccard_consecutive", s.jaccard_consecutive);
    mt_json_kv_f64(j, "persistence", s.persistence);
    mt_json_kv_f64(j, "persistence_chance", s.persistence_chance);
    mt_json_kv_f64(j, "persistence_shuffled", s.persistence_shuffled);
    uint64_t handoffs = 0;
    for (size_t c = 0; c < (size_t)d->n_expert * d->n_expert; c++) handoffs += d->handoffs[c];
    mt_json_kv_u64(j, "handoff_count", handoffs);
    mt_json_key(j, "handoffs");
    mt_json_begin_array(j);
    for (uint32_t i = 0; i < d->n_expert; i++) json_u64s(j, d->handoffs + (size_t)i * d->n_expert, d->n_expert);
    mt_json_end_array(j);
    mt_json_key(j, "sums");
    mt_json_begin_object(j);
    mt_json_kv_u64(j, "jaccard_fx", d->jaccard_fx);
    mt_json_kv_u64(j, "persist", d->persist);
    mt_json_kv_u64(j, "shuffled_persist", d->shuffled_persist);
    mt_json_kv_u64(j, "shuffled_pairs", d->shuffled_pairs);
    mt_json_key(j, "top");
    json_u64s(j, d->top, d->n_expert);
    mt_json_end_object(j);
}

/* a number, or "-" where it is undefined (NaN) */
static const char *num4(char *buf, size_t cap, double x) {
    if (isnan(x)) return "-";
    snprintf(buf, cap, "%.4f", x);
    return buf;
}

static const char *csv_num(char *buf, size_t cap, double x) {
    if (isnan(x)) return "";
    snprintf(buf, cap, "%.9g", x);
    return buf;
}

static bool text_table(const dyn_run *r, int kind) {
    bool undefined = false;
    printf("%5s %8s %7s  %8s  %11s  %7s  %8s  %8s  %s\n", "layer", "tokens", "pairs", "Jaccard", "persistence", "chance", "shuffled",
           "handoffs", "most frequent handoff");
    for (uint32_t l = 0; l < r->L; l++) {
        const mt_dyn_sums *d = &r->sums[(size_t)kind * r->L + l];
        mt_dyn_summary s;
        summarize(d, &s);
        uint64_t total = 0, best = 0;
        size_t at = 0;
        for (size_t c = 0; c < (size_t)r->E * r->E; c++) {
            total += d->handoffs[c];
            if (d->handoffs[c] > best) best = d->handoffs[at = c];
        }
        char most[80] = "-";
        if (best) snprintf(most, sizeof most, "%zu->%zu (%llu)", at / r->E, at % r->E, (unsigned long long)best);
        char b[4][32];
        if (d->pairs == 0) undefined = true;
        printf("%5u %8llu %7llu  %8s  %11s  %7s  %8s  %8llu  %s\n", l, (unsigned long long)d->tokens,
               (unsigned long long)d->pairs, num4(b[0], 32, s.jaccard_consecutive), num4(b[1], 32, s.persistence),
               num4(b[2], 32, s.persistence_chance), num4(b[3], 32, s.persistence_shuffled), (unsigned long long)total, most);
    }
    return undefined;
}

static void text_table_note(const dyn_run *r, int kind) {
    if (text_table(r, kind))
        printf("- : no consecutive pairs (sequences of one token): Jaccard, persistence, chance and shuffled are undefined\n");
}

static int print_run(const dyn_run *r, int mode, const char *out) {
    if (mode == 1) {
        mt_json j = { 0 };
        mt_json_begin_object(&j);
        cli_shard_head_write(&j, &r->head);
        mt_json_kv_u64(&j, "n_expert", r->E);
        mt_json_kv_u64(&j, "shuffles", SHUFFLES);
        mt_json_kv_u64(&j, "generate", r->generate);
        mt_json_key(&j, "layers");
        mt_json_begin_array(&j);
        for (uint32_t l = 0; l < r->L; l++) {
            mt_json_begin_object(&j);
            mt_json_kv_u64(&j, "layer", l);
            json_sums(&j, &r->sums[SEQ_PROMPT * r->L + l]);
            mt_json_key(&j, "generation");
            mt_json_begin_object(&j);
            json_sums(&j, &r->sums[SEQ_GEN * r->L + l]);
            mt_json_end_object(&j);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
        return mt_json_finish_to(&j, out);
    }
    if (mode == 2) {
        printf("sequence,layer,tokens,pairs,jaccard_consecutive,persistence,persistence_chance,persistence_shuffled\n");
        for (int k = 0; k < SEQ_KINDS; k++)
            for (uint32_t l = 0; l < r->L; l++) {
                const mt_dyn_sums *d = &r->sums[(size_t)k * r->L + l];
                mt_dyn_summary s;
                summarize(d, &s);
                char b[4][32];
                printf("%s,%u,%llu,%llu,%s,%s,%s,%s\n", k == SEQ_PROMPT ? "prompt" : "generation", l,
                       (unsigned long long)d->tokens, (unsigned long long)d->pairs, csv_num(b[0], 32, s.jaccard_consecutive),
                       csv_num(b[1], 32, s.persistence), csv_num(b[2], 32, s.persistence_chance),
                       csv_num(b[3], 32, s.persistence_shuffled));
            }
    } else {
        printf("%s: routing from token to token, %llu prompt%s%s; chance = sum of squared top-expert shares,\n", r->head.model,
               (unsigned long long)r->head.prompts, r->head.prompts == 1 ? "" : "s", r->head.count ? " (one shard)" : "");
        printf("shuffled = the same positions in %d seeded random orders (seed %llu)\n\nover the prompts' positions\n", SHUFFLES,
               (unsigned long long)r->head.seed);
        text_table_note(r, SEQ_PROMPT);
        if (r->generate) {
            printf("\nover greedy generations of up to %u tokens after each prompt\n", r->generate);
            text_table_note(r, SEQ_GEN);
        }
    }
    return fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
}

static int run_dynamics(const cli_command *cmd, cli_args *a) {
    (void)cmd;
    dyn_run r = { 0 };
    int shard, shards;
    uint32_t gen = 16;
    if (!cli_seed(a, &r.head.seed) || !cli_shard_opt(a, &shard, &shards) || !cli_get_u32(a, "--max-tokens", 0, 1000000, &gen)) return CLI_EXIT_USAGE;
    if (cli_has(a, "--json") && cli_has(a, "--csv")) return cli_usage_error(a->cmd, "--json and --csv: give one");
    cli_model cm;
    int rc = cli_model_open(a, &cm);
    if (rc) return rc;
    cli_corpus c = { 0 };
    mt_interventions iv = { 0 };
    r.L = cm.m->hp.n_layer;
    r.E = cm.m->hp.n_expert;
    r.generate = gen;
    snprintf(r.head.experiment, sizeof r.head.experiment, "dynamics");
    snprintf(r.head.model, sizeof r.head.model, "%s", cli_base_name(cm.path));
    r.head.index = shard;
    r.head.count = shards;
    dyn_ctx ctx = { &r, &cm, NULL, 0 };
    if (!run_alloc(&r)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
    if (!rc) rc = cli_interventions(a, cm.m, &iv);
    if (!rc) rc = cli_corpus_load(a, &cm, &c);
    if (!rc) {
        r.head.prompts = c.n_items;
        rc = cli_shard_run(&cm, &c, &iv, shard, shards, "dynamics", false, observe, &ctx);
    }
    if (!rc) rc = print_run(&r, cli_has(a, "--json") ? 1 : cli_has(a, "--csv") ? 2 : 0, NULL);
    free(ctx.seq);
    mt_iv_free(&iv);
    cli_corpus_free(&c);
    run_free(&r);
    cli_model_close(&cm);
    return rc;
}

const cli_command cmd_dynamics = {
    .name = "dynamics",
    .usage = "moetop dynamics -m MODEL.gguf [--prompt TEXT | --prompt-file FILE | --ids \"..\" | --prompts DIR] [-n 16] [--seed S] "
             "[--shard i/N] [intervention flags] [--json | --csv]",
    .summary = "How routing changes token by token, over prompts and greedy generations: Jaccard, persistence against chance.",
    .details = "Without a prompt, the bundled prompt sets. Each prompt is followed by a greedy generation of -n\n"
               "tokens (default 16; 0: none; it stops early at an end-of-generation token), measured apart\n"
               "(JSON: each layer's \"generation\"). --shard i/N runs every N-th prompt (from the i-th);\n"
               "`moetop merge-shards` adds the shards' --json outputs into exactly the unsharded result.\n\n" CLI_IV_DETAILS,
    .definitions = dynamics_definitions,
    .opts = { CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,
              { "--max-tokens", 'n', "N", "tokens generated greedily after each prompt (default 16; 0: none)" },
              { "--seed", 0, "S", "seed of the shuffled baseline (default 0)" }, CLI_SHARD_OPT,
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" },
              { "--csv", 0, NULL, "the per-layer table as CSV (RFC 4180)" }, { NULL, 0, NULL, NULL } },
    .run = run_dynamics,
};

/* ---- merge ---------------------------------------------------------------------------- */

static bool read_sums(const jv *x, mt_dyn_sums *d, uint64_t *buf) {
    const jv *s = jv_get(x, "sums"), *h = jv_get(x, "handoffs");
    const jv *f[6] = { jv_get(x, "tokens"), jv_get(x, "pairs"), s ? jv_get(s, "jaccard_fx") : NULL, s ? jv_get(s, "persist") : NULL,
                       s ? jv_get(s, "shuffled_persist") : NULL, s ? jv_get(s, "shuffled_pairs") : NULL };
    for (int i = 0; i < 6; i++)
        if (!f[i] || !f[i]->is_u64) return false;
    if (!h || h->kind != JV_ARR || h->len != d->n_expert || !cli_jv_u64s(jv_get(s, "top"), buf, d->n_expert)) return false;
    for (uint32_t e = 0; e < d->n_expert; e++) d->top[e] += buf[e];
    d->tokens += f[0]->u64;
    d->pairs += f[1]->u64;
    d->jaccard_fx += f[2]->u64;
    d->persist += f[3]->u64;
    d->shuffled_persist += f[4]->u64;
    d->shuffled_pairs += f[5]->u64;
    for (uint32_t i = 0; i < d->n_expert; i++) {
        if (!cli_jv_u64s(jv_at(h, i), buf, d->n_expert)) return false;
        for (uint32_t j = 0; j < d->n_expert; j++) d->handoffs[(size_t)i * d->n_expert + j] += buf[j];
    }
    return true;
}

int cli_dynamics_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out) {
    dyn_run r = { 0 };
    r.head = *h;
    r.head.index = r.head.count = 0;
    const jv *layers0 = jv_get(shards[0], "layers");
    r.E = (uint32_t)jv_num(shards[0], "n_expert", 0);
    r.generate = (uint32_t)jv_num(shards[0], "generate", 0);
    if (!layers0 || layers0->kind != JV_ARR || layers0->len == 0 || layers0->len > 100000 || r.E == 0 || r.E > 4096)
        return cli_error(CLI_EXIT_USAGE, "%s: not the --json output of moetop dynamics --shard", paths[0]);
    r.L = (uint32_t)layers0->len;
    uint64_t *buf = malloc((r.E + 1) * sizeof *buf);
    int rc = buf && run_alloc(&r) ? 0 : cli_error(CLI_EXIT_FAIL, "out of memory");
    for (int s = 0; !rc && s < n; s++) {
        const jv *layers = jv_get(shards[s], "layers");
        bool good = layers && layers->kind == JV_ARR && layers->len == r.L && (uint32_t)jv_num(shards[s], "n_expert", 0) == r.E &&
                    (uint32_t)jv_num(shards[s], "generate", 0) == r.generate;
        for (uint32_t l = 0; good && l < r.L; l++) {
            const jv *x = jv_at(layers, l), *g = jv_get(x, "generation");
            good = g && read_sums(x, &r.sums[SEQ_PROMPT * r.L + l], buf) && read_sums(g, &r.sums[SEQ_GEN * r.L + l], buf);
        }
        if (!good) rc = cli_error(CLI_EXIT_USAGE, "%s: from another run of dynamics (layers, experts or -n differ) or malformed", paths[s]);
    }
    if (!rc) rc = print_run(&r, 1, out);
    free(buf);
    run_free(&r);
    return rc;
}
