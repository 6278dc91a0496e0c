/* Where an analysis gets its statistics: a prompt or prompt set run through
 * the model (with any interventions), or a profile file written by
 * `moetop profile`. */
#ifndef MT_STATS_INPUT_H
#define MT_STATS_INPUT_H

#include <stdio.h>

#include "args.h"
#include "corpus.h"
#include "engine/stats.h"

typedef struct cli_stats_input {
    mt_stats st;
    char model[256];
    uint32_t k;         /* the model's k */
    double *overlap;    /* [n_layer]: mean overlap of the selections with the baseline's
                           over the tokens whose router logits are finite in both (NaN
                           when none are; only when interventions were given), else NULL */
} cli_stats_input;

#define CLI_STATS_OPTS                                                                                  \
    CLI_MODEL_OPTS, CLI_CORPUS_OPTS, CLI_IV_OPTS,                                                       \
    { "--profile", 0, "FILE", "read the statistics from a profile instead of running prompts" },      \
    { "--json", 0, NULL, "one JSON object on stdout" },                                                 \
    { "--csv", 0, NULL, "CSV on stdout (RFC 4180)" }

/* 0, or an exit code after printing the error. */
int cli_stats_gather(const cli_args *a, cli_stats_input *in);
void cli_stats_input_free(cli_stats_input *in);

/* Says on stderr how many tokens of a layer were left out of every
 * statistic because their router logits held NaN or infinity ("moetop:
 * warning: layer 3: 12 tokens with NaN or infinite router logits, left out
 * of every statistic"); nothing when n is 0. Commands say it once per layer,
 * after their work: cli_stats_warn_nonfinite for every layer of st. */
void cli_warn_nonfinite(uint32_t layer, uint64_t n);
void cli_stats_warn_nonfinite(const mt_stats *st);

/* v formatted with fmt into buf (32 bytes), or none when v is NaN (a mean
 * over no tokens): text tables show "-", CSV an empty field. */
const char *cli_num(char *buf, const char *fmt, double v, const char *none);

/* Mean experts selected per token: k, or what interventions made of it. */
double cli_mean_selected(const mt_layer_stats *ls);

/* An RFC 4180 field: quoted when it holds a comma, quote, CR or LF. */
void cli_csv_field(FILE *f, const char *s, size_t n);

#endif
