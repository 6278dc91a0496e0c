/* What the experiment commands share on the command line: the conditions
 * (--cond, --each, --k-sweep over the intervention flags given outside them),
 * --seed, and a progress line on stderr for long runs. */
#ifndef MT_EXP_ARGS_H
#define MT_EXP_ARGS_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/args.h"
#include "engine/model.h"
#include "experiments/condition.h"

#define CLI_COND_OPTS                                                                                        \
    { "--cond", 0, "\"NAME: FLAGS\"", "a condition: a name, then intervention flags (repeatable)", true },         \
    { "--each", 0, "KIND[@L,..]", "a condition per expert: force, mask, zero or drop it (optionally @layers)", true }, \
    { "--k-sweep", 0, "N,N,..", "a condition per k: --k N at every layer", true },                                  \
    { "--seed", 0, "S", "seed for anything random (default 0)" }

#define CLI_COND_DETAILS                                                                                     \
    "Conditions: `baseline` (the intervention flags given outside --cond, often none) comes first,\n"        \
    "then each --cond in command-line order, then those --each makes (named KIND:E, with @L,.. when\n"   \
    "given), then those --k-sweep makes (named k=N). Flags outside --cond apply to every condition;\n"     \
    "inside one, mask, drop and zero lists unite with them and its --k and --force win."

/* The conditions of the command line for model m (the baseline's
 * interventions are the flags outside --cond); 0 or exit code 2 after
 * printing the error. */
int cli_conditions(const cli_args *a, const mt_model *m, mt_conditions *out);

/* --seed (default 0); false after printing the error. */
bool cli_seed(const cli_args *a, uint64_t *seed);

/* A progress line on stderr while work lasts more than a moment, only when
 * stderr is a terminal: "LABEL: done/total UNIT, elapsed". Pass as an
 * mt_exp_progress_fn with a cli_progress as user; cli_progress_end clears it. */
typedef struct cli_progress {
    const char *label, *unit;
    double start, last_shown;
    bool tty, shown;
} cli_progress;

void cli_progress_begin(cli_progress *p, const char *label, const char *unit);
bool cli_progress_fn(void *user, uint64_t done, uint64_t total);
void cli_progress_end(cli_progress *p);

#endif
