/* `moetop merge-shards`: the --json outputs of circuits, dynamics or
 * importance run with --shard i/N, added into exactly the unsharded result. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/commands.h"
#include "structure.h"

static int run_merge_shards(const cli_command *cmd, cli_args *a) {
    const char *out = cli_get(a, "--output");
    if (!out) return cli_usage_error(cmd, "-o: an output file is required (- for stdout)");
    if (a->n_positional == 0) return cli_usage_error(cmd, "give the shards' JSON files");
    int n = a->n_positional, rc = 0, count = 0;
    jv **v = calloc((size_t)n, sizeof *v);
    bool *seen = NULL;
    cli_shard_head first = { 0 };
    if (!v) return cli_error(CLI_EXIT_FAIL, "out of memory");
    for (int i = 0; i < n && !rc; i++) {
        const char *path = a->positional[i];
        char why[300];
        cli_shard_head h;
        if (!(v[i] = jv_parse_file(path, why, sizeof why))) rc = cli_error(CLI_EXIT_USAGE, "%s: %s", path, why);
        else if (!cli_shard_head_read(path, v[i], &h)) rc = CLI_EXIT_USAGE;
        else if (i == 0) {
            first = h;
            count = h.count;
            if (!(seen = calloc((size_t)count, sizeof *seen))) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        } else if (strcmp(h.experiment, first.experiment) || strcmp(h.model, first.model) || h.prompts != first.prompts ||
                   h.seed != first.seed || h.count != count)
            rc = cli_error(CLI_EXIT_USAGE, "%s: from another run (experiment, model, prompts, seed or shard count differ)", path);
        if (!rc && seen[h.index]) rc = cli_error(CLI_EXIT_USAGE, "%s: shard %d/%d given twice", path, h.index, count);
        if (!rc) seen[h.index] = true;
    }
    for (int i = 0; !rc && i < count; i++)
        if (!seen[i]) rc = cli_error(CLI_EXIT_USAGE, "shard %d/%d is missing", i, count);
    if (!rc) {
        const char *const *paths = (const char *const *)a->positional;
        if (strcmp(first.experiment, "circuits") == 0) rc = cli_circuits_merge(&first, v, paths, n, out);
        else if (strcmp(first.experiment, "dynamics") == 0) rc = cli_dynamics_merge(&first, v, paths, n, out);
        else if (strcmp(first.experiment, "importance") == 0) rc = cli_importance_merge(&first, v, paths, n, out);
        else rc = cli_error(CLI_EXIT_USAGE, "%s: experiment '%s' has no shards to merge", paths[0], first.experiment);
    }
    for (int i = 0; i < n; i++) jv_free(v[i]);
    free(v);
    free(seen);
    return rc;
}

const cli_command cmd_merge_shards = {
    .name = "merge-shards",
    .usage = "moetop merge-shards -o OUT.json SHARD.json ...",
    .summary = "Merge the --json outputs of circuits, dynamics or importance --shard i/N into exactly the unsharded result.",
    .max_positional = CLI_MAX_POSITIONAL,
    .positional_name = "SHARD.json",
    .opts = { { "--output", 'o', "FILE", "the merged result (- for stdout): the unsharded run's --json output" },
              { NULL, 0, NULL, NULL } },
    .run = run_merge_shards,
};
