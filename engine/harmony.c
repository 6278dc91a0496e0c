#include "harmony.h"

#include <string.h>

static bool special(const mt_tokenizer *t, const char *name, mt_ids *out, mt_err *err) {
    int64_t id = mt_tok_find(t, name);
    if (id < 0 || !mt_tok_is_special(t, (uint32_t)id)) {
        mt_err_set(err, "the vocabulary has no %s token: it is not a harmony (gpt-oss) vocabulary", name);
        return false;
    }
    if (!mt_ids_push(out, (uint32_t)id)) {
        mt_err_set(err, "out of memory");
        return false;
    }
    return true;
}

static bool text(const mt_tokenizer *t, const char *s, size_t n, mt_ids *out, mt_err *err) {
    if (mt_tok_encode(t, s, n, false, out)) return true;
    mt_err_set(err, "out of memory");
    return false;
}

static bool message(const mt_tokenizer *t, const char *role, const char *s, size_t n, mt_ids *out, mt_err *err) {
    return special(t, "<|start|>", out, err) && text(t, role, strlen(role), out, err) &&
           special(t, "<|message|>", out, err) && text(t, s, n, out, err) && special(t, "<|end|>", out, err);
}

bool mt_harmony_chat(const mt_tokenizer *t, const char *system, size_t system_len, const char *user, size_t user_len,
                     mt_ids *out, mt_err *err) {
    if (system && !message(t, "system", system, system_len, out, err)) return false;
    return message(t, "user", user, user_len, out, err) && special(t, "<|start|>", out, err) &&
           text(t, "assistant", 9, out, err);
}
