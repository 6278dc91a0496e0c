/* libFuzzer target: the line reader and the prompt-set splitter
 * (engine/lines.h). Invariants: the lines and their line ends are the input
 * less its byte-order mark, byte for byte; no line holds a CR or LF; lines
 * are numbered 1, 2, ...; the first NUL byte is the one reported; the input
 * read in pieces (of a size the input's first byte picks) gives the same
 * lines; the splitter uses at least one line per prompt and stops, and its
 * prompts hold no CR, no empty or blank line. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "engine/lines.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_LINES 70000 /* -max_len is 65536: at most one line per byte, plus one */

typedef struct seen {
    size_t off, len, end_len; /* offsets into the input */
} seen;

static seen whole[MAX_LINES];

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (size == 0) return 0;
    size_t chunk = 1 + data[0] % 16;
    const char *text = (const char *)data + 1;
    size_t len = size - 1;
    if (len + 1 > MAX_LINES) return 0;

    /* read whole */
    mt_lines r;
    mt_lines_init(&r, text, len);
    size_t at = len >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0 ? 3 : 0, n = 0;
    for (mt_line l; mt_lines_next(&r, &l); n++) {
        if (l.text != text + at || l.number != n + 1) abort();
        if (memchr(l.text, '\r', l.len) || memchr(l.text, '\n', l.len)) abort();
        if (l.end_len > 2 || (l.end_len == 0 && at + l.len != len)) abort();
        if (l.end_len == 2 && memcmp(l.text + l.len, "\r\n", 2) != 0) abort();
        if (l.end_len == 1 && l.text[l.len] != '\n' && l.text[l.len] != '\r') abort();
        if (l.nul != memchr(l.text, 0, l.len)) abort();
        whole[n] = (seen){ at, l.len, l.end_len };
        at += l.len + l.end_len;
    }
    if (at != len) abort(); /* the lines and line ends are the input less its BOM */

    /* read in pieces, as a file is: the same lines */
    char *buf = malloc(len + 1);
    if (!buf) return 0;
    size_t fed = 0, k = 0;
    mt_lines_init(&r, buf, 0);
    r.more = true;
    for (;;) {
        for (mt_line l; mt_lines_next(&r, &l); k++) {
            if (k >= n || l.len != whole[k].len || l.end_len != whole[k].end_len || l.number != k + 1) abort();
            if (memcmp(l.text, text + whole[k].off, l.len) != 0) abort();
        }
        if (!r.more) break;
        size_t rest = r.len - r.pos, take = len - fed < chunk ? len - fed : chunk;
        if (rest) memmove(buf, buf + r.pos, rest);
        if (take) memcpy(buf + rest, text + fed, take);
        fed += take;
        r.data = buf;
        r.len = rest + take;
        r.pos = 0;
        r.more = fed < len;
    }
    free(buf);
    if (k != n) abort();

    /* the splitter */
    mt_lines_init(&r, text, len);
    mt_bytes prompt = { 0 };
    mt_prompt_span span;
    size_t prompts = 0, last_pos = r.pos;
    while (mt_prompt_next(&r, &prompt, &span)) {
        if (prompt.oom) break;
        if (++prompts > n || r.pos <= last_pos || span.first_line == 0 || span.first_line > n) abort();
        last_pos = r.pos;
        const char *p = (const char *)prompt.data, *end = p + prompt.len;
        if (prompt.len == 0 || memchr(p, '\r', prompt.len)) abort();
        for (const char *s = p;;) { /* every line of the prompt: not blank */
            const char *nl = memchr(s, '\n', (size_t)(end - s)), *e = nl ? nl : end;
            if (mt_line_is_blank(s, (size_t)(e - s))) abort();
            if (!nl) break;
            s = nl + 1;
        }
        if ((span.nul_line != 0) != (memchr(p, 0, prompt.len) != NULL)) abort();
    }
    mt_bytes_free(&prompt);
    return 0;
}
