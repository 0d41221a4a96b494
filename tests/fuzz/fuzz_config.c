/*
** libFuzzer target: the option table's parsers (src/cli/options.c) and the
** config file reader (src/cli/config.c, with inih). The first byte of an
** input picks the command whose options are parsed, and whether the rest is
** a config file (`key = value` lines) or a command line (arguments separated
** by newlines). Parsing must succeed, or fail with LARIAT_EUSAGE and a
** message (naming the config file when there is one); anything else aborts.
*/
#include "cli/options.h"
#include "fuzz_common.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Command lines are cut into at most this many arguments. */
#define MAX_ARGS 64

int LLVMFuzzerInitialize(int *argc, char ***argv) { return lf_init(argc, argv); }

/* Not collective. Parses text (n bytes, no NUL inside) as arguments, one
** per line. */
static int parse_argv(lariat_ctx *ctx, lc_options *o, const char *text, size_t n)
{
    char *copy = malloc(n + 1), *argv[MAX_ARGS];
    if (copy == NULL) abort();
    memcpy(copy, text, n);
    copy[n] = '\0';
    int argc = 0;
    for (char *s = copy; argc < MAX_ARGS;) {
        argv[argc++] = s;
        char *nl = strchr(s, '\n');
        if (nl == NULL) break;
        *nl = '\0';
        s = nl + 1;
    }
    int rc = lc_options_parse_argv(ctx, o, argc, argv);
    free(copy);
    return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1) return 0;
    static const int commands[] = {LC_FIT, LC_CV, LC_PREDICT, LC_GEN, LC_INFO};
    const int command = commands[(data[0] & 0x7f) % 5], as_config = !(data[0] & 0x80);
    const char *text = (const char *)data + 1;
    const size_t n = size - 1;
    /* Arguments are C strings: a NUL cannot be in one. */
    if (!as_config && memchr(text, '\0', n) != NULL) return 0;
    lariat_ctx *ctx = lf_ctx();
    lc_options o;
    if (lc_options_init(ctx, &o, command) != LARIAT_OK) abort();
    int rc;
    if (as_config) {
        if (lf_write(data + 1, n) != 0) abort();
        rc = lc_option_set(ctx, &o, LC_OPT_CONFIG, lf_path(), "--config", NULL);
        if (rc != LARIAT_OK) abort();
        rc = lc_config_load(ctx, &o);
    } else {
        rc = parse_argv(ctx, &o, text, n);
    }
    const char *msg = lariat_errmsg(ctx);
    if (rc != LARIAT_OK && (rc != LARIAT_EUSAGE || msg[0] == '\0')) abort();
    if (rc != LARIAT_OK && as_config && strstr(msg, lf_path()) == NULL) abort();
    lc_options_free(&o);
    return 0;
}
