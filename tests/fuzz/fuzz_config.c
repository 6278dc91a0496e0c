/* libFuzzer target: the configuration parser (inih and every key's check).
 * Whatever it accepts must hold values in their documented ranges. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "tui/app.h"
#include "tui/palette.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    mt_config c;
    mt_config_defaults(&c);
    mt_err err;
    if (!mt_config_parse((const char *)data, size, "fuzz.ini", &c, &err)) {
        if (strncmp(err.msg, "fuzz.ini", 8) != 0) abort(); /* every error names the file */
        return 0;
    }
    if (c.ascii < MT_ASCII_AUTO || c.ascii > MT_ASCII_NO || c.colors < MT_COLORS_AUTO || c.colors > MT_COLORS_NONE) abort();
    if (c.view < 0 || c.view >= MT_VIEW_COUNT || c.generate_tokens < 1 || c.generate_tokens > 4096) abort();
    if (c.ramp < 0 || c.ramp > MT_RAMP_CIVIDIS || c.experts < 0 || c.experts > MT_EXPERTS_OKABE_ITO) abort();
    if (!memchr(c.export_dir, 0, sizeof c.export_dir) || !c.export_dir[0] || !memchr(c.export_format, 0, sizeof c.export_format)) abort();
    return 0;
}
