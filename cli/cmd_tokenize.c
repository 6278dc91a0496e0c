/* `moetop tokenize`: text to token ids with the model's own vocabulary
 * (shared/contracts/cli.md). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "args.h"
#include "commands.h"
#include "engine/gguf.h"
#include "engine/chat.h"
#include "engine/tokenizer.h"
#include "input.h"
#include "json.h"
#include "json_token.h"
#include "paths.h"

static int print_ids(const mt_tokenizer *t, const mt_ids *ids, bool json) {
    if (!json) {
        mt_bytes line = { 0 };
        char num[16];
        for (size_t i = 0; i < ids->n; i++) {
            int n = snprintf(num, sizeof num, i ? " %u" : "%u", ids->ids[i]);
            mt_bytes_put(&line, num, (size_t)n);
        }
        mt_bytes_put(&line, "\n", 1);
        bool ok = !line.oom && fwrite(line.data, 1, line.len, stdout) == line.len && fflush(stdout) == 0;
        mt_bytes_free(&line);
        return ok ? 0 : cli_error(CLI_EXIT_FAIL, "stdout: write failed");
    }
    mt_json j = { 0 };
    mt_json_begin_object(&j);
    mt_json_key(&j, "ids");
    mt_json_begin_array(&j);
    for (size_t i = 0; i < ids->n; i++) mt_json_u64(&j, ids->ids[i]);
    mt_json_end_array(&j);
    mt_json_key(&j, "pieces");
    mt_json_begin_array(&j);
    for (size_t i = 0; i < ids->n; i++) {
        size_t len;
        const char *bytes = mt_tok_bytes(t, ids->ids[i], &len);
        mt_json_string_n(&j, bytes, len);
    }
    mt_json_end_array(&j);
    mt_json_key(&j, "tokens"); /* beyond the contract: each id with its text, and bytes where not UTF-8 */
    mt_json_begin_array(&j);
    for (size_t i = 0; i < ids->n; i++) mt_json_token(&j, t, ids->ids[i]);
    mt_json_end_array(&j);
    mt_json_end_object(&j);
    return mt_json_finish(&j);
}

static int run_tokenize(const cli_command *cmd, cli_args *a) {
    char buf[4096];
    const char *path = mt_model_path(a, buf, sizeof buf), *file = cli_get(a, "--file");
    if (!path) return CLI_EXIT_USAGE;
    if (!file && a->n_positional == 0) return cli_usage_error(cmd, "give the text, or -f FILE");
    if (file && a->n_positional) return cli_usage_error(cmd, "give the text or -f FILE, not both");
    size_t len = 0;
    char *owned = NULL;
    const char *text;
    if (file) {
        if (!(owned = mt_read_text_file(file, &len))) return CLI_EXIT_USAGE;
        text = owned;
    } else {
        text = a->positional[0];
        len = strlen(text);
    }
    mt_err err;
    mt_gguf *g = mt_gguf_open(path, &err);
    mt_tokenizer *t = g ? mt_tokenizer_load(g, &err) : NULL;
    int rc;
    if (!t) {
        rc = cli_error(CLI_EXIT_USAGE, "%s", err.msg);
    } else {
        mt_ids ids = { 0 };
        bool ok;
        if (cli_has(a, "--chat")) ok = mt_chat_prompt(t, text, len, &ids, &err);
        else if (!(ok = mt_tok_encode_prompt(t, text, len, cli_has(a, "--special"), &ids))) mt_err_set(&err, "out of memory");
        rc = ok ? print_ids(t, &ids, cli_has(a, "--json")) : cli_error(CLI_EXIT_USAGE, "%s: %s", path, err.msg);
        mt_ids_free(&ids);
    }
    mt_tokenizer_free(t);
    mt_gguf_close(g);
    free(owned);
    return rc;
}

const cli_command cmd_tokenize = {
    .name = "tokenize",
    .usage = "moetop tokenize [-m MODEL.gguf] [--special] [--chat] [--json] (TEXT | -f FILE)",
    .summary = "Turn text into token ids with the model's vocabulary (o200k, Qwen3, OLMoE or Mixtral).",
    .details = "MODEL may hold a vocabulary and no weights. BOS comes first only where the\n"
               "vocabulary asks (add_bos_token: Mixtral's SentencePiece), never for gpt-oss.\n"
               "Without --special, strings such as <|start|> are ordinary text (tiktoken's\n"
               "encode_ordinary); with it they become their special ids. -f FILE tokenizes the\n"
               "file's bytes exactly (no newline is stripped or added). Invalid UTF-8 is kept\n"
               "byte for byte: each invalid sequence is tokenized as one symbol character.\n"
               "--json pieces are the tokens' bytes as text, invalid UTF-8 shown as U+FFFD;\n"
               "tokens repeats each id with its text, plus \"bytes\" in hex where not UTF-8.",
    .max_positional = 1,
    .opts = {
        { "--model", 'm', "FILE", "the model (or vocabulary-only) GGUF file" },
        { "--file", 'f', "FILE", "tokenize this file's bytes" },
        { "--special", 0, NULL, "special-token strings in the text become special tokens" },
        { "--chat", 0, NULL, "wrap the text as a user message in the vocabulary's chat format (harmony, ChatML, [INST])" },
        { "--json", 0, NULL, "{\"ids\": [...], \"pieces\": [...]} on stdout" },
        { NULL, 0, NULL, NULL },
    },
    .run = run_tokenize,
};
