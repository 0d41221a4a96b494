/*
** The option table's machinery: strict value parsing, the command line,
** typed access, and the help text, the options table of docs/cli.md and the
** manual page's options generated from the table.
*/
#include "cli/options.h"
#include "cli/man.h"
#include "core/core.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const struct {
    const char *name;
    lc_kind kind;
    lc_check check;
    const char *def;  /* default value, parsed like a given one; NULL = unset */
    const char *doc;  /* the default as help prints it */
    const char *meta; /* metavariable, or the choices of LC_CHOICE */
    int commands;
    const char *help;
} table[LC_OPT_COUNT] = {
#define LC_X_ROW(id, name, kind, check, def, doc, meta, cmds, help) {name, kind, check, def, doc, meta, cmds, help},
    LC_OPTION_TABLE(LC_X_ROW)
#undef LC_X_ROW
};

static const struct {
    int bit;
    const char *name;
} commands[] = {
    {LC_FIT, "fit"}, {LC_CV, "cv"}, {LC_PREDICT, "predict"}, {LC_GEN, "gen"}, {LC_INFO, "info"},
};
#define N_COMMANDS ((int)(sizeof(commands) / sizeof(commands[0])))

const char *lc_command_name(int command)
{
    for (int k = 0; k < N_COMMANDS; k++) {
        if (commands[k].bit == command) return commands[k].name;
    }
    return NULL;
}

int lc_option_find(const char *name)
{
    for (int id = 0; id < LC_OPT_COUNT; id++) {
        if (strcmp(table[id].name, name) == 0) return id;
    }
    return -1;
}

const char *lc_option_name(int id) { return table[id].name; }
lc_kind lc_option_kind(int id) { return table[id].kind; }
int lc_option_commands(int id) { return table[id].commands; }

/* ------------------------------------------------------------------------- */
/* Parsing single values. Each returns 1 on success. */

/* A number with nothing after it; NaN is never a number here. Infinities pass
** only when the caller allows them (bounds). */
static int parse_number(const char *s, double *out)
{
    char *end = NULL;
    errno = 0;
    double v = strtod(s, &end);
    if (end == s || *end != '\0' || isnan(v)) return 0;
    *out = v;
    return 1;
}

/* A whole number: digits, or a number in exponent notation that is an exact
** integer (`--rows 1e6`), below 2^53 so that the double was exact. */
static int parse_integer(const char *s, int64_t *out)
{
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (end != s && *end == '\0' && errno == 0) {
        *out = (int64_t)v;
        return 1;
    }
    double d;
    if (!parse_number(s, &d) || d != floor(d) || fabs(d) > 9007199254740992.0) return 0;
    *out = (int64_t)d;
    return 1;
}

/* A size in bytes: a number >= 1 with an optional suffix K, M, G or T (any
** case, powers of 1024 as for memory sizes), optionally followed by "B" or
** "iB" ("512M", "4GiB", "1.5g", "100000"). */
static int parse_bytes(const char *s, int64_t *out)
{
    char *end = NULL;
    double v = strtod(s, &end);
    if (end == s || !isfinite(v)) return 0;
    static const char units[] = "kmgt";
    const char *u = *end != '\0' ? strchr(units, end[0] | 0x20) : NULL;
    if (u != NULL) {
        v = ldexp(v, 10 * (int)(u - units + 1));
        end++;
        if (strcmp(end, "B") == 0 || strcmp(end, "iB") == 0) end += strlen(end);
    } else if (strcmp(end, "B") == 0) {
        end++;
    }
    /* At most 2^62 bytes, so that the value fits an int64_t exactly. */
    if (*end != '\0' || !(v >= 1.0) || v > 4611686018427387904.0) return 0;
    *out = (int64_t)v;
    return 1;
}

static int parse_bool(const char *s, int64_t *out)
{
    static const char *yes[] = {"true", "yes", "on", "1"}, *no[] = {"false", "no", "off", "0"};
    for (int k = 0; k < 4; k++) {
        if (strcasecmp(s, yes[k]) == 0) return (*out = 1), 1;
        if (strcasecmp(s, no[k]) == 0) return (*out = 0), 1;
    }
    return 0;
}

