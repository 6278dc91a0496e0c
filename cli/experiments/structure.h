/* The corpus-sized experiments' merges, which `moetop merge-shards` calls
 * after checking that the shards are one run's (shard_io.h): each adds the
 * shards' sums and writes the unsharded run's --json output to out. */
#ifndef MT_STRUCTURE_H
#define MT_STRUCTURE_H

#include "cli/json_read.h"
#include "shard_io.h"

int cli_circuits_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out);
int cli_dynamics_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out);
int cli_importance_merge(const cli_shard_head *h, jv *const *shards, const char *const *paths, int n, const char *out);

#endif
