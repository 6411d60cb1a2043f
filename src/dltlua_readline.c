/* dltlua_readline.c: dlt_readline.so, the REPL's line editing, history and completion
 * through GNU readline (see dltlua_readline.h); the candidates come from dltlua. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <readline/history.h>
#include <readline/readline.h>

#include "./dltlua_readline.h"

static dlt_rl_complete_fn host_complete;
static char word_breaks[64];

/* the candidates of the word being completed, handed out one by one */
static char **matches;
static size_t nmatches, next_match;

static void free_matches(void) {
  for (size_t i = 0; i < nmatches; i++) free(matches[i]);
  free(matches);
  matches = NULL;
  nmatches = 0;
}

static char *match_generator(const char *text, int state) {
  (void)text;
  if (state == 0) next_match = 0;
  return next_match < nmatches ? strdup(matches[next_match++]) : NULL;
}

static char **complete(const char *text, int start, int end) {
  (void)end;
  rl_attempted_completion_over = 1; /* never fall back to file names */
  rl_completion_append_character = '\0';
  free_matches();
  matches = host_complete(rl_line_buffer, start, text, &nmatches);
  if (!matches) nmatches = 0;
  return nmatches ? rl_completion_matches(text, match_generator) : NULL;
}

static void init(const char *name, const char *breaks, dlt_rl_complete_fn fn) {
  host_complete = fn;
  snprintf(word_breaks, sizeof word_breaks, "%s", breaks);
  rl_readline_name = name;
  rl_attempted_completion_function = complete;
  rl_completer_word_break_characters = word_breaks;
  rl_basic_word_break_characters = word_breaks;
}

static char *read_line(const char *prompt) { return readline(prompt); }

static void history_open(const char *path) {
  if (*path) read_history(path);
}

static void history_add(const char *line, const char *path) {
  if (!*line) return;
  add_history(line);
  if (!*path) return;
  /* append this line only, so two REPLs open at once both keep theirs */
  FILE *f = fopen(path, "a");
  if (f) fclose(f);
  if (append_history(1, path) == 0) history_truncate_file(path, 1000);
}

static const dlt_rl_ops ops = {DLT_RL_ABI, init, read_line, history_open, history_add};

__attribute__((visibility("default"))) const dlt_rl_ops *dlt_readline_module(int abi) {
  return abi == DLT_RL_ABI ? &ops : NULL;
}
