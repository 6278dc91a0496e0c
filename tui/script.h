/* Key scripts for the headless explorer (shared/contracts/cli.md): one step
 * per line: a key name (MT_SCRIPT_NAMED_KEYS below, F1..F12, C-a..C-z, a
 * single character), `type TEXT`, `paste TEXT`, `wait MS` or `frame FILE`; '#' starts a
 * comment. moetop adds `click X Y`: a left click on the cell at column X,
 * row Y (from 0). The README's "Key scripts" section documents the same.
 * Lines are read by engine/lines.h (LF, CRLF or CR line ends, a byte-order
 * mark dropped); leading spaces and tabs are dropped, trailing ones too except
 * after `type ` and `paste `: TEXT is every byte up to the line end. A NUL byte or a line
 * over 4095 bytes is an error naming the line. */
#ifndef MT_SCRIPT_H
#define MT_SCRIPT_H

#include <stdbool.h>
#include <stddef.h>

#include "engine/error.h"

/* Keys: printable characters are their code point; the rest below. */
enum {
    MT_KEY_ENTER = 0x110000, MT_KEY_TAB, MT_KEY_BACKTAB, MT_KEY_ESC, MT_KEY_BACKSPACE, MT_KEY_DELETE,
    MT_KEY_HOME, MT_KEY_END, MT_KEY_UP, MT_KEY_DOWN, MT_KEY_LEFT, MT_KEY_RIGHT, MT_KEY_PAGEUP, MT_KEY_PAGEDOWN,
    MT_KEY_F1, /* .. MT_KEY_F1 + 11 */
    MT_KEY_CTRL_A = MT_KEY_F1 + 12, /* .. + 25 */
    MT_KEY_CLICK = MT_KEY_CTRL_A + 26, /* a left click; the cell comes with it */
    MT_KEY_PASTE, /* a bracketed paste; the text comes with it (mt_term_paste_take) */
};

/* The named keys of key scripts: the one table the parser, `moetop explore
 * --help` and the test of the README's list are made from. Besides these:
 * F1..F12, C-a..C-z and any single character (its code point). */
#define MT_SCRIPT_NAMED_KEYS(X)                                                                                  \
    X("Enter", MT_KEY_ENTER) X("Tab", MT_KEY_TAB) X("S-Tab", MT_KEY_BACKTAB) X("Esc", MT_KEY_ESC) X("Space", ' ') \
    X("Backspace", MT_KEY_BACKSPACE) X("Delete", MT_KEY_DELETE) X("Home", MT_KEY_HOME) X("End", MT_KEY_END)       \
    X("Up", MT_KEY_UP) X("Down", MT_KEY_DOWN) X("Left", MT_KEY_LEFT) X("Right", MT_KEY_RIGHT)                      \
    X("PageUp", MT_KEY_PAGEUP) X("PageDown", MT_KEY_PAGEDOWN)

/* The key-script language in lines, for help texts (NULL-terminated); the
 * key names in it come from MT_SCRIPT_NAMED_KEYS. */
extern const char *const mt_script_help[];

typedef enum { MT_STEP_KEY, MT_STEP_TYPE, MT_STEP_WAIT, MT_STEP_FRAME, MT_STEP_CLICK, MT_STEP_PASTE } mt_step_kind;

typedef struct mt_step {
    mt_step_kind kind;
    int key;     /* MT_STEP_KEY */
    char *text;  /* MT_STEP_TYPE, MT_STEP_PASTE: the text; MT_STEP_FRAME: the file */
    int ms;      /* MT_STEP_WAIT */
    int x, y;    /* MT_STEP_CLICK: the cell, from the top left */
    int line;
} mt_step;

typedef struct mt_script {
    mt_step *steps;
    size_t n;
} mt_script;

/* Parses text (name is for messages). False with "<name>:<line>: <why>". */
bool mt_script_parse(const char *text, size_t len, const char *name, mt_script *out, mt_err *err);
void mt_script_free(mt_script *s);
/* The key for a name, or -1. */
int mt_key_from_name(const char *name);

#endif
