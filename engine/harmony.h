/* The harmony chat format of gpt-oss, as token ids:
 *   <|start|>system<|message|>SYSTEM<|end|>        (only when a system text is given)
 *   <|start|>user<|message|>USER<|end|><|start|>assistant
 * Role names and message texts are ordinary text (special-token strings
 * inside a message are not parsed). */
#ifndef MT_HARMONY_H
#define MT_HARMONY_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "tokenizer.h"

/* Appends the prompt to out. system may be NULL. False with err set when the
 * vocabulary lacks a harmony token, or when out of memory. */
bool mt_harmony_chat(const mt_tokenizer *t, const char *system, size_t system_len, const char *user, size_t user_len,
                     mt_ids *out, mt_err *err);

#endif
