/* A corpus of malformed GGUF files, made in memory, each with the words its
 * error message must contain; and a valid control built the same way. Used by
 * the reader's unit tests and by the CLI tests (which write them to files). */
#ifndef MT_MALFORMED_H
#define MT_MALFORMED_H

#include "engine/bytes.h"

typedef struct malformed_case {
    const char *name;     /* short id, also the file name in CLI tests */
    const char *expect;   /* a phrase the one-line error must contain */
    mt_bytes bytes;
} malformed_case;

/* A small valid file: 5 keys (a string, the alignment, an array, a nested
 * array, a float), 2 tensors (F32 32x2, Q8_0 64). */
void malformed_valid_control(mt_bytes *out);
/* The byte offset where the last tensor's data ends in the control. */
size_t malformed_control_data_end(void);

/* Fills cases (caller frees each .bytes and the array); returns the count. */
int malformed_corpus(malformed_case **cases);
void malformed_free(malformed_case *cases, int n);

#endif
