#include "corpus.h"

#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "engine/lines.h"
#include "input.h"
#include "paths.h"

static int add_item(cli_corpus *c, uint32_t domain, uint32_t index, const mt_ids *ids) {
    cli_prompt_item *items = realloc(c->items, (c->n_items + 1) * sizeof *items);
    if (!items) return cli_error(CLI_EXIT_FAIL, "out of memory");
    c->items = items;
    c->items[c->n_items++] = (cli_prompt_item){ domain, index, *ids };
    return 0;
}

static int add_domain(cli_corpus *c, const char *name) {
    char **d = realloc(c->domains, (c->n_domains + 1) * sizeof *d);
    if (!d || !(d[c->n_domains] = strdup(name))) return cli_error(CLI_EXIT_FAIL, "out of memory");
    c->domains = d;
    c->n_domains++;
    return 0;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Splits a file into prompts (engine/lines.h: maximal runs of non-blank
 * lines) and tokenizes each; a NUL byte is refused with its line. */
static int load_domain_file(const char *path, uint32_t domain, const cli_model *cm, cli_corpus *c) {
    size_t len;
    char *text = mt_read_text_file(path, &len);
    if (!text) return CLI_EXIT_USAGE;
    uint32_t index = 0;
    int rc = 0;
    mt_lines lines;
    mt_lines_init(&lines, text, len);
    mt_bytes prompt = { 0 };
    mt_prompt_span span;
    while (!rc && mt_prompt_next(&lines, &prompt, &span)) {
        if (prompt.oom) {
            rc = cli_error(CLI_EXIT_FAIL, "out of memory");
            break;
        }
        if (span.nul_line) {
            rc = cli_error(CLI_EXIT_USAGE, "%s:%llu: a NUL byte in the line", path, (unsigned long long)span.nul_line);
            break;
        }
        mt_ids ids = { 0 };
        /* prompt files may hold chats: their special-token strings are special tokens */
        if (!mt_tok_encode(cm->tok, (const char *)prompt.data, prompt.len, true, &ids)) rc = cli_error(CLI_EXIT_FAIL, "out of memory");
        else if (ids.n > cm->m->hp.n_ctx)
            rc = cli_error(CLI_EXIT_USAGE, "%s:%llu: prompt %u has %zu tokens, more than the model's context of %u", path,
                           (unsigned long long)span.first_line, index, ids.n, cm->m->hp.n_ctx);
        else rc = add_item(c, domain, index++, &ids);
        if (rc) mt_ids_free(&ids);
    }
    mt_bytes_free(&prompt);
    free(text);
    /* a domain with no tokens would show as rows of zeros in every per-domain table */
    if (!rc && index == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: no prompts in this prompt set file: there are no tokens to run", path);
    return rc;
}

int cli_corpus_load(const cli_args *a, const cli_model *cm, cli_corpus *c) {
    memset(c, 0, sizeof *c);
    const char *dir = cli_get(a, "--prompts");
    char shipped[4096];
    bool any_prompt = cli_prompt_given(a);
    if (!dir && !any_prompt && mt_default_prompts(shipped, sizeof shipped)) dir = shipped; /* the bundled prompt sets */
    if (!dir) {
        mt_ids ids = { 0 };
        int rc = cli_prompt(a, cm, &ids);
        if (!rc) rc = add_domain(c, "prompt");
        if (!rc) rc = add_item(c, 0, 0, &ids);
        if (rc) mt_ids_free(&ids);
        return rc;
    }
    if (any_prompt)
        return cli_usage_error(a->cmd, "--prompts: give a prompt set or a prompt, not both");
    return cli_corpus_load_dir(dir, cm, c);
}

int cli_corpus_load_file(const char *path, const char *domain, const cli_model *cm, cli_corpus *c) {
    memset(c, 0, sizeof *c);
    int rc = add_domain(c, domain);
    if (!rc) rc = load_domain_file(path, 0, cm, c);
    if (!rc && c->n_items == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: the file holds no prompts", path);
    return rc;
}

int cli_corpus_load_dir(const char *dir, const cli_model *cm, cli_corpus *c) {
    memset(c, 0, sizeof *c);
    DIR *d = opendir(dir);
    if (!d) return cli_error(CLI_EXIT_USAGE, "%s: cannot open the prompt set directory: %s", dir, strerror(errno));
    char **names = NULL;
    size_t n = 0;
    int rc = 0;
    for (struct dirent *e; (e = readdir(d));) {
        char path[8192];
        struct stat st;
        if (e->d_name[0] == '.' || (size_t)snprintf(path, sizeof path, "%s/%s", dir, e->d_name) >= sizeof path ||
            stat(path, &st) != 0 || !S_ISREG(st.st_mode))
            continue;
        char **grown = realloc(names, (n + 1) * sizeof *names);
        if (!grown || !(grown[n] = strdup(e->d_name))) {
            free(grown);
            names = NULL;
            rc = cli_error(CLI_EXIT_FAIL, "out of memory");
            break;
        }
        names = grown;
        n++;
    }
    closedir(d);
    if (!rc && n == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: no prompt files in the prompt set", dir);
    if (!rc) qsort(names, n, sizeof *names, by_name);
    for (size_t i = 0; !rc && i < n; i++) {
        char domain[256], path[8192];
        snprintf(domain, sizeof domain, "%.255s", names[i]);
        char *dot = strrchr(domain, '.');
        if (dot && dot != domain) *dot = 0;
        if ((size_t)snprintf(path, sizeof path, "%s/%s", dir, names[i]) >= sizeof path) {
            rc = cli_error(CLI_EXIT_USAGE, "%s: path too long", dir);
            break;
        }
        rc = add_domain(c, domain);
        if (!rc) rc = load_domain_file(path, c->n_domains - 1, cm, c);
    }
    for (size_t i = 0; i < n; i++) free(names[i]);
    free(names);
    if (!rc && c->n_items == 0) rc = cli_error(CLI_EXIT_USAGE, "%s: the prompt set holds no prompts", dir);
    return rc;
}

void cli_corpus_free(cli_corpus *c) {
    for (size_t i = 0; i < c->n_items; i++) mt_ids_free(&c->items[i].ids);
    for (uint32_t i = 0; i < c->n_domains; i++) free(c->domains[i]);
    free(c->items);
    free(c->domains);
    memset(c, 0, sizeof *c);
}

int cli_corpus_run(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, cli_prompt_fn fn, void *ctx) {
    return cli_corpus_run_opts(cm, c, iv, false, fn, ctx);
}

int cli_corpus_run_opts(const cli_model *cm, const cli_corpus *c, const mt_interventions *iv, bool capture_moe_input, cli_prompt_fn fn,
                        void *ctx) {
    mt_err err;
    mt_session *s = mt_session_new(cm->m, cm->be, &err);
    if (!s) return cli_error(CLI_EXIT_FAIL, "%s", err.msg);
    mt_session_skip_logits(s, true); /* fn reads the trace only */
    if (!mt_session_capture_moe_input(s, capture_moe_input)) {
        mt_session_free(s);
        return cli_error(CLI_EXIT_FAIL, "out of memory");
    }
    mt_session_set_interventions(s, iv);
    int rc = 0;
    for (size_t i = 0; i < c->n_items && !rc; i++) {
        mt_session_truncate(s, 0);
        const mt_ids *ids = &c->items[i].ids;
        if (ids->n && !mt_session_append(s, ids->ids, (uint32_t)ids->n, &err)) rc = cli_error(CLI_EXIT_FAIL, "%s", err.msg);
        else rc = fn(ctx, &c->items[i], s);
    }
    mt_session_free(s);
    return rc;
}

void cli_stats_observe_session(mt_stats *st, const mt_session *s) {
    for (uint32_t l = 0; l < st->n_layer; l++)
        for (uint32_t t = 0; t < mt_session_length(s); t++) {
            const uint32_t *ex;
            const float *w;
            float margin;
            uint32_t n = mt_session_route(s, l, t, &ex, &w, &margin);
            mt_stats_observe(&st->layers[l], mt_session_router_logits(s, l, t), ex, w, n);
        }
}
