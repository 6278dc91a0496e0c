#include "model_args.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/chat.h"
#include "engine/mapping.h"
#include "engine/vulkan.h"
#include "input.h"
#include "paths.h"
#include "text.h"

const char *cli_base_name(const char *path) {
    const char *slash = strrchr(path, '/');
    return slash ? slash + 1 : path;
}

/* --profile as a switch (trace, generate, bench, explore): time per op (GPU time on Vulkan, wall time on
 * the CPU); the analyses' --profile FILE is something else */
static bool gpu_profile_wanted(const cli_args *a) {
    for (int i = 0; a->cmd->opts[i].name; i++)
        if (strcmp(a->cmd->opts[i].name, "--profile") == 0) return !a->cmd->opts[i].value && a->count[i] > 0;
    return false;
}

int cli_model_open(const cli_args *a, cli_model *cm) { return cli_model_open_with(a, cm, NULL, NULL, 0); }

/* --threads, else $MOETOP_THREADS, else the caller's default (0: every core); false after printing why. */
static bool thread_count(const cli_args *a, int default_threads, uint32_t *threads) {
    const char *env = getenv("MOETOP_THREADS");
    *threads = default_threads > 0 ? (uint32_t)default_threads : 0;
    if (cli_has(a, "--threads")) return cli_get_u32(a, "--threads", 1, 1024, threads);
    if (!env || !*env) return true;
    char *end;
    errno = 0;
    unsigned long v = strtoul(env, &end, 10);
    if (errno || *end || env[0] < '0' || env[0] > '9' || v < 1 || v > 1024) {
        cli_error(CLI_EXIT_USAGE, "MOETOP_THREADS: '%.40s' is not a number of threads in 1..1024", env);
        return false;
    }
    *threads = (uint32_t)v;
    return true;
}

