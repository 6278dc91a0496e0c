/* GGUF writer: metadata and tensors, written as one stream through
 * mt_outfile, so a failed write never leaves half a file (a file is replaced
 * only when the whole new one is on disk).
 *
 * Keys are written in the order they were first set (setting a key again
 * replaces its value). Tensor data is either borrowed from the caller (kept
 * alive until the write) or produced at write time by a fill callback, one
 * tensor at a time, so a model larger than memory can be written. */
#ifndef MT_GGUF_WRITE_H
#define MT_GGUF_WRITE_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "bytes.h"
#include "error.h"
#include "gguf.h"

typedef struct mt_gguf_writer mt_gguf_writer;

/* Called for a tensor added with data == NULL: fill dst with its nbytes. */
typedef bool (*mt_gguf_fill_fn)(void *ctx, uint64_t tensor_index, void *dst, uint64_t nbytes, mt_err *err);

mt_gguf_writer *mt_gguf_writer_new(void);
void mt_gguf_writer_free(mt_gguf_writer *w);

/* GGUF version written (2 or 3; default 3). */
void mt_gguf_writer_set_version(mt_gguf_writer *w, uint32_t version);
/* Also sets general.alignment (uint32). Default 32 without the key. */
void mt_gguf_writer_set_alignment(mt_gguf_writer *w, uint32_t alignment);

/* A value already encoded as GGUF bytes (for arrays of arrays and tests). */
void mt_gguf_set_encoded(mt_gguf_writer *w, const char *key, uint32_t type, const void *bytes, size_t n);
void mt_gguf_set_u32(mt_gguf_writer *w, const char *key, uint32_t v);
void mt_gguf_set_i32(mt_gguf_writer *w, const char *key, int32_t v);
void mt_gguf_set_u64(mt_gguf_writer *w, const char *key, uint64_t v);
void mt_gguf_set_f32(mt_gguf_writer *w, const char *key, float v);
void mt_gguf_set_bool(mt_gguf_writer *w, const char *key, bool v);
void mt_gguf_set_str(mt_gguf_writer *w, const char *key, const char *v);
/* An array of count scalars of elem_type, given as their little-endian bytes. */
void mt_gguf_set_array(mt_gguf_writer *w, const char *key, uint32_t elem_type, const void *elems, uint64_t count);
void mt_gguf_set_str_array(mt_gguf_writer *w, const char *key, const char *const *strs, uint64_t count);
/* A value read from a file (mt_gguf_kv_at), copied exactly as that file
 * encodes it (prune, tests); false when out of memory. */
bool mt_gguf_copy_kv(mt_gguf_writer *w, const char *key, const mt_gguf_value *v);

/* ne in GGUF order (contiguous first). Returns the tensor's index; false-y
 * checks (shape not a multiple of the block, unknown type) surface at write. */
uint64_t mt_gguf_add_tensor(mt_gguf_writer *w, const char *name, uint32_t type, uint32_t n_dims,
                            const uint64_t *ne, const void *data);

/* Writes path through mt_outfile (engine/outfile.h: a regular file is
 * replaced atomically, "-" is standard output, a FIFO or device is written
 * through). fill may be NULL when every tensor has data. */
bool mt_gguf_writer_write(mt_gguf_writer *w, const char *path, mt_gguf_fill_fn fill, void *ctx, mt_err *err);
/* The whole file in memory (tests and fuzz seeds). */
bool mt_gguf_writer_to_bytes(mt_gguf_writer *w, mt_bytes *out, mt_gguf_fill_fn fill, void *ctx, mt_err *err);

#endif
