/* `moetop eval`: conditions scored on a problem set, each against the
 * baseline with an exact test (experiments/eval.h computes). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "cli/json.h"
#include "cli/model_args.h"
#include "cli/text.h"
#include "exp_args.h"
#include "experiments/eval.h"
#include "experiments/significance.h"
#include "problems_io.h"

static const char *const eval_definitions[] = {
    "scoring     greedy, at most -n tokens, stopping at end of generation or a newline (in a",
    "            chat, only the final channel's text counts, up to its first newline). A",
    "            numeric answer is right when the first -?[0-9]+ of the continuation equals",
    "            it as an integer (a ',' between a digit and exactly three digits, a thousands",
    "            separator, is removed first); a text answer when the continuation, leading",
    "            whitespace removed, starts with it",
    "accuracy    correct / problems, with the Wilson score 95% interval (no continuity",
    "            correction, z = 1.959964)",
    "fixed       problems right in this condition and wrong in the baseline",
    "broken      problems wrong in this condition and right in the baseline",
    "p McNemar   exact two-sided: min(1, 2 sum_{i<=min(f,b)} C(f+b,i) / 2^(f+b)), 1 when f+b=0",
    "p Holm      Holm's step-down adjustment of the p McNemar of this run's conditions",
    "            (baseline excluded), made monotone, capped at 1",
    NULL,
};

static int print_json(const cli_problems *ps, const mt_conditions *c, const mt_eval_result *r, const cli_model *cm) {
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_kv_str(&j, "model", cli_base_name(cm->path));
    mt_json_kv_str(&j, "problem_set", ps->name);
    mt_json_kv_u64(&j, "problems", r->n_problems);
    mt_json_key(&j, "conditions");
    mt_json_begin_array(&j);
    for (size_t ci = 0; ci < c->n; ci++) {
        const mt_eval_summary *s = &r->summary[ci];
        mt_json_begin_object(&j);
        mt_json_kv_str(&j, "name", c->items[ci].name);
        mt_json_kv_u64(&j, "correct", s->correct);
        mt_json_kv_f64(&j, "accuracy", s->accuracy);
        mt_json_key(&j, "wilson95");
        mt_json_begin_array(&j);
        mt_json_f64(&j, s->wilson_lo);
        mt_json_f64(&j, s->wilson_hi);
        mt_json_end_array(&j);
        mt_json_kv_u64(&j, "fixed", s->fixed);
        mt_json_kv_u64(&j, "broken", s->broken);
        mt_json_kv_f64(&j, "p_mcnemar", s->p_mcnemar);
        mt_json_kv_f64(&j, "p_holm", s->p_holm);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_key(&j, "items");
    mt_json_begin_array(&j);
    for (size_t i = 0; i < r->n_problems; i++) {
        mt_json_begin_object(&j);
        mt_json_key(&j, "prompt");
        mt_json_string_n(&j, ps->items[i].prompt, ps->items[i].prompt_len);
        mt_json_kv_str(&j, "answer", ps->items[i].answer);
        mt_json_key(&j, "outputs");
        mt_json_begin_array(&j);
        for (size_t ci = 0; ci < c->n; ci++) {
            const mt_eval_output *o = &r->outputs[i * c->n + ci];
            mt_json_begin_object(&j);
            mt_json_key(&j, "text");
            mt_json_string_n(&j, o->text, o->len);
            mt_json_key(&j, "correct");
            mt_json_bool(&j, o->correct);
            mt_json_end_object(&j);
        }
        mt_json_end_array(&j);
        mt_json_end_object(&j);
    }
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

typedef struct ranked {
    size_t index;
    long long effect;
} ranked;

static int by_effect(const void *a, const void *b) {
    const ranked *x = a, *y = b;
    if (x->index == 0 || y->index == 0) return x->index == 0 ? -1 : 1; /* the baseline first */
    if (x->effect != y->effect) return x->effect > y->effect ? -1 : 1;
    return x->index < y->index ? -1 : 1;
}

#define TABLE_CONDS 6 /* per-problem outputs shown side by side in text */

