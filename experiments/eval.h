/* Scoring conditions on a problem set (moetop eval, the tour): each problem's
 * prompt is continued greedily under every condition and scored by
 * score.h's rule; each condition is then compared with the baseline over the
 * same problems (shared/contracts/cli.md, moetop eval):
 *   accuracy   correct / problems, with its Wilson 95% interval
 *   fixed      problems right in this condition and wrong in the baseline
 *   broken     problems wrong in this condition and right in the baseline
 *   p_mcnemar  exact two-sided McNemar test of fixed against broken
 *   p_holm     Holm's adjustment over the run's non-baseline conditions
 * The baseline has fixed = broken = 0 and both p-values 1. */
#ifndef MT_EVAL_H
#define MT_EVAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "compare.h"
#include "condition.h"
#include "engine/backend.h"
#include "engine/model.h"
#include "engine/tokenizer.h"

typedef struct mt_problem {
    char *prompt;   /* raw text, or the user's message when chat */
    size_t prompt_len;
    char *answer;   /* NUL-terminated */
    bool chat;      /* wrap the prompt as a harmony chat; score the final channel */
} mt_problem;

typedef struct mt_eval_output {
    char *text;     /* the continuation as scored: up to its first newline (for a chat, the final
                       channel's text up to its first newline); the end-of-generation token left out */
    size_t len;
    bool correct;
} mt_eval_output;

typedef struct mt_eval_summary {
    uint64_t correct, fixed, broken;
    double accuracy, wilson_lo, wilson_hi, p_mcnemar, p_holm;
} mt_eval_summary;

typedef struct mt_eval_result {
    size_t n_problems, n_conds;
    mt_eval_output *outputs; /* [problem][condition] */
    mt_eval_summary *summary; /* [condition] */
} mt_eval_result;

/* Runs every condition on every problem: greedy, at most max_tokens tokens,
 * stopping at an end-of-generation token or, outside chats, at a newline;
 * then mt_eval_summarize. progress counts problems. False with err set
 * (out of memory, a prompt longer than the context or empty, the backend
 * failed, cancelled); r is then freed. */
bool mt_eval_run(const mt_model *m, mt_backend *be, const mt_tokenizer *tok, const mt_conditions *c, const mt_problem *problems,
                 size_t n_problems, uint32_t max_tokens, mt_exp_progress_fn progress, void *user, mt_eval_result *r, mt_err *err);

/* Fills r->summary from r->outputs' correct flags (condition 0 is the
 * baseline). False when out of memory. */
bool mt_eval_summarize(mt_eval_result *r);
void mt_eval_free(mt_eval_result *r);

#endif
