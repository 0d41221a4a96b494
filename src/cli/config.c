/*
** Config files (SPEC.md section 6): `key = value` lines and `#` comments,
** the keys being the long option names. inih does the lexing. Rank 0 reads
** the file and broadcasts its text (HPL's rule: one rank reads the input);
** every rank then parses the same text, so all reach the same values, or the
** same error, without more communication.
*/
#include "cli/options.h"
#include "core/core.h"

#include <errno.h>
#include <ini.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* A config file above this size is a mistake (a data file given as --config). */
#define LC_CONFIG_MAX_BYTES (1 << 20)

/* The text being parsed, handed to inih line by line so that the handler
** knows the line it is called for (Debian's inih is built without
** INI_HANDLER_LINENO). */
typedef struct text_stream {
    const char *pos;
    int line;          /* the line of the latest chunk handed out */
    int at_line_start; /* the next chunk starts a new line */
} text_stream;

typedef struct config_state {
    lariat_ctx *ctx;
    lc_options *o;
    const char *path; /* as given, for messages */
    const char *dir;  /* the file's folder, or NULL for the working directory */
    text_stream ts;
    int rc; /* the handler's first error */
} config_state;

/* inih's reader: like fgets on the text. A line longer than num - 1 comes in
** several chunks (inih reallocates and asks again) and counts once. */
static char *read_chunk(char *str, int num, void *stream)
{
    text_stream *ts = stream;
    if (*ts->pos == '\0' || num < 2) return NULL;
    int k = 0;
    while (k < num - 1 && ts->pos[k] != '\0') {
        str[k] = ts->pos[k];
        if (str[k++] == '\n') break;
    }
    str[k] = '\0';
    if (ts->at_line_start) ts->line++;
    ts->at_line_start = (str[k - 1] == '\n');
    ts->pos += k;
    return str;
}

/* inih's handler: one `key = value`. Returns 0 (stop) on the first error. */
static int on_key(void *user, const char *section, const char *name, const char *value)
{
    config_state *st = user;
    lariat_ctx *ctx = st->ctx;
    char where[400];
    snprintf(where, sizeof(where), "%s:%d: ", st->path, st->ts.line);
    if (section[0] != '\0') {
        st->rc = lariat_error(ctx, LARIAT_EUSAGE, "%skey %s is in section [%s]; sections are not supported, write key = value lines",
                              where, name, section);
        return 0;
    }
    int id = lc_option_find(name);
    if (id < 0) {
        st->rc = lc_unknown_option(ctx, st->o->command, where, "key", "", name);
        return 0;
    }
    if (id == LC_OPT_CONFIG) {
        st->rc = lariat_error(ctx, LARIAT_EUSAGE, "%sa config file cannot name another config file", where);
        return 0;
    }
    char origin[420];
    snprintf(origin, sizeof(origin), "%s%s", where, name);
    /* Values that will not be used are still checked: a typo in a config
    ** is an error whichever command reads it. */
    if (!(lc_option_commands(id) & st->o->command) || st->o->v[id].from_argv) {
        st->rc = lc_option_check(ctx, id, value, origin);
        if (st->rc == LARIAT_OK && !(lc_option_commands(id) & st->o->command)) {
            lariat_log(ctx, LARIAT_LOG_VERBOSE, "%s%s is not used by 'lariat %s'; ignored", where, name,
                       lc_command_name(st->o->command));
        }
    } else {
        st->rc = lc_option_set(ctx, st->o, id, value, origin, st->dir);
    }
    return st->rc == LARIAT_OK;
}

