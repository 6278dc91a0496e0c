/* The oracle's gpt-oss fixtures: tests/fixtures/ (copied into the repository
 * so a fresh clone runs them), else shared/oracle/gpt-oss. */
#ifndef MT_FIXTURES_H
#define MT_FIXTURES_H

/* Path of "oracle-gptoss-<letter><suffix>", or NULL (and the test skipped). */
const char *fixture_path(char letter, const char *suffix);

#endif
