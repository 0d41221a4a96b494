/*
** The manual page lariat(1), written in roff (man macros) from the same
** tables as `--help` and the options table of docs/cli.md: the commands of
** main.c, the options of options.h and the status codes of lariat.h.
** `lariat help-options --man` prints it; man/lariat.1 is its committed copy
** (tests/cli/man.sh checks that it is current and renders cleanly).
*/
#ifndef LARIAT_CLI_MAN_H
#define LARIAT_CLI_MAN_H

#include <stdio.h>

/* One command as the page lists it. */
typedef struct lc_command_doc {
    const char *name;    /* "fit" */
    const char *usage;   /* "--data FILE [options]" */
    const char *summary; /* "fit one lambda or a whole path" */
} lc_command_doc;

/* Not collective. Writes the whole page for the n commands. */
void lc_man_page(FILE *f, const lc_command_doc *cmds, int n);

/* Not collective. Writes s as roff text: backslashes and hyphens escaped,
** the markdown `code` spans of the tables in bold, and a line that would
** start with a control character ('.' or ''') protected. */
void lc_roff_text(FILE *f, const char *s);

#endif /* LARIAT_CLI_MAN_H */
