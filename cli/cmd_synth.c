/* `moetop synth`: writes a random model of any shape and tensor types
 * (engine/synth.c), gpt-oss or (--arch) another family, for benches, tests
 * and fuzz seeds. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "engine/gguf.h"
#include "engine/quant.h"
#include "engine/synth.h"
#include "engine/tokenizer.h"
#include "engine/synth_vocab.h"
#include "input.h"

/* "--types embd=q8_0,experts=mxfp4,...": groups not named keep their type. */
static bool parse_types(const char *list, mt_synth_spec *s) {
    static const struct { const char *group; size_t off; } groups[] = {
        { "embd", offsetof(mt_synth_spec, type_embd) },     { "output", offsetof(mt_synth_spec, type_output) },
        { "attn", offsetof(mt_synth_spec, type_attn) },     { "router", offsetof(mt_synth_spec, type_router) },
        { "experts", offsetof(mt_synth_spec, type_experts) },
    };
    char buf[256];
    snprintf(buf, sizeof buf, "%s", list);
    for (char *save = NULL, *item = strtok_r(buf, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
        char *eq = strchr(item, '=');
        if (!eq) {
            cli_error(CLI_EXIT_USAGE, "--types: '%s' is not GROUP=TYPE (groups: embd output attn router experts)", item);
            return false;
        }
        *eq = 0;
        size_t g = 0;
        while (g < sizeof groups / sizeof *groups && strcmp(groups[g].group, item) != 0) g++;
        if (g == sizeof groups / sizeof *groups) {
            cli_error(CLI_EXIT_USAGE, "--types: unknown group '%s' (groups: embd output attn router experts)", item);
            return false;
        }
        int type = mt_type_from_name(eq + 1);
        if (type < 0) {
            cli_error(CLI_EXIT_USAGE, "--types: unknown type '%s' (f32 f16 bf16 q8_0 mxfp4)", eq + 1);
            return false;
        }
        memcpy((char *)s + groups[g].off, &(uint32_t){ (uint32_t)type }, sizeof(uint32_t));
    }
    return true;
}

/* "--vocab-tokens FILE": one rank (a decimal token id of --vocab) per line;
 * blank lines and lines starting with '#' are skipped. The ranks in file
 * order, malloc'd, and their count; NULL after "moetop: FILE:LINE: why". */
static uint32_t *read_ranks(const char *path, uint32_t *n_out) {
    size_t len;
    char *text = mt_read_text_file(path, &len);
    if (!text) return NULL;
    uint32_t *ranks = NULL, n = 0, cap = 0, line_no = 0;
    for (char *line = text, *end; line < text + len; line = end + 1) {
        end = memchr(line, '\n', (size_t)(text + len - line));
        if (!end) end = text + len;
        line_no++;
        size_t n_line = (size_t)(end - line);
        if (n_line && line[n_line - 1] == '\r') n_line--;
        if (n_line == 0 || line[0] == '#') continue;
        unsigned long long v = 0;
        size_t i = 0;
        while (i < n_line && line[i] >= '0' && line[i] <= '9' && v <= UINT32_MAX) v = v * 10 + (unsigned)(line[i++] - '0');
        if (i == 0 || i != n_line || v >= UINT32_MAX) {
            cli_error(CLI_EXIT_USAGE, "%s:%u: '%.*s' is not a rank (a token id of --vocab, one per line)", path, line_no,
                      (int)(n_line < 40 ? n_line : 40), line);
            goto fail;
        }
        if (n == cap) {
            cap = cap ? cap * 2 : 1024;
            uint32_t *p = realloc(ranks, cap * sizeof *p);
            if (!p) {
                cli_error(CLI_EXIT_FAIL, "%s: out of memory", path);
                goto fail;
            }
            ranks = p;
        }
        ranks[n++] = (uint32_t)v;
    }
    if (n == 0) {
        cli_error(CLI_EXIT_USAGE, "%s: lists no ranks", path);
        goto fail;
    }
    free(text);
    *n_out = n;
    return ranks;
fail:
    free(text);
    free(ranks);
    return NULL;
}

/* A bad --vocab-tokens list is the user's error (exit 2), found by building
 * the vocabulary once before writing. */
static bool list_usable(const mt_synth_spec *s, mt_err *err) {
    mt_synth_vocab v;
    if (!mt_synth_vocab_build(s, &v, err)) return false;
    mt_synth_vocab_free(&v);
    return true;
}

static int run_synth(const cli_command *cmd, cli_args *a) {
    const char *out = cli_get(a, "--output");
    if (!out) return cli_usage_error(cmd, "-o: an output file is required");
    mt_synth_spec s = mt_synth_default_spec();
    const char *preset = cli_get(a, "--preset");
    s.name = cli_get(a, "--name");
    if (preset && !mt_synth_preset(preset, &s))
        return cli_error(CLI_EXIT_USAGE, "--preset: unknown preset '%s' (a, b, c, tiny, gpt-oss-20b)", preset);
    if (!s.name) s.name = "moetop-synth";
    const uint32_t big = 1u << 20;
    if (!cli_get_u64(a, "--seed", &s.seed) || !cli_get_u32(a, "--layers", 1, 256, &s.n_layer) ||
        !cli_get_u32(a, "--d-model", 1, big, &s.d_model) || !cli_get_u32(a, "--heads", 1, 1024, &s.n_head) ||
        !cli_get_u32(a, "--kv-heads", 1, 1024, &s.n_kv) || !cli_get_u32(a, "--head-dim", 2, 4096, &s.head_dim) ||
        !cli_get_u32(a, "--experts", 1, 1024, &s.n_expert) || !cli_get_u32(a, "--k", 1, 1024, &s.k) ||
        !cli_get_u32(a, "--ff", 1, big, &s.ff) || !cli_get_u32(a, "--swa", 1, big, &s.swa) ||
        !cli_get_u32(a, "--context", 1, 1u << 24, &s.context_length) ||
        !cli_get_u32(a, "--vocab-base", 1, 1000000, &s.vocab_base))
        return CLI_EXIT_USAGE;
    const char *arch = cli_get(a, "--arch");
    if (arch) {
        /* the families' names for people, and their general.architecture */
        static const struct { const char *name, *arch; float rope_base; } archs[] = {
            { "gpt-oss", "gpt-oss", 0 }, { "mixtral", "llama", 1e6f }, { "llama", "llama", 1e6f },
            { "qwen3moe", "qwen3moe", 1e6f }, { "olmoe", "olmoe", 1e4f },
        };
        size_t i = 0;
        while (i < sizeof archs / sizeof *archs && strcmp(archs[i].name, arch) != 0) i++;
        if (i == sizeof archs / sizeof *archs)
            return cli_error(CLI_EXIT_USAGE, "--arch: '%s' is not gpt-oss, mixtral (llama), qwen3moe or olmoe", arch);
        s.arch = archs[i].arch;
        if (archs[i].rope_base) {
            s.rope_base = archs[i].rope_base; /* the family's usual base; --rope-base changes it */
            s.rope_factor = 1.0f;
            static const char *const oss_only[] = { "--swa", "--rope-factor", "--rope-original-context" };
            for (size_t k = 0; k < 3; k++)
                if (cli_has(a, oss_only[k]))
                    return cli_error(CLI_EXIT_USAGE, "%s: only gpt-oss has a sliding window and YaRN; --arch %s has neither", oss_only[k], arch);
        }
    }
    s.split_experts = cli_has(a, "--split-experts");
    const char *types = cli_get(a, "--types");
    if (types && !parse_types(types, &s)) return CLI_EXIT_USAGE;
    mt_err err;
    mt_gguf *vocab = NULL;
    const char *vocab_path = cli_get(a, "--vocab");
    if (vocab_path) {
        vocab = mt_gguf_open(vocab_path, &err);
        mt_tokenizer *check = vocab ? mt_tokenizer_load(vocab, &err) : NULL; /* a vocabulary the tokenizer refuses is bad input */
        if (!check) {
            mt_gguf_close(vocab);
            return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
        }
        mt_tokenizer_free(check);
        mt_str model = mt_gguf_get_str(vocab, "tokenizer.ggml.model", (mt_str){ 0 });
        if (!(model.len == 4 && memcmp(model.ptr, "gpt2", 4) == 0)) { /* synth copies ranks and merges */
            int rc = cli_error(CLI_EXIT_USAGE, "--vocab %s: synth takes a byte-level BPE vocabulary (tokenizer.ggml.model 'gpt2'); this one is '%.*s'",
                               vocab_path, (int)(model.len < 40 ? model.len : 40), model.ptr ? model.ptr : "");
            mt_gguf_close(vocab);
            return rc;
        }
        s.vocab_from = vocab;
    }
    uint32_t *ranks = NULL;
    const char *ranks_path = cli_get(a, "--vocab-tokens");
    if (ranks_path) {
        if (!vocab || cli_has(a, "--vocab-base")) {
            mt_gguf_close(vocab);
            return cli_usage_error(cmd, "--vocab-tokens: needs --vocab FILE, and replaces --vocab-base");
        }
        if (!(ranks = read_ranks(ranks_path, &s.vocab_base))) {
            mt_gguf_close(vocab);
            return CLI_EXIT_USAGE;
        }
        s.vocab_ranks = ranks;
    }
    s.weights_dir = cli_get(a, "--weights");
    s.vocab_only = cli_has(a, "--vocab-only");
    float base = s.rope_base, factor = s.rope_factor;
    if (!cli_get_float(a, "--rope-base", &base) || !cli_get_float(a, "--rope-factor", &factor) ||
        !cli_get_u32(a, "--rope-original-context", 1, 1u << 24, &s.rope_original_context)) {
        mt_gguf_close(vocab);
        free(ranks);
        return CLI_EXIT_USAGE;
    }
    s.rope_base = base;
    s.rope_factor = factor;
    int rc = 0;
    if (!mt_synth_check(&s, &err)) rc = cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    else if (ranks && !list_usable(&s, &err)) rc = cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    else if (!mt_synth_write(&s, out, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    else if (!cli_has(a, "--quiet"))
        fprintf(stderr, "moetop: wrote %s: %s, %u layer%s, width %u, %u x %u heads (%u KV), %u expert%s top-%u, vocabulary %u + %d\n",
                out, s.arch ? s.arch : "gpt-oss", s.n_layer, s.n_layer == 1 ? "" : "s", s.d_model, s.n_head, s.head_dim, s.n_kv, s.n_expert,
                s.n_expert == 1 ? "" : "s", s.k, s.vocab_base, MT_SYNTH_N_SPECIAL);
    mt_gguf_close(vocab);
    free(ranks);
    return rc;
}

const cli_command cmd_synth = {
    .name = "synth",
    .usage = "moetop synth -o OUT.gguf [--arch gpt-oss|mixtral|qwen3moe|olmoe [--split-experts]] [--preset NAME] [--layers N] [--d-model N] [--heads N] [--kv-heads N] "
             "[--head-dim N] [--experts N] [--k N] [--ff N] [--swa N] [--vocab-base N] [--vocab FILE [--vocab-tokens LIST]] "
             "[--types GROUP=TYPE,...] [--seed S]",
    .summary = "Write a random model of the gpt-oss architecture (or --arch another family), with llama.cpp's tensor names, shapes and keys.",
    .details = "Presets: a, b, c (the shapes of shared/oracle/gpt-oss), tiny, gpt-oss-20b (about 13 GB).\n"
               "--arch mixtral (general.architecture llama), qwen3moe or olmoe writes that family instead\n"
               "(no biases, sinks, window or YaRN; q/k norms where it has them; RoPE base 1e6, OLMoE 1e4);\n"
               "--split-experts (mixtral) stores each expert as its own tensor, as older Mixtral files do.\n"
               "The default is preset a. Flags after --preset change single fields.\n"
               "Type groups: embd (token_embd), output, attn (q, k, v, output), router (ffn_gate_inp),\n"
               "experts (ffn_gate/up/down_exps); types: f32, f16, bf16, q8_0, mxfp4. Norms, biases and\n"
               "sinks are always f32. Vocabulary: 256 byte tokens and invented merges up to --vocab-base,\n"
               "or the first --vocab-base ranks of --vocab FILE, or exactly the ranks --vocab-tokens LIST\n"
               "names (ascending, one per line, '#' comments; all single-byte tokens among them, and\n"
               "closed under the merges: each longer token made by a merge of two listed tokens); ids\n"
               "are dense in rank order, merges kept in the source's order; then 32 harmony special tokens.\n"
               "The same seed gives the same file on every machine. --weights DIR reads trained values\n"
               "(raw float32, GGUF element order, one file per tensor named like the tensor) and\n"
               "quantizes them to the chosen types.\n" CLI_OUTPUT_DETAILS,
    .opts = {
        { "--output", 'o', "FILE", "where to write the model (- for stdout)" },
        { "--arch", 0, "NAME", "the family: gpt-oss (default), mixtral, qwen3moe, olmoe" },
        { "--split-experts", 0, NULL, "mixtral: one tensor per expert (blk.N.ffn_gate.E.weight)" },
        { "--preset", 0, "NAME", "start from a named shape (default a)" },
        { "--name", 0, "TEXT", "general.name (default moetop-synth)" },
        { "--layers", 0, "N", "transformer blocks" },
        { "--d-model", 0, "N", "model width (embedding_length)" },
        { "--heads", 0, "N", "query heads" },
        { "--kv-heads", 0, "N", "key/value heads (divides --heads)" },
        { "--head-dim", 0, "N", "width of one head" },
        { "--experts", 0, "N", "experts per layer" },
        { "--k", 0, "N", "experts used per token" },
        { "--ff", 0, "N", "expert hidden width" },
        { "--swa", 0, "N", "sliding window of the even layers" },
        { "--context", 0, "N", "context_length" },
        { "--vocab-base", 0, "N", "ordinary tokens before the 32 specials" },
        { "--vocab", 0, "FILE", "take the vocabulary's first ranks and merges from this GGUF" },
        { "--vocab-tokens", 0, "LIST", "take exactly the ranks listed in this file from --vocab" },
        { "--types", 0, "LIST", "tensor types per group, e.g. attn=bf16,experts=mxfp4" },
        { "--seed", 0, "S", "random seed (default 1)" },
        { "--weights", 0, "DIR", "trained weights: DIR/<tensor>.f32 instead of random values" },
        { "--vocab-only", 0, NULL, "write only the tokenizer (a vocabulary file)" },
        { "--rope-base", 0, "F", "RoPE base (default 150000)" },
        { "--rope-factor", 0, "F", "YaRN scaling factor (default 32; 1 = none)" },
        { "--rope-original-context", 0, "N", "YaRN's original context (default 4096)" },
        { "--quiet", 'q', NULL, "no summary line" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_synth,
};
