/* One user message as a chat prompt, in the format the vocabulary is made for
 * (the model card's chat template with add_generation_prompt, no system
 * message):
 *   harmony (gpt-oss; <|start|> and <|message|> are special tokens): harmony.h
 *   ChatML (Qwen3; <|im_start|> and <|im_end|> are special tokens):
 *     <|im_start|>user\nUSER<|im_end|>\n<|im_start|>assistant\n
 *   Mistral instruct (Mixtral; a SentencePiece vocabulary that adds BOS):
 *     <s>[INST] USER [/INST]     ("[INST]" is text, as in Mixtral's vocabulary)
 * Other vocabularies (OLMoE's base model) have none: refused in one line. The
 * message is ordinary text (special-token strings in it are not parsed). */
#ifndef MT_CHAT_H
#define MT_CHAT_H

#include <stdbool.h>
#include <stddef.h>

#include "error.h"
#include "tokenizer.h"

typedef enum mt_chat_format { MT_CHAT_NONE, MT_CHAT_HARMONY, MT_CHAT_CHATML, MT_CHAT_MISTRAL } mt_chat_format;

mt_chat_format mt_chat_format_of(const mt_tokenizer *t);
/* "harmony", "ChatML", "Mistral [INST]", "none" */
const char *mt_chat_format_name(mt_chat_format f);

/* Appends the prompt's ids to out (BOS included where the format has it).
 * False with err set when the vocabulary has no chat format, or when out of
 * memory. */
bool mt_chat_prompt(const mt_tokenizer *t, const char *user, size_t user_len, mt_ids *out, mt_err *err);

/* The same prompt as text, with the special tokens written out, for a prompt
 * that is encoded with special tokens parsed and BOS added where the
 * vocabulary asks (mt_tok_encode_prompt: the explorer's chat key). Writes at
 * most cap bytes with the NUL; the length, or 0 when it does not fit or f is
 * MT_CHAT_NONE. */
size_t mt_chat_text(mt_chat_format f, const char *user, char *out, size_t cap);

/* Whether text already starts as a chat prompt of format f. */
bool mt_chat_is_wrapped(mt_chat_format f, const char *text);

#endif
