/* A token as the JSON contract writes it: {"id": 1029, "text": "<|start|>"};
 * text is the token's bytes as UTF-8, each invalid sequence as U+FFFD, and
 * such a token also carries "bytes": its bytes in hex. */
#ifndef MT_JSON_TOKEN_H
#define MT_JSON_TOKEN_H

#include "engine/tokenizer.h"
#include "json.h"

void mt_json_token(mt_json *j, const mt_tokenizer *t, uint32_t id);
/* The same fields inside an object the caller opened (to add more). */
void mt_json_token_fields(mt_json *j, const mt_tokenizer *t, uint32_t id);

#endif
