/* The subcommands of moetop; each lives in its own cmd_*.c. */
#ifndef MT_COMMANDS_H
#define MT_COMMANDS_H

#include "args.h"

extern const cli_command cmd_info;
extern const cli_command cmd_synth;
extern const cli_command cmd_tokenize;
extern const cli_command cmd_trace;
extern const cli_command cmd_generate;
extern const cli_command cmd_bench;
extern const cli_command cmd_devices;
extern const cli_command cmd_entropy;
extern const cli_command cmd_coact;
extern const cli_command cmd_sweep;
extern const cli_command cmd_cold;
extern const cli_command cmd_domains;
extern const cli_command cmd_export;
extern const cli_command cmd_profile;
extern const cli_command cmd_merge_profiles;
extern const cli_command cmd_explore;
extern const cli_command cmd_tour;
/* the experiments (cli/experiments/) */
extern const cli_command cmd_compare;
extern const cli_command cmd_eval;
extern const cli_command cmd_ppl;
extern const cli_command cmd_merge_ppl;
extern const cli_command cmd_prune;
extern const cli_command cmd_context;
extern const cli_command cmd_probe;
extern const cli_command cmd_vocab_map;
extern const cli_command cmd_merge_vocab_map;
extern const cli_command cmd_taxonomy;
extern const cli_command cmd_divergence;
extern const cli_command cmd_circuits;
extern const cli_command cmd_dynamics;
extern const cli_command cmd_importance;
extern const cli_command cmd_similarity;
extern const cli_command cmd_predict;
extern const cli_command cmd_attention_routing;
extern const cli_command cmd_merge_shards;

#endif
