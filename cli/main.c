/* moetop: the entry point. Dispatches to the subcommands; with no command it
 * will open the explorer. */
#include <stdio.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "version.h"

static const cli_command *const commands[] = { &cmd_info, &cmd_synth, &cmd_tokenize, &cmd_trace, &cmd_generate, &cmd_bench, &cmd_devices,
                                                 &cmd_entropy, &cmd_coact, &cmd_sweep, &cmd_cold,
                                                 &cmd_domains, &cmd_export, &cmd_profile, &cmd_merge_profiles,
                                                 &cmd_compare, &cmd_eval, &cmd_ppl, &cmd_merge_ppl, &cmd_context, &cmd_probe,
                                                 &cmd_vocab_map, &cmd_merge_vocab_map, &cmd_taxonomy, &cmd_divergence,
                                                 &cmd_circuits, &cmd_dynamics, &cmd_importance, &cmd_similarity, &cmd_predict,
                                                 &cmd_attention_routing, &cmd_merge_shards, &cmd_prune, &cmd_explore, &cmd_tour };
#define N_COMMANDS (sizeof commands / sizeof *commands)

static void print_main_help(void) {
    printf("moetop %s: a terminal explorer of Mixture-of-Experts routing\n\n"
           "usage: moetop [explorer options]   (the explorer; moetop explore --help)\n"
           "       moetop COMMAND [options]    (moetop COMMAND --help for its options)\n\ncommands:\n",
           MOETOP_VERSION);
    for (size_t i = 0; i < N_COMMANDS; i++) printf("  %-10s %s\n", commands[i]->name, commands[i]->summary);
    printf("\n  --version  print the version\n  --help     this help\n");
}

static int run(const cli_command *cmd, int argc, char **argv) {
    cli_args args;
    int rc = cli_parse(cmd, argc, argv, &args);
    if (rc == CLI_HELP_SHOWN) return 0;
    if (rc != CLI_OK) return rc;
    return cmd->run(cmd, &args);
}

int main(int argc, char **argv) {
    /* no command, or options first: the explorer */
    if (argc < 2 || (argv[1][0] == '-' && strcmp(argv[1], "--help") != 0 && strcmp(argv[1], "-h") != 0 &&
                     strcmp(argv[1], "--version") != 0))
        return run(&cmd_explore, argc - 1, argv + 1);
    const char *name = argv[1];
    if (strcmp(name, "--help") == 0 || strcmp(name, "-h") == 0 || strcmp(name, "help") == 0) {
        print_main_help();
        return 0;
    }
    if (strcmp(name, "--version") == 0) {
        printf("moetop %s\n", MOETOP_VERSION);
        return 0;
    }
    for (size_t i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i]->name, name) == 0) return run(commands[i], argc - 2, argv + 2);
    return cli_error(CLI_EXIT_USAGE, "%s: unknown command (usage: moetop COMMAND [options]; see moetop --help)", name);
}