static void print_tables(const cli_problems *ps, const mt_conditions *c, const mt_eval_result *r, const cli_model *cm,
                         uint32_t max_tokens) {
    size_t C = c->n, P = r->n_problems;
    printf("%s on %s: %zu problem%s, %zu condition%s; greedy, up to %u token%s, stopping at a newline\n", cli_base_name(cm->path),
           ps->name, P, P == 1 ? "" : "s", C, C == 1 ? "" : "s", max_tokens, max_tokens == 1 ? "" : "s");
    printf("accuracy with its Wilson 95%% interval; fixed/broken: right only here / only in the baseline;\n"
           "p: exact McNemar test against the baseline, Holm-adjusted over the %zu other condition%s (see --help)\n\n", C - 1,
           C - 1 == 1 ? "" : "s");
    ranked *order = malloc(C * sizeof *order);
    if (!order) return;
    for (size_t i = 0; i < C; i++) order[i] = (ranked){ i, (long long)r->summary[i].fixed - (long long)r->summary[i].broken };
    qsort(order, C, sizeof *order, by_effect);
    size_t name_w = 9;
    for (size_t i = 0; i < C; i++)
        if (strlen(c->items[i].name) > name_w) name_w = strlen(c->items[i].name);
    if (name_w > 28) name_w = 28;
    printf("%-*s  %9s  %8s  %-16s  %5s  %6s  %9s  %8s\n", (int)name_w, "condition", "correct", "accuracy", "95% interval", "fixed",
           "broken", "p McNemar", "p Holm");
    for (size_t k = 0; k < C; k++) {
        size_t i = order[k].index;
        const mt_eval_summary *s = &r->summary[i];
        char correct[32], ci95[40];
        snprintf(correct, sizeof correct, "%llu/%zu", (unsigned long long)s->correct, P);
        snprintf(ci95, sizeof ci95, "[%.3f, %.3f]", s->wilson_lo, s->wilson_hi);
        printf("%-*.*s  %9s  %8.3f  %-16s  ", (int)name_w, (int)name_w, c->items[i].name, correct, s->accuracy, ci95);
        if (i == 0) printf("%5s  %6s  %9s  %8s\n", "-", "-", "-", "-");
        else printf("%5llu  %6llu  %9.4g  %8.4g\n", (unsigned long long)s->fixed, (unsigned long long)s->broken, s->p_mcnemar, s->p_holm);
    }
    /* the problems side by side: each condition's output, F fixed / B broken against the baseline */
    size_t shown = C < TABLE_CONDS ? C : TABLE_CONDS;
    printf("\nper problem (+ right, - wrong; F fixed, B broken against the baseline)%s:\n",
           C > shown ? "; the first conditions by effect only, --json has all" : "");
    printf("%4s  %-18s %-8s", "#", "prompt", "answer");
    for (size_t k = 0; k < shown; k++) printf("  %-16.16s", c->items[order[k].index].name);
    putchar('\n');
    for (size_t p = 0; p < P; p++) {
        const mt_problem *pr = &ps->items[p];
        printf("%4zu  ", p + 1);
        size_t w = mt_print_escaped(stdout, pr->prompt, pr->prompt_len, 16);
        printf("%*s ", (int)(w < 18 ? 18 - w : 0), "");
        w = mt_print_escaped(stdout, pr->answer, strlen(pr->answer), 8);
        printf("%*s", (int)(w < 8 ? 8 - w : 0), "");
        bool base = r->outputs[p * C].correct;
        for (size_t k = 0; k < shown; k++) {
            size_t i = order[k].index;
            const mt_eval_output *o = &r->outputs[p * C + i];
            char mark = i == 0 ? ' ' : o->correct && !base ? 'F' : !o->correct && base ? 'B' : ' ';
            printf("  %c%c ", o->correct ? '+' : '-', mark);
            w = mt_print_escaped(stdout, o->text, o->len, 12);
            printf("%*s", (int)(w < 12 ? 12 - w : 0), "");
        }
        putchar('\n');
    }
    free(order);
}

static int run_eval(const cli_command *cmd, cli_args *a) {
    const char *set = cli_get(a, "--problems");
    if (!set) return cli_usage_error(cmd, "--problems: give a problem set (a JSON Lines file or a built-in name)");
    uint32_t max_tokens = 16;
    uint64_t seed;
    if (!cli_get_u32(a, "--max-tokens", 1, 1u << 20, &max_tokens) || !cli_seed(a, &seed)) return CLI_EXIT_USAGE;
    cli_problems ps;
    int rc = cli_problems_load(set, &ps);
    if (rc) return rc;
    cli_model cm;
    if ((rc = cli_model_open(a, &cm))) {
        cli_problems_free(&ps);
        return rc;
    }
    mt_conditions conds = { 0 };
    mt_eval_result r = { 0 };
    if (!(rc = cli_conditions(a, cm.m, &conds))) {
        cli_progress pr;
        cli_progress_begin(&pr, "eval", "problems");
        mt_err err;
        bool ok = mt_eval_run(cm.m, cm.be, cm.tok, &conds, ps.items, ps.n, max_tokens, cli_progress_fn, &pr, &r, &err);
        cli_progress_end(&pr);
        if (!ok) rc = cli_error(strstr(err.msg, "problem ") == err.msg ? CLI_EXIT_USAGE : CLI_EXIT_FAIL, "%s: %s", ps.name, err.msg);
        else if (cli_has(a, "--json")) rc = print_json(&ps, &conds, &r, &cm);
        else {
            print_tables(&ps, &conds, &r, &cm, max_tokens);
            rc = fflush(stdout) == 0 ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
        }
    }
    mt_eval_free(&r);
    mt_conds_free(&conds);
    cli_model_close(&cm);
    cli_problems_free(&ps);
    return rc;
}

const cli_command cmd_eval = {
    .name = "eval",
    .usage = "moetop eval -m MODEL.gguf --problems FILE|NAME [--cond \"NAME: FLAGS\"].. [--each KIND[@L,..]] [--k-sweep N,..] "
             "[-n 16] [intervention flags] [--json]",
    .summary = "Score conditions on a problem set: accuracy with intervals, exact McNemar tests against the baseline.",
    .details = "Problem sets are JSON Lines: {\"prompt\": \"2 + 2 = \", \"answer\": \"4\", \"chat\": false}; a\n"
               "chat problem's prompt is wrapped as a harmony chat. Built-in sets (assets/problems/): reports-8,\n"
               "add-1, add-2, sub-1, sub-2, mul-1, mul-2 (one- and two-digit operands, \"A op B = \").\n\n" CLI_COND_DETAILS
               "\n\n" CLI_IV_DETAILS,
    .definitions = eval_definitions,
    .opts = { CLI_MODEL_OPTS, { "--problems", 0, "FILE|NAME", "the problem set: a JSON Lines file or a built-in name" },
              CLI_IV_OPTS, CLI_COND_OPTS,
              { "--max-tokens", 'n', "N", "greedy tokens per problem (default 16)" },
              { "--json", 0, NULL, "one JSON object on stdout (shared/contracts/cli.md)" }, { NULL, 0, NULL, NULL } },
    .run = run_eval,
};
