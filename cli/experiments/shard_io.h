/* What the corpus-sized experiments (circuits, dynamics, importance) share:
 * --shard i/N (every N-th prompt of the set, from the i-th), running the
 * shard's prompts, and reading a shard's --json output back for
 * `moetop merge-shards`, which adds the shards' integer and fixed-point sums
 * into exactly the unsharded run's output. */
#ifndef MT_SHARD_IO_H
#define MT_SHARD_IO_H

#include <stdbool.h>
#include <stdint.h>

#include "cli/args.h"
#include "cli/corpus.h"
#include "cli/json.h"
#include "cli/json_read.h"

#define CLI_SHARD_OPT { "--shard", 0, "i/N", "only every N-th prompt from the i-th (merge with moetop merge-shards)" }

/* --shard: shards = 0 without it. False after printing the error. */
bool cli_shard_opt(const cli_args *a, int *shard, int *shards);

/* Runs the shard's prompts (index i with i % shards == shard; every prompt
 * when shards is 0), each in a fresh context with the interventions, and
 * calls fn with the prompt's index in the set; capture_moe_input: the session
 * keeps each layer's MoE input (mt_session_capture_moe_input). A progress line on stderr. */
typedef int (*cli_shard_fn)(void *ctx, size_t index, const cli_prompt_item *item, mt_session *s);
int cli_shard_run(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, int shard, int shards, const char *label,
                  bool capture_moe_input, cli_shard_fn fn, void *ctx);

/* The fields every shard output starts with: "experiment", "model",
 * "prompts" (in the whole set), "seed", and "shard": {"index", "count"}
 * (count 0: not sharded). */
typedef struct cli_shard_head {
    char experiment[32];
    char model[256];
    uint64_t prompts, seed;
    int index, count;
} cli_shard_head;

void cli_shard_head_write(mt_json *j, const cli_shard_head *h);
/* Reads h from a shard file's object; false after printing "PATH: why". */
bool cli_shard_head_read(const char *path, const jv *v, cli_shard_head *h);

/* An array of n u64 (an integer JSON array); false when it is not one. */
bool cli_jv_u64s(const jv *arr, uint64_t *out, size_t n);

#endif
