/* The prompts an analysis runs over: one prompt (--prompt, --prompt-file,
 * --ids, --chat; one domain, "prompt"), or a prompt set (--prompts DIR): every
 * regular file in DIR not starting with '.' is one domain, named after the
 * file without its extension, holding prompts separated by blank lines (read by
 * engine/lines.h: LF, CRLF or CR, a BOM dropped, a line of spaces and tabs
 * blank, a NUL byte refused with its line); special-token strings in them
 * (<|start|> ...) are special tokens, so a prompt set can hold harmony chats.
 * Without any of these, the bundled prompt sets. An empty prompt, or a file of
 * a set with no prompts, is refused (exit 2): no statistic is shown over zero
 * tokens. */
#ifndef MT_CORPUS_H
#define MT_CORPUS_H

#include <stddef.h>

#include "engine/session.h"
#include "engine/stats.h"
#include "model_args.h"

typedef struct cli_prompt_item {
    uint32_t domain; /* index into domains */
    uint32_t index;  /* the prompt's number within its domain, from 0 */
    mt_ids ids;
} cli_prompt_item;

typedef struct cli_corpus {
    cli_prompt_item *items;
    size_t n_items;
    char **domains;
    uint32_t n_domains;
} cli_corpus;

#define CLI_CORPUS_OPTS                                                                                 \
    CLI_PROMPT_OPTS,                                                                                    \
    { "--prompts", 0, "DIR", "a prompt set: one file per domain, prompts separated by blank lines" }

/* 0, or an exit code after printing the error. */
int cli_corpus_load(const cli_args *a, const cli_model *cm, cli_corpus *c);
/* A prompt set directory, or one file of that format as one domain (no
 * prompt in it is an error); 0, or an exit code after printing the error. */
int cli_corpus_load_dir(const char *dir, const cli_model *cm, cli_corpus *c);
int cli_corpus_load_file(const char *path, const char *domain, const cli_model *cm, cli_corpus *c);
void cli_corpus_free(cli_corpus *c);

/* Runs every prompt (each in a fresh context) with the interventions and
 * calls fn after each; fn reads the session's trace (no logits are
 * computed). 0 or an exit code. */
typedef int (*cli_prompt_fn)(void *ctx, const cli_prompt_item *item, const mt_session *s);
int cli_corpus_run(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, cli_prompt_fn fn, void *ctx);
/* The same; capture_moe_input: the session keeps each layer's MoE input
 * (mt_session_capture_moe_input) for fn to read. */
int cli_corpus_run_opts(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, bool capture_moe_input, cli_prompt_fn fn,
                        void *ctx);

/* Adds every token of a session to the statistics. */
void cli_stats_observe_session(mt_stats *st, const mt_session *s);

#endif