/* Rank 0: the whole file as a NUL-terminated string. */
static int read_text(lariat_ctx *ctx, const char *path, char **text, long long *len)
{
    *text = NULL;
    *len = 0;
    FILE *f = fopen(path, "rb");
    if (f == NULL) return lariat_error(ctx, LARIAT_EUSAGE, "cannot open config file %s: %s", path, strerror(errno));
    int rc = LARIAT_OK;
    char *buf = lariat_malloc(ctx, LC_CONFIG_MAX_BYTES + 1, 1, "config text");
    if (buf == NULL) rc = LARIAT_ENOMEM;
    size_t got = 0;
    if (rc == LARIAT_OK) {
        got = fread(buf, 1, LC_CONFIG_MAX_BYTES + 1, f);
        if (ferror(f)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "cannot read config file %s: %s", path, strerror(errno));
        } else if (got > LC_CONFIG_MAX_BYTES) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "config file %s is larger than %d bytes; is it a config file?",
                              path, LC_CONFIG_MAX_BYTES);
        } else if (memchr(buf, '\0', got) != NULL) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "config file %s contains a NUL byte; is it a text file?", path);
        }
    }
    fclose(f);
    if (rc != LARIAT_OK) {
        free(buf);
        return rc;
    }
    buf[got] = '\0';
    *text = buf;
    *len = (long long)got;
    return LARIAT_OK;
}

/* Every rank: parses the text into o. */
static int parse_text(lariat_ctx *ctx, lc_options *o, const char *path, const char *text)
{
    /* inih's runtime settings (Debian builds them as variables): only `#`
    ** comments, also after a value when preceded by a space; no
    ** continuation lines (an indented line is a key of its own); stop at the
    ** first error so the line inih returns is the one the handler saw; lines
    ** of any length. */
    ini_start_comment_prefixes = "#";
    ini_inline_comment_prefixes = "#";
    ini_allow_inline_comments = 1;
    ini_allow_multiline = 0;
    ini_allow_no_value = 0;
    ini_stop_on_first_error = 1;
    ini_use_stack = 0;
    ini_allow_realloc = 1;
    ini_max_line = LC_CONFIG_MAX_BYTES + 3;

    char *dir = strdup(path);
    if (dir == NULL) return lariat_error(ctx, LARIAT_ENOMEM, "out of memory reading %s", path);
    char *slash = strrchr(dir, '/');
    if (slash == dir) slash[1] = '\0'; /* a file in "/" */
    else if (slash != NULL) *slash = '\0';

    config_state st = {ctx, o, path, slash ? dir : NULL, {text, 0, 1}, LARIAT_OK};
    int line = ini_parse_stream(read_chunk, &st.ts, on_key, &st);
    int rc = st.rc;
    if (rc == LARIAT_OK && line == -2) {
        rc = lariat_error(ctx, LARIAT_ENOMEM, "out of memory parsing %s", path);
    } else if (rc == LARIAT_OK && line != 0) {
        rc = lariat_error(ctx, LARIAT_EUSAGE, "%s:%d: expected a line `key = value` or a `#` comment", path, line);
    }
    free(dir);
    return rc;
}

int lc_config_load(lariat_ctx *ctx, lc_options *o)
{
    const char *path = lc_text(o, LC_OPT_CONFIG);
    if (path == NULL) return LARIAT_OK; /* argv, hence this branch, is the same on every rank */
    MPI_Comm comm = lariat_ctx_comm(ctx);
    char *text = NULL;
    long long len = 0;
    int rc = LARIAT_OK;
    if (lariat_ctx_rank(ctx) == 0) rc = read_text(ctx, path, &text, &len);
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && MPI_Bcast(&len, 1, MPI_LONG_LONG, 0, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the config file's length failed");
    }
    if (rc == LARIAT_OK && lariat_ctx_rank(ctx) != 0) {
        text = lariat_malloc(ctx, (size_t)len + 1, 1, "config text");
        if (text == NULL) rc = LARIAT_ENOMEM;
    }
    rc = lariat_agree(ctx, rc);
    if (rc == LARIAT_OK && MPI_Bcast(text, (int)len + 1, MPI_CHAR, 0, comm) != MPI_SUCCESS) {
        rc = lariat_error(ctx, LARIAT_EMPI, "MPI_Bcast of the config file failed");
    }
    if (rc == LARIAT_OK) rc = parse_text(ctx, o, path, text);
    free(text);
    return lariat_agree(ctx, rc);
}
