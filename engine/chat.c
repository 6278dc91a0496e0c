#include "chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harmony.h"

static bool is_special(const mt_tokenizer *t, const char *name) {
    int64_t id = mt_tok_find(t, name);
    return id >= 0 && mt_tok_is_special(t, (uint32_t)id);
}

mt_chat_format mt_chat_format_of(const mt_tokenizer *t) {
    if (is_special(t, "<|start|>") && is_special(t, "<|message|>")) return MT_CHAT_HARMONY;
    if (is_special(t, "<|im_start|>") && is_special(t, "<|im_end|>")) return MT_CHAT_CHATML;
    if (strcmp(mt_tok_kind_name(t), "sentencepiece") == 0 && mt_tok_add_bos(t)) return MT_CHAT_MISTRAL;
    return MT_CHAT_NONE;
}

const char *mt_chat_format_name(mt_chat_format f) {
    static const char *const names[] = { "none", "harmony", "ChatML", "Mistral [INST]" };
    return names[f];
}

/* The pieces of each format: text before the message, text after it. */
static const char *const before[] = { "", "<|start|>user<|message|>", "<|im_start|>user\n", "[INST] " };
static const char *const after[] = { "", "<|end|><|start|>assistant", "<|im_end|>\n<|im_start|>assistant\n", " [/INST]" };

size_t mt_chat_text(mt_chat_format f, const char *user, char *out, size_t cap) {
    if (f == MT_CHAT_NONE) return 0;
    int n = snprintf(out, cap, "%s%s%s", before[f], user, after[f]);
    return n > 0 && (size_t)n < cap ? (size_t)n : 0;
}

bool mt_chat_is_wrapped(mt_chat_format f, const char *text) {
    return f != MT_CHAT_NONE && strncmp(text, before[f], strlen(before[f])) == 0;
}

static bool push_special(const mt_tokenizer *t, const char *name, mt_ids *out) {
    return mt_ids_push(out, (uint32_t)mt_tok_find(t, name));
}

/* a + b + c encoded as one run of ordinary text */
static bool encode3(const mt_tokenizer *t, const char *a, const char *b, size_t b_len, const char *c, mt_ids *out) {
    size_t la = strlen(a), lc = strlen(c);
    char *buf = malloc(la + b_len + lc + 1);
    if (!buf) return false;
    memcpy(buf, a, la);
    memcpy(buf + la, b, b_len);
    memcpy(buf + la + b_len, c, lc);
    bool ok = mt_tok_encode(t, buf, la + b_len + lc, false, out);
    free(buf);
    return ok;
}

bool mt_chat_prompt(const mt_tokenizer *t, const char *user, size_t user_len, mt_ids *out, mt_err *err) {
    bool ok;
    switch (mt_chat_format_of(t)) {
    case MT_CHAT_HARMONY:
        return mt_harmony_chat(t, NULL, 0, user, user_len, out, err);
    case MT_CHAT_CHATML:
        ok = push_special(t, "<|im_start|>", out) && encode3(t, "user\n", user, user_len, "", out) && push_special(t, "<|im_end|>", out) &&
             mt_tok_encode(t, "\n", 1, false, out) && push_special(t, "<|im_start|>", out) && mt_tok_encode(t, "assistant\n", 10, false, out);
        break;
    case MT_CHAT_MISTRAL:
        ok = mt_ids_push(out, (uint32_t)mt_tok_bos(t)) && encode3(t, "[INST] ", user, user_len, " [/INST]", out);
        break;
    default:
        mt_err_set(err, "the vocabulary has no chat format moetop knows (harmony for gpt-oss, ChatML for Qwen3, [INST] for Mixtral)");
        return false;
    }
    if (!ok) mt_err_set(err, "out of memory");
    return ok;
}