/* Does v satisfy the check, and how to say what it must be. */
static int check_ok(lc_check check, double v)
{
    switch (check) {
    case LC_UNIT: return v >= 0.0 && v <= 1.0;
    case LC_OPEN_UNIT: return v > 0.0 && v < 1.0;
    case LC_FRACTION: return v >= 0.0 && v < 1.0;
    case LC_DENSITY: return v > 0.0 && v <= 1.0;
    case LC_POS:
    case LC_POS_AUTO: return v > 0.0 && isfinite(v);
    case LC_NONNEG: return v >= 0.0 && isfinite(v);
    case LC_LOWER: return v <= 0.0;
    case LC_UPPER: return v >= 0.0;
    case LC_GE1:
    case LC_GE1_AUTO: return v >= 1.0 && isfinite(v);
    case LC_GE2: return v >= 2.0 && isfinite(v);
    case LC_ANY:
    case LC_CHOICE: return isfinite(v);
    }
    return 0;
}

static const char *check_text(lc_check check)
{
    switch (check) {
    case LC_UNIT: return "in [0, 1]";
    case LC_OPEN_UNIT: return "in (0, 1)";
    case LC_FRACTION: return "in [0, 1)";
    case LC_DENSITY: return "in (0, 1]";
    case LC_POS: return "> 0";
    case LC_POS_AUTO: return "> 0 or auto";
    case LC_NONNEG: return ">= 0";
    case LC_LOWER: return "<= 0 (or -inf)";
    case LC_UPPER: return ">= 0 (or inf)";
    case LC_GE1: return ">= 1";
    case LC_GE1_AUTO: return ">= 1 or auto";
    case LC_GE2: return ">= 2";
    case LC_ANY:
    case LC_CHOICE: return "finite";
    }
    return "";
}

/* Is word one of the |-separated choices? */
static int is_choice(const char *choices, const char *word)
{
    size_t len = strlen(word);
    for (const char *s = choices; *s != '\0';) {
        const char *bar = strchr(s, '|');
        size_t n = bar ? (size_t)(bar - s) : strlen(s);
        if (n == len && len > 0 && strncmp(s, word, n) == 0) return 1;
        s += n + (bar ? 1 : 0);
    }
    return 0;
}

static void value_clear(lc_value *v)
{
    free(v->text);
    free(v->list);
    memset(v, 0, sizeof(*v));
}

/* Parses a comma-separated list of numbers into v->list (spaces around items
** are allowed: "0.2, 0.5, 1"). */
static int parse_list(lariat_ctx *ctx, int id, const char *text, const char *origin, lc_value *v)
{
    int n = 1;
    for (const char *s = text; *s != '\0'; s++) n += (*s == ',');
    v->list = lariat_malloc(ctx, (size_t)n, sizeof(double), "option list");
    char *copy = strdup(text);
    if (v->list == NULL || copy == NULL) {
        free(copy);
        return lariat_error(ctx, LARIAT_ENOMEM, "out of memory parsing %s", origin);
    }
    int rc = LARIAT_OK;
    char *item = copy;
    for (int k = 0; k < n && rc == LARIAT_OK; k++) {
        char *comma = strchr(item, ',');
        if (comma != NULL) *comma = '\0';
        while (*item == ' ' || *item == '\t') item++;
        size_t len = strlen(item);
        while (len > 0 && (item[len - 1] == ' ' || item[len - 1] == '\t')) item[--len] = '\0';
        double d;
        if (!parse_number(item, &d) || !check_ok(table[id].check, d)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: '%s' is not a number %s%s%s%s", origin, item,
                              check_text(table[id].check), n > 1 ? " (in the list '" : "", n > 1 ? text : "",
                              n > 1 ? "')" : "");
        } else {
            v->list[k] = d;
        }
        item = comma ? comma + 1 : item + len;
    }
    free(copy);
    v->nlist = n;
    return rc;
}

