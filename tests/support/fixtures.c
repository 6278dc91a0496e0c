#include "fixtures.h"

#include <stdio.h>
#include <unistd.h>

#include "harness.h"

const char *fixture_path(char letter, const char *suffix) {
    static char paths[4][512];
    static int next;
    char *p = paths[next++ % 4];
    snprintf(p, 512, "tests/fixtures/oracle-gptoss-%c%s", letter, suffix);
    if (access(p, R_OK) == 0) return p;
    char rel[128];
    snprintf(rel, sizeof rel, "oracle/gpt-oss/oracle-gptoss-%c%s", letter, suffix);
    return t_shared_file(rel);
}
