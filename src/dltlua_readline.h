/* dltlua_readline.h: the interface between dltlua and its line-editing module,
 * dlt_readline.so (dltlua_readline.c, linked to GNU readline). dltlua opens it when a
 * REPL starts on a terminal, so scripts never load readline (a tenth of start-up).
 * Both sides check DLT_RL_ABI. */
#ifndef DLT_DLTLUA_READLINE_H
#define DLT_DLTLUA_READLINE_H

#include <stddef.h>

#define DLT_RL_ABI 1
#define DLT_RL_ENTRY "dlt_readline_module"
#define DLT_RL_FILE "dlt_readline.so"

/* the candidates for completing text, the word at byte start of line: a malloc'd array
 * of *n malloc'd strings, which the module frees; NULL when there are none */
typedef char **(*dlt_rl_complete_fn)(const char *line, int start, const char *text, size_t *n);

typedef struct {
  int abi;
  /* program name for ~/.inputrc, the characters that break words, the completer */
  void (*init)(const char *name, const char *word_breaks, dlt_rl_complete_fn complete);
  /* a malloc'd line without its newline, NULL at end of input */
  char *(*readline)(const char *prompt);
  /* reads the history file; adds a line to the history and appends it to the file ("" none) */
  void (*history_open)(const char *path);
  void (*history_add)(const char *line, const char *path);
} dlt_rl_ops;

typedef const dlt_rl_ops *(*dlt_rl_entry)(int abi);

#endif