/* Parses text as option id's value into v (cleared first). */
static int parse_value(lariat_ctx *ctx, int id, const char *text, const char *origin, const char *base_dir,
                       lc_value *v)
{
    value_clear(v);
    snprintf(v->origin, sizeof(v->origin), "%s", origin);
    lc_check check = table[id].check;
    int rc = LARIAT_OK;
    switch (table[id].kind) {
    case LC_FLAG:
        if (!parse_bool(text, &v->i)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: '%s' is not true or false", origin, text);
        }
        break;
    case LC_INT:
        if ((check == LC_GE1_AUTO && strcmp(text, "auto") == 0)) {
            v->i = 0;
        } else if (!parse_integer(text, &v->i) || !check_ok(check, (double)v->i)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: '%s' is not a whole number %s", origin, text,
                              check_text(check));
        }
        break;
    case LC_REAL:
        if (check == LC_POS_AUTO && strcmp(text, "auto") == 0) {
            v->d = 0.0;
        } else if (!parse_number(text, &v->d) || !check_ok(check, v->d)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: '%s' is not a number %s", origin, text, check_text(check));
        }
        break;
    case LC_REALS: rc = parse_list(ctx, id, text, origin, v); break;
    case LC_WORD:
        if (check == LC_CHOICE && !is_choice(table[id].meta, text)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: '%s' is not one of %s", origin, text, table[id].meta);
        } else if (text[0] == '\0') {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: the value is empty", origin);
        }
        break;
    case LC_PATH:
        if (text[0] == '\0') rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: the file name is empty", origin);
        break;
    case LC_BYTES:
        if (!parse_bytes(text, &v->i)) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: '%s' is not a size in bytes >= 1 (such as 512M or 4G)",
                              origin, text);
        }
        break;
    case LC_CHAR:
        /* A separator that can occur inside a number would split numbers. */
        if (strcmp(text, "tab") == 0 || strcmp(text, "\\t") == 0) {
            v->c = '\t';
        } else if (strlen(text) != 1 || strchr("0123456789.+-eE\"\r\n", text[0]) != NULL) {
            rc = lariat_error(ctx, LARIAT_EUSAGE, "%s: '%s' is not one character that cannot occur in a number",
                              origin, text);
        } else {
            v->c = text[0];
        }
        break;
    }
    if (rc != LARIAT_OK) return rc;

    /* Keep the text (paths relative to the config file's folder, SPEC 6). */
    if (table[id].kind == LC_PATH && base_dir != NULL && text[0] != '/') {
        size_t len = strlen(base_dir) + strlen(text) + 2;
        v->text = malloc(len);
        if (v->text != NULL) snprintf(v->text, len, "%s/%s", base_dir, text);
    } else {
        v->text = strdup(text);
    }
    if (v->text == NULL) return lariat_error(ctx, LARIAT_ENOMEM, "out of memory storing %s", origin);
    return LARIAT_OK;
}

int lc_option_set(lariat_ctx *ctx, lc_options *o, int id, const char *text, const char *origin,
                  const char *base_dir)
{
    lc_value v = {0};
    int rc = parse_value(ctx, id, text, origin, base_dir, &v);
    if (rc != LARIAT_OK) {
        value_clear(&v);
        return rc;
    }
    value_clear(&o->v[id]);
    o->v[id] = v;
    o->v[id].given = 1;
    return LARIAT_OK;
}

int lc_option_check(lariat_ctx *ctx, int id, const char *text, const char *origin)
{
    lc_value v = {0};
    int rc = parse_value(ctx, id, text, origin, NULL, &v);
    value_clear(&v);
    return rc;
}

int lc_options_init(lariat_ctx *ctx, lc_options *o, int command)
{
    memset(o, 0, sizeof(*o));
    o->command = command;
    for (int id = 0; id < LC_OPT_COUNT; id++) {
        char origin[64];
        snprintf(origin, sizeof(origin), "default of --%s", table[id].name);
        if (table[id].def != NULL) {
            int rc = parse_value(ctx, id, table[id].def, origin, NULL, &o->v[id]);
            if (rc != LARIAT_OK) return rc;
        }
        snprintf(o->v[id].origin, sizeof(o->v[id].origin), "--%s", table[id].name);
    }
    return LARIAT_OK;
}

void lc_options_free(lc_options *o)
{
    for (int id = 0; id < LC_OPT_COUNT; id++) value_clear(&o->v[id]);
}

/* ------------------------------------------------------------------------- */
/* The command line. */

