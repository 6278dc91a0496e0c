/* What trace, generate, bench and the analyses share on the command line:
 * the model and backend, the prompt, and the intervention flags. */
#ifndef MT_MODEL_ARGS_H
#define MT_MODEL_ARGS_H

#include "args.h"
#include "engine/backend.h"
#include "engine/gguf.h"
#include "engine/intervene.h"
#include "engine/model.h"
#include "engine/tokenizer.h"

#define CLI_MODEL_OPTS                                                                                 \
    { "--model", 'm', "FILE", "the model (GGUF: gpt-oss, Mixtral, Qwen3-MoE, OLMoE; default: the bundled model)" },               \
    { "--backend", 0, "NAME", "cpu or vulkan (default cpu)" },                                          \
    { "--device", 0, "N", "the Vulkan device (moetop devices; default: the best, or $MOETOP_DEVICE)" }, \
    { "--threads", 0, "N", "CPU threads (default: $MOETOP_THREADS, else every core)" }

/* trace, generate, bench and the explorer (the analyses' --profile reads a saved profile) */
#define CLI_GPU_PROFILE_OPT { "--profile", 0, NULL, "time per op on stderr at the end (Vulkan: GPU timestamps; CPU: wall time, and where the weights are read from)" }

#define CLI_PROMPT_OPTS                                                                                \
    { "--prompt", 0, "TEXT", "the prompt as text" },                                                    \
    { "--prompt-file", 0, "FILE", "the prompt as a file's exact bytes" },                               \
    { "--ids", 0, "\"ID ID ..\"", "the prompt as token ids" },                                          \
    { "--chat", 0, "TEXT", "the prompt as a user message in the model's chat format (harmony for gpt-oss)" },         \
    { "--special", 0, NULL, "special-token strings in the prompt are special tokens" }

#define CLI_IV_OPTS                                                                                    \
    { "--mask", 0, "E,..[@L,..]", "router logits of these experts are -inf before top-k", true },            \
    { "--k", 0, "N[@L,..]", "select the top N experts instead of the model's k", true },                     \
    { "--force", 0, "E[@L,..]", "every token uses exactly expert E with weight 1", true },                    \
    { "--zero", 0, "E,..[@L,..]", "these experts' outputs count as zero (routing unchanged)", true },         \
    { "--drop", 0, "E,..[@L,..]", "weight 0 after top-k, the others renormalised (OLMoE: unchanged)", true }

#define CLI_IV_DETAILS                                                                                 \
    "Interventions apply at the layers after @ (comma-separated), else at every layer;\n"             \
    "flags repeat and combine: --force overrides a layer, then masks, then k, then drop,\n"         \
    "then zero. Mask, drop and zero lists unite; the last --k and --force at a layer win.\n"                                \
    "Router logits that are not finite: a NaN expert is never selected (as if masked); +inf\n"       \
    "and -inf rank at the two ends; when the top is +inf the +inf experts share the weight\n"        \
    "equally, -inf experts get 0 (all -inf: the MoE adds nothing); the margin of two equal\n"       \
    "logits (the same infinity too) is 0, else their difference (JSON writes +inf as null).\n"     \
    "Mixtral, Qwen3-MoE and OLMoE route on the softmax over all experts: masks, drops and the\n"    \
    "margin are in that probability, and OLMoE keeps its raw probabilities as weights (README,\n"   \
    "Other families)."

typedef struct cli_model {
    const char *path;        /* -m, or default_path */
    char default_path[4096]; /* the bundled model when -m is absent */
    mt_gguf *g;
    mt_model *m;
    mt_tokenizer *tok;
    mt_backend *be;
    bool profile;            /* --profile (the switch): report GPU times at close */
    int cpu_threads;         /* the C backend's threads as asked (--threads, $MOETOP_THREADS, the
                              * configuration; 0: every core), for work kept on the CPU whatever
                              * the backend (the expert evaluator of importance and similarity) */
    char weights[256];       /* where the CPU backend reads the weights from, for --profile */
    char notes[1024];        /* what opening it had to say (each line also went to stderr as it came):
                              * why --backend vulkan was not used, the backend's notices, a setting
                              * ignored; lines ending in '\n', for the explorer's status line */
} cli_model;

/* Opens -m with its tokenizer and the backend; 0, or an exit code after
 * printing the error. */
int cli_model_open(const cli_args *a, cli_model *cm);
/* The same with the backend, Vulkan device and CPU threads to use when
 * --backend, --device and --threads (and $MOETOP_THREADS) are absent: the
 * explorer's configuration; NULL, NULL, 0: cpu, the best device, every core. */
int cli_model_open_with(const cli_args *a, cli_model *cm, const char *backend, const char *device, int threads);
void cli_model_close(cli_model *cm);
/* When $MOETOP_HUGEPAGES is not a value it knows (engine/mapping.h): one
 * line on stderr naming it (its first 40 bytes, controls escaped), also kept
 * in cm's notes when cm is not NULL. */
void cli_hugepages_warning(cli_model *cm);
/* The backend's notices (engine/backend.h), a line each on stderr, also kept
 * in cm's notes when cm is not NULL. */
void cli_backend_notices(const mt_backend *be, cli_model *cm);

/* The prompt from exactly one of --prompt, --prompt-file, --ids or --chat
 * TEXT (the model's chat format, chat.h), as token ids, BOS first where the vocabulary asks. 0, or an exit code after one
 * line naming the flag or file: 2 for no prompt or two, an empty prompt (no
 * tokens to run) or more tokens than the model's context. */
int cli_prompt(const cli_args *a, const cli_model *cm, mt_ids *ids);
/* Whether any of those flags is given. */
bool cli_prompt_given(const cli_args *a);

/* The intervention flags, validated against the model; 0 or exit code 2. */
int cli_interventions(const cli_args *a, const mt_model *m, mt_interventions *iv);

/* The base name of a path, for JSON "model" fields. */
const char *cli_base_name(const char *path);

#endif
