/* The corpus-sized experiments' merges, which `moetop merge-shards` calls
 * after checking that the shards are one run's (shard_io.h): each adds the
 * shards' sums and writes the unsharded run's --json output to out. */
#ifndef MT_STRUCTURE_H
#define MT_STRUCTURE_H

#include "cli/json_read.h"
#include "experiments/importance.h"
#include "shard_io.h"

int cli_circuits_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out);
int cli_dynamics_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out);
/* Importance observed over c's prompts (every shards-th from shard; shards
 * 0: all) run under iv: each prompt added to layers[n_layer], which
 * mt_imp_init made with c's domains (experiments/importance_observe.h). What
 * `moetop importance` and `moetop prune --by importance` both run. 0 or an
 * exit code after the error. */
int cli_importance_observe(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, int shard, int shards, mt_imp_layer *layers);
int cli_importance_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out);

#endif