/* Edit distance between two short strings (Levenshtein), to suggest the
** option a typo meant. */
static int edit_distance(const char *a, const char *b)
{
    int la = (int)strlen(a), lb = (int)strlen(b);
    if (la > 40 || lb > 40) return 99;
    int row[41];
    for (int j = 0; j <= lb; j++) row[j] = j;
    for (int i = 1; i <= la; i++) {
        int diag = row[0];
        row[0] = i;
        for (int j = 1; j <= lb; j++) {
            int up = row[j];
            int best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best) best = up + 1;
            if (row[j - 1] + 1 < best) best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

int lc_unknown_option(lariat_ctx *ctx, int command, const char *where, const char *what, const char *prefix,
                      const char *name)
{
    int best = -1, best_dist = 3;
    for (int id = 0; id < LC_OPT_COUNT; id++) {
        if (!(table[id].commands & command)) continue;
        int d = edit_distance(name, table[id].name);
        if (d < best_dist) best = id, best_dist = d;
    }
    const char *cmd = lc_command_name(command);
    if (best >= 0) {
        return lariat_error(ctx, LARIAT_EUSAGE, "%sunknown %s '%s%s' (did you mean '%s%s'? see lariat %s --help)",
                            where, what, prefix, name, prefix, table[best].name, cmd);
    }
    return lariat_error(ctx, LARIAT_EUSAGE, "%sunknown %s '%s%s' (see lariat %s --help)", where, what, prefix, name,
                        cmd);
}

int lc_options_parse_argv(lariat_ctx *ctx, lc_options *o, int argc, char **argv)
{
    const char *cmd = lc_command_name(o->command);
    for (int i = 0; i < argc; i++) {
        const char *arg = argv[i];
        if (strncmp(arg, "--", 2) != 0 || arg[2] == '\0') {
            return lariat_error(ctx, LARIAT_EUSAGE, "unexpected argument '%s' (options start with --; see lariat %s --help)",
                                arg, cmd);
        }
        char name[128];
        const char *eq = strchr(arg, '=');
        size_t len = eq ? (size_t)(eq - arg - 2) : strlen(arg + 2);
        if (len >= sizeof(name)) len = sizeof(name) - 1;
        memcpy(name, arg + 2, len);
        name[len] = '\0';
        int id = lc_option_find(name);
        if (id < 0) return lc_unknown_option(ctx, o->command, "", "option", "--", name);
        char origin[160];
        snprintf(origin, sizeof(origin), "--%s", name);
        if (!(table[id].commands & o->command)) {
            return lariat_error(ctx, LARIAT_EUSAGE, "option %s is not used by 'lariat %s' (see lariat %s --help)",
                                origin, cmd, cmd);
        }
        const char *value;
        if (eq != NULL) {
            value = eq + 1;
        } else if (table[id].kind == LC_FLAG) {
            value = "true";
        } else if (i + 1 < argc && !(strncmp(argv[i + 1], "--", 2) == 0 && argv[i + 1][2] != '\0')) {
            value = argv[++i];
        } else {
            return lariat_error(ctx, LARIAT_EUSAGE, "option %s needs a value (%s)", origin, table[id].meta);
        }
        int rc = lc_option_set(ctx, o, id, value, origin, NULL);
        if (rc != LARIAT_OK) return rc;
        o->v[id].from_argv = 1;
    }
    return LARIAT_OK;
}

/* ------------------------------------------------------------------------- */
/* Typed access. */

int lc_given(const lc_options *o, int id) { return o->v[id].given; }
int lc_flag(const lc_options *o, int id) { return o->v[id].i != 0; }
int64_t lc_int(const lc_options *o, int id) { return o->v[id].i; }
double lc_real(const lc_options *o, int id) { return o->v[id].d; }
const char *lc_text(const lc_options *o, int id) { return o->v[id].text; }
char lc_char(const lc_options *o, int id) { return o->v[id].c; }
const char *lc_origin(const lc_options *o, int id) { return o->v[id].origin; }

const double *lc_list(const lc_options *o, int id, int *n)
{
    *n = o->v[id].nlist;
    return o->v[id].list;
}

int lc_require(lariat_ctx *ctx, const lc_options *o, int id)
{
    if (o->v[id].text != NULL) return LARIAT_OK;
    return lariat_error(ctx, LARIAT_EUSAGE, "option --%s is required by 'lariat %s' (see lariat %s --help)",
                        table[id].name, lc_command_name(o->command), lc_command_name(o->command));
}

/* ------------------------------------------------------------------------- */
/* Help. */

/* Prints text from column col, wrapped before column 80, dropping the
** markdown backquotes the table's texts use for docs/cli.md. */
static void print_wrapped(FILE *f, const char *text, int col)
{
    const int width = 79;
    int at = col;
    const char *s = text;
    while (*s != '\0') {
        while (*s == ' ') s++;
        const char *e = s;
        int wlen = 0;
        for (; *e != '\0' && *e != ' '; e++) wlen += (*e != '`');
        if (wlen == 0) break;
        if (at > col && at + 1 + wlen > width) {
            fprintf(f, "\n%*s", col, "");
            at = col;
        } else if (at > col) {
            fputc(' ', f);
            at++;
        }
        for (; s < e; s++) {
            if (*s != '`') fputc(*s, f);
        }
        at += wlen;
    }
    fputc('\n', f);
}

void lc_help_options(FILE *f, int command)
{
    const int col = 30;
    for (int id = 0; id < LC_OPT_COUNT; id++) {
        if (!(table[id].commands & command)) continue;
        char left[128];
        int n = snprintf(left, sizeof(left), "  --%s%s%s", table[id].name, table[id].meta[0] ? " " : "", table[id].meta);
        fputs(left, f);
        if (n + 2 > col) fprintf(f, "\n%*s", col, "");
        else fprintf(f, "%*s", col - n, "");
        char text[512];
        if (table[id].doc[0] != '\0') snprintf(text, sizeof(text), "%s (default: %s)", table[id].help, table[id].doc);
        else snprintf(text, sizeof(text), "%s", table[id].help);
        print_wrapped(f, text, col);
    }
}

/* Writes s with the '|' of markdown tables escaped. */
static void print_cell(FILE *f, const char *s)
{
    for (; *s != '\0'; s++) {
        if (*s == '|') fputc('\\', f);
        fputc(*s, f);
    }
}

void lc_help_markdown(FILE *f)
{
    fputs("| option | meaning | default | commands |\n| --- | --- | --- | --- |\n", f);
    for (int id = 0; id < LC_OPT_COUNT; id++) {
        fprintf(f, "| `--%s%s", table[id].name, table[id].meta[0] ? " " : "");
        print_cell(f, table[id].meta);
        fputs("` | ", f);
        print_cell(f, table[id].help);
        fputs(" | ", f);
        print_cell(f, table[id].doc);
        fputs(" |", f);
        const char *sep = " ";
        for (int k = 0; k < N_COMMANDS; k++) {
            if (table[id].commands & commands[k].bit) {
                fprintf(f, "%s%s", sep, commands[k].name);
                sep = ", ";
            }
        }
        fputs(" |\n", f);
    }
}

void lc_help_man_options(FILE *f)
{
    for (int id = 0; id < LC_OPT_COUNT; id++) {
        fputs(".TP\n\\fB", f);
        char name[64];
        snprintf(name, sizeof(name), "--%s", table[id].name);
        lc_roff_text(f, name);
        fputs("\\fR", f);
        if (table[id].meta[0] != '\0') {
            fputs(" \\fI", f);
            lc_roff_text(f, table[id].meta);
            fputs("\\fR", f);
        }
        fputc('\n', f);
        lc_roff_text(f, table[id].help);
        fputs(".\n.br\nCommands: ", f);
        const char *sep = "";
        for (int k = 0; k < N_COMMANDS; k++) {
            if (table[id].commands & commands[k].bit) {
                fprintf(f, "%s%s", sep, commands[k].name);
                sep = ", ";
            }
        }
        if (strcmp(table[id].doc, "required") == 0) {
            fputs(". Required", f);
        } else if (table[id].doc[0] != '\0') {
            fputs(". Default: ", f);
            lc_roff_text(f, table[id].doc);
        }
        fputs(".\n", f);
    }
}