/* One line on stderr (cli_error: "moetop: ", control characters escaped), kept in cm's notes too. */
static void note(cli_model *cm, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(cli_model *cm, const char *fmt, ...) {
    char line[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cli_error(0, "%s", line);
    if (!cm) return;
    char one[600];
    mt_one_line(line, one, sizeof one);
    size_t used = strlen(cm->notes), n = strlen(one);
    if (used + n + 2 <= sizeof cm->notes) snprintf(cm->notes + used, sizeof cm->notes - used, "%s\n", one);
}

void cli_hugepages_warning(cli_model *cm) {
    const char *env = getenv("MOETOP_HUGEPAGES");
    if (!mt_map_env_valid()) /* one line whatever the value holds */
        note(cm, "MOETOP_HUGEPAGES=%.40s%s: not 0, 1, off or on; deciding by the system", env, strlen(env) > 40 ? "..." : "");
}

void cli_backend_notices(const mt_backend *be, cli_model *cm) {
    for (const char *p = be->notice; *p;) {
        const char *end = strchr(p, '\n');
        size_t n = end ? (size_t)(end - p) : strlen(p);
        note(cm, "%.*s", (int)n, p);
        p += n + (end != NULL);
    }
}

/* The CPU backend streams the weights from memory: into huge pages when that
 * is worth it here (engine/mapping.h); what happened goes to --profile. */
static void weights_to_huge_pages(cli_model *cm) {
    char why[160];
    uint64_t size = mt_gguf_file_size(cm->g);
    cli_hugepages_warning(cm);
    if (!mt_map_huge_pages_wanted(size, why, sizeof why) || !mt_gguf_to_huge_pages(cm->g, why, sizeof why)) {
        snprintf(cm->weights, sizeof cm->weights, "weights: read through the file's mapping (%s)", why);
        return;
    }
    if (!cm->profile) return; /* the count reads /proc/self/smaps: only for the report */
    char huge[32], all[32];
    mt_format_bytes(mt_gguf_huge_bytes(cm->g), huge, sizeof huge);
    mt_format_bytes(size, all, sizeof all);
    snprintf(cm->weights, sizeof cm->weights, "weights: copied into anonymous memory, %s of %s in huge pages", huge, all);
}

int cli_model_open_with(const cli_args *a, cli_model *cm, const char *default_backend, const char *default_device,
                        int default_threads) {
    memset(cm, 0, sizeof *cm);
    cm->path = mt_model_path(a, cm->default_path, sizeof cm->default_path);
    if (!cm->path) return CLI_EXIT_USAGE;
    const char *backend = cli_get(a, "--backend"), *device = cli_get(a, "--device");
    if (!backend) backend = default_backend;
    if (!device && default_device && *default_device) device = default_device;
    uint32_t threads;
    if (!thread_count(a, default_threads, &threads)) return CLI_EXIT_USAGE;
    if (backend && strcmp(backend, "cpu") != 0 && strcmp(backend, "vulkan") != 0)
        return cli_error(CLI_EXIT_USAGE, "--backend: '%s' is not cpu or vulkan", backend);
    /* --device, else $MOETOP_DEVICE (for the Vulkan backend): a number (one that no device has: the CPU, in one line) */
    const char *flag_device = cli_get(a, "--device"), *env_device = getenv("MOETOP_DEVICE");
    if (flag_device && (!*flag_device || strspn(flag_device, "0123456789") != strlen(flag_device)))
        return cli_error(CLI_EXIT_USAGE, "--device: '%s' is not a device number (0, 1, ..: moetop devices)", flag_device);
    if (!device && backend && strcmp(backend, "vulkan") == 0 && env_device && *env_device &&
        strspn(env_device, "0123456789") != strlen(env_device))
        return cli_error(CLI_EXIT_USAGE, "MOETOP_DEVICE: '%.40s' is not a device number (0, 1, ..: moetop devices)", env_device);
    mt_err err;
    cm->g = mt_gguf_open(cm->path, &err);
    if (cm->g) cm->m = mt_model_load(cm->g, &err);
    if (cm->m) cm->tok = mt_tokenizer_load(cm->g, &err);
    if (!cm->tok) {
        cli_model_close(cm);
        return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    }
    if (cm->tok && mt_tok_vocab_size(cm->tok) != cm->m->hp.n_vocab) {
        int rc = cli_error(CLI_EXIT_USAGE, "%s: the vocabulary has %u tokens but token_embd.weight has %u rows", cm->path,
                           mt_tok_vocab_size(cm->tok), cm->m->hp.n_vocab);
        cli_model_close(cm);
        return rc;
    }
    cm->profile = gpu_profile_wanted(a);
    if (backend && strcmp(backend, "vulkan") == 0) {
        /* any failure on the way (no loader, no device, the model does not fit) falls back to the CPU, in one line */
        cm->be = mt_vulkan_backend_new(device, cm->profile, &err);
        if (cm->be && !cm->be->prepare(cm->be, cm->m, &err)) {
            cm->be->destroy(cm->be);
            cm->be = NULL;
        }
        if (!cm->be) note(cm, "--backend vulkan: %s; using the CPU backend", err.msg);
    } else if (cli_get(a, "--device")) { /* (a configured device with the CPU backend is no mistake) */
        note(cm, "--device: only the Vulkan backend has devices (--backend vulkan); ignored");
    }
    cm->cpu_threads = (int)threads;
    if (!cm->be) cm->be = mt_cpu_backend_new((int)threads);
    if (!cm->be) {
        cli_model_close(cm);
        return cli_error(CLI_EXIT_FAIL, "cannot start %u threads", threads);
    }
    cli_backend_notices(cm->be, cm);
    if (strcmp(cm->be->name, "cpu") == 0) weights_to_huge_pages(cm);
    if (cm->profile && strcmp(cm->be->name, "cpu") == 0) mt_cpu_backend_profile(cm->be);
    return 0;
}

void cli_model_close(cli_model *cm) {
    if (cm->be && cm->profile && cm->be->profile_report) cm->be->profile_report(cm->be, stderr);
    if (cm->be && cm->profile && cm->weights[0]) fprintf(stderr, "%s\n", cm->weights);
    if (cm->be) cm->be->destroy(cm->be);
    mt_tokenizer_free(cm->tok);
    mt_model_free(cm->m);
    mt_gguf_close(cm->g);
    cm->be = NULL;
    cm->tok = NULL;
    cm->m = NULL;
    cm->g = NULL;
}

static int parse_ids(const char *text, uint32_t n_vocab, mt_ids *ids) {
    const char *p = text;
    while (*p) {
        while (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r' || *p == ',') p++; /* "$(cat ids.txt)" of a CRLF file too */
        if (!*p) break;
        char *end;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (end == p || errno || (*end && *end != ' ' && *end != '\t' && *end != '\n' && *end != '\r' && *end != ',') || *p == '-')
            return cli_error(CLI_EXIT_USAGE, "--ids: '%.20s' is not a token id", p);
        if (v >= n_vocab) return cli_error(CLI_EXIT_USAGE, "--ids: %lu is outside the vocabulary (0..%u)", v, n_vocab - 1);
        if (!mt_ids_push(ids, (uint32_t)v)) return cli_error(CLI_EXIT_FAIL, "out of memory");
        p = end;
    }
    return 0;
}

bool cli_prompt_given(const cli_args *a) {
    return cli_get(a, "--prompt") || cli_get(a, "--prompt-file") || cli_get(a, "--ids") || cli_get(a, "--chat");
}

int cli_prompt(const cli_args *a, const cli_model *cm, mt_ids *ids) {
    const char *text = cli_get(a, "--prompt"), *file = cli_get(a, "--prompt-file"), *id_list = cli_get(a, "--ids");
    const char *chat = cli_get(a, "--chat");
    int given = !!text + !!file + !!id_list + !!chat;
    if (given != 1)
        return cli_usage_error(a->cmd, given ? "give only one of --prompt, --prompt-file, --ids, --chat"
                                             : "a prompt is required: --prompt, --prompt-file, --ids or --chat");
    /* what the messages name: the flag, or the file */
    const char *source = id_list ? "--ids" : file ? file : chat ? "--chat" : "--prompt";
    int rc = 0;
    if (id_list) {
        rc = parse_ids(id_list, cm->m->hp.n_vocab, ids);
    } else {
        size_t len = 0;
        char *owned = NULL;
        if (file) {
            if (!(owned = mt_read_text_file(file, &len))) return CLI_EXIT_USAGE;
            text = owned;
        } else {
            text = text ? text : chat;
            len = strlen(text);
            if (len > MT_MAX_TEXT_BYTES) return cli_error(CLI_EXIT_USAGE, "%s: the prompt is more than %u MiB", source, MT_MAX_TEXT_BYTES >> 20);
        }
        mt_err err;
        if (chat) {
            if (!mt_chat_prompt(cm->tok, text, len, ids, &err)) rc = cli_error(CLI_EXIT_USAGE, "--chat: %s", err.msg);
        } else if (!mt_tok_encode_prompt(cm->tok, text, len, cli_has(a, "--special"), ids)) {
            rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        }
        free(owned);
    }
    if (!rc && ids->n == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: the prompt is empty: there are no tokens to run", source);
    if (!rc && ids->n > cm->m->hp.n_ctx)
        rc = cli_error(CLI_EXIT_USAGE, "%s: the prompt's %zu tokens are more than the model's context of %u", source, ids->n, cm->m->hp.n_ctx);
    return rc;
}

int cli_interventions(const cli_args *a, const mt_model *m, mt_interventions *iv) {
    if (!mt_iv_init(iv, m->hp.n_layer, m->hp.n_expert)) return cli_error(CLI_EXIT_FAIL, "out of memory");
    static const char *const kinds[] = { "mask", "k", "force", "zero", "drop" };
    for (size_t k = 0; k < sizeof kinds / sizeof *kinds; k++) {
        char flag[16];
        snprintf(flag, sizeof flag, "--%s", kinds[k]);
        int opt = -1;
        for (int i = 0; a->cmd->opts[i].name; i++)
            if (strcmp(a->cmd->opts[i].name, flag) == 0) opt = i;
        for (int i = 0; opt >= 0 && i < a->count[opt]; i++) {
            mt_err err;
            if (!mt_iv_parse(iv, kinds[k], a->values[opt][i], &err)) return cli_error(CLI_EXIT_USAGE, "%s", err.msg);
        }
    }
    return 0;
}
