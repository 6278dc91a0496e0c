/* Scoring a continuation against a problem's answer (shared/contracts/cli.md,
 * moetop eval):
 *  - a numeric answer (an optional '-' then digits) is correct when the first
 *    match of -?[0-9]+ in the continuation equals it as an integer, after
 *    thousands separators are removed: a ',' with a digit before it and
 *    exactly three digits after it ("1,234,567" reads 1234567; "1,2" does not);
 *  - any other answer is correct when the continuation, its leading
 *    whitespace removed, starts with it.
 * For harmony chats only the final channel's text is scored (mt_harmony_final). */
#ifndef MT_SCORE_H
#define MT_SCORE_H

#include <stdbool.h>
#include <stddef.h>

/* True when answer is an optional '-' followed by one or more ASCII digits. */
bool mt_answer_is_numeric(const char *answer);

/* The rule above for continuation text[0..len). */
bool mt_score(const char *answer, const char *text, size_t len);

/* The text of a harmony reply to score, within text[0..len) (what follows
 * "<|start|>assistant"): the message of the last "<|channel|>final" when the
 * reply names channels (nothing when none is final), else the reply's first
 * message; each up to the next <|end|>, <|return|>, <|call|> or <|start|>.
 * A leading "<|message|>" is skipped. Sets *start and *n. */
void mt_harmony_final(const char *text, size_t len, size_t *start, size_t *n);

#endif
