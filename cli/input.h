/* Reading what the user gives as text: a file's exact bytes, with a size
 * limit so a huge file is refused before it is read. */
#ifndef MT_INPUT_H
#define MT_INPUT_H

#include <stddef.h>

/* The most bytes moetop reads as text from one file or argument. */
#define MT_MAX_TEXT_BYTES (256u << 20)

/* Reads path into a malloc'd buffer (NUL-terminated, *len excludes the NUL).
 * NULL after printing "moetop: <path>: <why>". */
char *mt_read_text_file(const char *path, size_t *len);

#endif
