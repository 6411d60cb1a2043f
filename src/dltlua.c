/* dltlua.c: the dlt interpreter: lua5.4's command line (script args, -e, -l, -i, -v, -E,
 * -W, -, a REPL) with dlt preloaded as the global `dlt`. Follows the behaviour of lua.c;
 * the REPL edits lines, keeps history and completes names through GNU readline when the
 * build found it, in a module opened when a REPL starts on a terminal (dltlua_readline.c;
 * lua/dlt/repl.lua computes the completions and the banner). */
#define _POSIX_C_SOURCE 200809L /* strdup */
#include <malloc.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <lauxlib.h>
#include <lua.h>
#include <lualib.h>

#include "dist/comm.h"
#include "lua/common.h"

#ifdef DLT_READLINE
#include <dlfcn.h>
#include <limits.h>

#include "./dltlua_readline.h"
#include "core/io.h"
#endif

#define PROMPT "> "
#define PROMPT2 ">> "
#define MAXINPUT 512

static lua_State *globalL = NULL;
static const char *progname = "dltlua";

/* SIGINT: the next Lua instruction raises "interrupted!", as lua.c does */
static void lstop(lua_State *L, lua_Debug *ar) {
  (void)ar;
  lua_sethook(L, NULL, 0, 0);
  luaL_error(L, "interrupted!");
}

static void laction(int i) {
  int flag = LUA_MASKCALL | LUA_MASKRET | LUA_MASKLINE | LUA_MASKCOUNT;
  signal(i, SIG_DFL); /* a second Ctrl-C kills the process */
  lua_sethook(globalL, lstop, flag, 1);
}

static void usage_text(FILE *f) {
  fprintf(f,
          "usage: %s [options] [script [args]]\n"
          "dlt " DLT_VERSION
          ": a deep-learning training toolkit scripted in Lua 5.4, with PyTorch's\n"
          "names (dlt, dlt.nn, dlt.optim, dlt.data) and matplotlib-style figures (dlt.plot).\n"
          "dlt is preloaded as the global `dlt`. With no script on a terminal, a REPL starts with\n"
          "dlt, nn, optim, plt and help ready (line editing, history in ~/.dlt_history, Tab\n"
          "completion); help(x) documents any dlt function, class or method.\n"
          "Options:\n"
          "  -e stat   execute string 'stat'\n"
          "  -i        enter interactive mode after executing 'script'\n"
          "  -l mod    require library 'mod' into global 'mod'\n"
          "  -l g=mod  require library 'mod' into global 'g'\n"
          "  -v        show version information\n"
          "  -E        ignore environment variables\n"
          "  -W        turn warnings on\n"
          "  -h, --help  show this help\n"
          "  --        stop handling options\n"
          "  -         stop handling options and execute stdin\n"
          "Environment: DLT_FIGDIR (where figures are written, default figures/),\n"
          "DLT_HISTORY (the REPL's history file), LUA_INIT, LUA_PATH, LUA_CPATH.\n"
          "Examples: %s scripts/optimizers.lua    %s -e 'print(dlt.randn(2, 3))'\n",
          progname, progname, progname);
}

static void print_usage(const char *badoption) {
  fprintf(stderr, "%s: ", progname);
  if (badoption[1] == 'e' || badoption[1] == 'l') fprintf(stderr, "'%s' needs argument\n", badoption);
  else fprintf(stderr, "unrecognized option '%s'\n", badoption);
  usage_text(stderr);
}

static void l_message(const char *pname, const char *msg) {
  if (pname) fprintf(stderr, "%s: ", pname);
  fprintf(stderr, "%s\n", msg);
  fflush(stderr);
}

/* An error ends a script; in a process group (dlt.distributed) it ends the whole job:
 * the other ranks may be waiting in a collective for this one, so MPI_Abort stops them
 * instead of letting them hang. The message names the rank. (The REPL, progname NULL,
 * reports and goes on.) */
static int report(lua_State *L, int status) {
  if (status != LUA_OK) {
    const char *msg = lua_tostring(L, -1);
    if (!msg) msg = "(error object is not a string)";
    if (progname && dlt_comm_active()) {
      fprintf(stderr, "%s: rank %d of %d: %s\n", progname, dlt_comm_rank() + 1, dlt_comm_size(), msg);
      fflush(stderr);
      dlt_comm_abort(1);
    }
    l_message(progname, msg);
    lua_pop(L, 1);
  }
  return status;
}

/* message handler: the error message with a traceback appended */
static int msghandler(lua_State *L) {
  const char *msg = lua_tostring(L, 1);
  if (msg == NULL) {
    if (luaL_callmeta(L, 1, "__tostring") && lua_type(L, -1) == LUA_TSTRING) return 1;
    msg = lua_pushfstring(L, "(error object is a %s value)", luaL_typename(L, 1));
  }
  luaL_traceback(L, L, msg, 1);
  return 1;
}

static int docall(lua_State *L, int narg, int nres) {
  int base = lua_gettop(L) - narg;
  lua_pushcfunction(L, msghandler);
  lua_insert(L, base);
  globalL = L;
  signal(SIGINT, laction);
  int status = lua_pcall(L, narg, nres, base);
  signal(SIGINT, SIG_DFL);
  lua_remove(L, base);
  return status;
}

static void print_version(void) {
  const char *dlt = "dlt " DLT_VERSION ", a deep-learning training toolkit; ";
  lua_writestring(dlt, strlen(dlt));
  lua_writestring(LUA_COPYRIGHT, strlen(LUA_COPYRIGHT));
  lua_writeline();
}

/* arg table: script at index 0, its arguments after, interpreter arguments negative */
static void createargtable(lua_State *L, char **argv, int argc, int script) {
  int narg = argc - (script + 1);
  lua_createtable(L, narg, script + 1);
  for (int i = 0; i < argc; i++) {
    lua_pushstring(L, argv[i]);
    lua_rawseti(L, -2, i - script);
  }
  lua_setglobal(L, "arg");
}

static int dochunk(lua_State *L, int status) {
  if (status == LUA_OK) status = docall(L, 0, 0);
  return report(L, status);
}

static int dofile(lua_State *L, const char *name) { return dochunk(L, luaL_loadfile(L, name)); }

static int dostring(lua_State *L, const char *s, const char *name) {
  return dochunk(L, luaL_loadbuffer(L, s, strlen(s), name));
}

/* -l [g=]mod: global g (or mod) = require(mod) */
static int dolibrary(lua_State *L, char *globname) {
  char *modname = strchr(globname, '=');
  if (modname == NULL) modname = globname;
  else *modname++ = '\0';
  lua_getglobal(L, "require");
  lua_pushstring(L, modname);
  int status = docall(L, 1, 1);
  if (status == LUA_OK) lua_setglobal(L, globname);
  return report(L, status);
}

static int pushargs(lua_State *L) {
  if (lua_getglobal(L, "arg") != LUA_TTABLE) luaL_error(L, "'arg' is not a table");
  int n = (int)luaL_len(L, -1);
  luaL_checkstack(L, n + 3, "too many arguments to script");
  for (int i = 1; i <= n; i++) lua_rawgeti(L, -i, i);
  lua_remove(L, -n - 1);
  return n;
}

static int handle_script(lua_State *L, char **argv) {
  const char *fname = argv[0];
  if (strcmp(fname, "-") == 0 && strcmp(argv[-1], "--") != 0) fname = NULL; /* stdin */
  int status = luaL_loadfile(L, fname);
  if (status == LUA_OK) {
    int n = pushargs(L);
    status = docall(L, n, LUA_MULTRET);
  }
  return report(L, status);
}

#define has_error 1
#define has_i 2
#define has_v 4
#define has_e 8
#define has_E 16
#define has_help 32

/* Scans options; returns the flags and sets *first to the script's index (0: none). */
static int collectargs(char **argv, int *first) {
  int args = 0, i;
  *first = 0;
  if (argv[0] == NULL) return 0;
  for (i = 1; argv[i] != NULL; i++) {
    *first = i;
    if (argv[i][0] != '-') return args;
    switch (argv[i][1]) {
    case '-':
      if (strcmp(argv[i], "--help") == 0) return has_help;
      if (argv[i][2] != '\0') return has_error;
      *first = argv[i + 1] != NULL ? i + 1 : 0;
      return args;
    case '\0':
      return args; /* '-' runs stdin */
    case 'h':
      if (argv[i][2] != '\0') return has_error;
      return has_help;
    case 'E':
      if (argv[i][2] != '\0') return has_error;
      args |= has_E;
      break;
    case 'W':
      if (argv[i][2] != '\0') return has_error;
      break;
    case 'i':
      args |= has_i; /* -i implies -v */
      __attribute__((fallthrough));
    case 'v':
      if (argv[i][2] != '\0') return has_error;
      args |= has_v;
      break;
    case 'e':
      args |= has_e;
      __attribute__((fallthrough));
    case 'l':
      if (argv[i][2] == '\0') {
        i++;
        if (argv[i] == NULL || argv[i][0] == '-') return has_error;
      }
      break;
    default:
      return has_error;
    }
  }
  *first = 0; /* no script */
  return args;
}

/* Runs -e, -l and -W in order; 0 when all succeed. */
static int runargs(lua_State *L, char **argv, int n) {
  for (int i = 1; i < n; i++) {
    int option = argv[i][1];
    switch (option) {
    case 'e':
    case 'l': {
      char *extra = argv[i] + 2;
      if (*extra == '\0') extra = argv[++i];
      int status = option == 'e' ? dostring(L, extra, "=(command line)") : dolibrary(L, extra);
      if (status != LUA_OK) return 0;
      break;
    }
    case 'W':
      lua_warning(L, "@on", 0);
      break;
    }
  }
  return 1;
}

static int handle_luainit(lua_State *L) {
  const char *name = "=LUA_INIT_5_4";
  const char *init = getenv(name + 1);
  if (init == NULL) {
    name = "=LUA_INIT";
    init = getenv(name + 1);
  }
  if (init == NULL) return LUA_OK;
  if (init[0] == '@') return dofile(L, init + 1);
  return dostring(L, init, name);
}

/* ---- the REPL ---- */

static int readline_plain(lua_State *L, const char *prompt) {
  char buf[MAXINPUT];
  fputs(prompt, stdout);
  fflush(stdout);
  if (fgets(buf, sizeof buf, stdin) == NULL) return 0;
  size_t l = strlen(buf);
  luaL_Buffer b;
  luaL_buffinit(L, &b);
  luaL_addlstring(&b, buf, l);
  /* lines longer than the buffer arrive in pieces: join them */
  while (l > 0 && buf[l - 1] != '\n' && fgets(buf, sizeof buf, stdin) != NULL) {
    l = strlen(buf);
    luaL_addlstring(&b, buf, l);
  }
  luaL_pushresult(&b);
  size_t n;
  const char *s = lua_tolstring(L, -1, &n);
  if (n > 0 && s[n - 1] == '\n') {
    lua_pushlstring(L, s, n - 1);
    lua_remove(L, -2);
  }
  return 1;
}

/* calls require("dlt.repl")[fname] with the nargs values on the stack; nres results,
 * or nothing (0) if it failed: the REPL's helpers must never stop the REPL */
static int repl_call(lua_State *L, const char *fname, int nargs, int nres) {
  lua_getglobal(L, "require");
  lua_pushliteral(L, "dlt.repl");
  if (lua_pcall(L, 1, 1, 0) != LUA_OK || lua_getfield(L, -1, fname) != LUA_TFUNCTION) {
    lua_pop(L, 2 + nargs);
    return 0;
  }
  lua_remove(L, -2);
  lua_insert(L, -1 - nargs);
  if (lua_pcall(L, nargs, nres, 0) != LUA_OK) {
    lua_pop(L, 1);
    return 0;
  }
  return 1;
}

#ifdef DLT_READLINE
static const dlt_rl_ops *rl; /* the line-editing module, when the REPL is on a terminal */
static char history_path[4096];

/* the candidates for completing text, from dlt.repl.complete (see dlt_rl_complete_fn) */
static char **complete(const char *line, int start, const char *text, size_t *n) {
  lua_State *L = globalL;
  char **out = NULL;
  *n = 0;
  int top = lua_gettop(L);
  lua_pushstring(L, line);
  lua_pushinteger(L, start);
  lua_pushstring(L, text);
  if (repl_call(L, "complete", 3, 1) && lua_istable(L, -1)) {
    size_t len = (size_t)lua_rawlen(L, -1);
    out = calloc(len > 0 ? len : 1, sizeof *out);
    for (size_t i = 0; out && i < len; i++) {
      lua_rawgeti(L, -1, (lua_Integer)i + 1);
      const char *m = lua_tostring(L, -1);
      if (m && (out[*n] = strdup(m)) != NULL) (*n)++;
      lua_pop(L, 1);
    }
  }
  lua_settop(L, top);
  return out;
}

/* the module beside dltlua, else where it is installed; NULL (saying why on stderr when
 * one was found but would not load) means plain lines */
static const dlt_rl_ops *open_module(void) {
  char path[PATH_MAX];
  if (dlt_path_beside((const void *)open_module, DLT_RL_FILE, path, sizeof path) != 0 || access(path, F_OK) != 0)
    snprintf(path, sizeof path, "%s/%s", DLT_READLINE_DIR, DLT_RL_FILE);
  if (access(path, F_OK) != 0) return NULL;
  void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  dlt_rl_entry entry = h ? (dlt_rl_entry)dlsym(h, DLT_RL_ENTRY) : NULL;
  const dlt_rl_ops *ops = entry ? entry(DLT_RL_ABI) : NULL;
  if (!ops) fprintf(stderr, "dltlua: no line editing: %s is not this dltlua's module (%s)\n", path, h ? "interface" : dlerror());
  return ops;
}

/* names run over '.' and ':' (dlt.nn.Lin, t:su); everything else breaks a word */
static const char word_breaks[] = " \t\n\"\\'`@$><=;|&{(,+-*/%^~#[]";

static void readline_init(lua_State *L) {
  if (!isatty(0) || !isatty(1) || !(rl = open_module())) return;
  globalL = L;
  rl->init("dltlua", word_breaks, complete);
  const char *path = getenv("DLT_HISTORY");
  const char *home = getenv("HOME");
  if (path && *path) snprintf(history_path, sizeof history_path, "%s", path);
  else if (home && *home) snprintf(history_path, sizeof history_path, "%s/.dlt_history", home);
  else history_path[0] = '\0';
  rl->history_open(history_path);
}

static int readline_line(lua_State *L, const char *prompt) {
  if (!rl) return readline_plain(L, prompt);
  char *line = rl->readline(prompt);
  if (line == NULL) return 0;
  lua_pushstring(L, line);
  rl->history_add(line, history_path);
  free(line);
  return 1;
}
#else
static void readline_init(lua_State *L) { (void)L; }
#define readline_line readline_plain
#endif

static int incomplete(lua_State *L, int status) {
  if (status == LUA_ERRSYNTAX) {
    size_t lmsg;
    const char *msg = lua_tolstring(L, -1, &lmsg);
    const char *eof = "<eof>";
    size_t le = strlen(eof);
    if (lmsg >= le && strcmp(msg + lmsg - le, eof) == 0) {
      lua_pop(L, 1);
      return 1;
    }
  }
  return 0;
}

/* "return <line>" first, so expressions print their values */
static int addreturn(lua_State *L) {
  const char *line = lua_tostring(L, -1);
  const char *retline = lua_pushfstring(L, "return %s;", line);
  /* text only: a stray escape byte (an arrow key without line editing) is a syntax
   * error, not the start of a binary chunk */
  int status = luaL_loadbufferx(L, retline, strlen(retline), "=stdin", "t");
  if (status == LUA_OK) lua_remove(L, -2);
  else lua_pop(L, 2);
  return status;
}

static int multiline(lua_State *L) {
  for (;;) {
    size_t len;
    const char *line = lua_tolstring(L, 1, &len);
    int status = luaL_loadbufferx(L, line, len, "=stdin", "t");
    if (!incomplete(L, status) || !readline_line(L, PROMPT2)) return status;
    lua_pushliteral(L, "\n");
    lua_insert(L, -2);
    lua_concat(L, 3);
  }
}

static int loadline(lua_State *L) {
  lua_settop(L, 0);
  if (!readline_line(L, PROMPT)) return -1;
  int status = addreturn(L);
  if (status != LUA_OK) status = multiline(L);
  lua_remove(L, 1);
  return status;
}

static void l_print(lua_State *L) {
  int n = lua_gettop(L);
  if (n > 0) {
    luaL_checkstack(L, LUA_MINSTACK, "too many results to print");
    lua_getglobal(L, "print");
    lua_insert(L, 1);
    if (lua_pcall(L, n, 0, 0) != LUA_OK)
      l_message(progname, lua_pushfstring(L, "error calling 'print' (%s)", lua_tostring(L, -1)));
  }
}

static void doREPL(lua_State *L) {
  int status;
  const char *oldprogname = progname;
  progname = NULL;
  readline_init(L);
  /* nn, optim, plt and help as globals, and the banner */
  if (repl_call(L, "start", 0, 1)) {
    const char *banner = lua_tostring(L, -1);
    if (banner) {
      lua_writestring(banner, strlen(banner));
      lua_writeline();
    }
  }
  lua_settop(L, 0);
  while ((status = loadline(L)) != -1) {
    if (status == LUA_OK) status = docall(L, 0, LUA_MULTRET);
    if (status == LUA_OK) l_print(L);
    else report(L, status);
  }
  lua_settop(L, 0);
  lua_writeline();
  progname = oldprogname;
}

/* ---- main ---- */

static int pmain(lua_State *L) {
  int argc = (int)lua_tointeger(L, 1);
  char **argv = (char **)lua_touserdata(L, 2);
  int script;
  int args = collectargs(argv, &script);
  luaL_checkversion(L);
  if (args == has_error) {
    print_usage(argv[script]);
    return 0;
  }
  if (args == has_help) {
    usage_text(stdout);
    lua_pushboolean(L, 1);
    return 1;
  }
  if ((args & has_v) && !(args & has_i)) print_version(); /* -i: the REPL's banner says it */
  if (args & has_E) {
    lua_pushboolean(L, 1);
    lua_setfield(L, LUA_REGISTRYINDEX, "LUA_NOENV");
  }
  luaL_openlibs(L);
  /* dlt: require("dlt") returns it, and the global `dlt` is set for scripts and the REPL */
  luaL_requiref(L, "dlt", luaopen_dlt, 1);
  lua_pop(L, 1);
  createargtable(L, argv, argc, script);
  /* incremental, unlike lua.c: the per-MB steps of dlt_lua_pushtensor then free
   * temporaries promptly, where the generational mode would age them into old objects */
  lua_gc(L, LUA_GCINC, 0, 0, 0);
  if (!(args & has_E)) {
    if (handle_luainit(L) != LUA_OK) return 0;
  }
  if (!runargs(L, argv, script > 0 ? script : argc)) return 0;
  if (script > 0) {
    if (handle_script(L, argv + script) != LUA_OK) return 0;
  }
  if (args & has_i) doREPL(L);
  else if (script < 1 && !(args & (has_e | has_v))) {
    if (isatty(0)) {
      doREPL(L);
    } else {
      dofile(L, NULL); /* executes stdin as a file */
    }
  }
  lua_pushboolean(L, 1);
  return 1;
}

int main(int argc, char **argv) {
  /* Tensor storage churns through same-sized blocks (a training step allocates what the
   * last one freed). Keeping blocks up to 32 MB in the heap, and freed memory mapped up
   * to 128 MB, spares each new result the page faults of fresh mmap'ed memory. */
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 128 << 20);
  lua_State *L = luaL_newstate();
  if (L == NULL) {
    l_message(argv[0], "cannot create state: not enough memory");
    return EXIT_FAILURE;
  }
  lua_pushcfunction(L, &pmain);
  lua_pushinteger(L, argc);
  lua_pushlightuserdata(L, argv);
  int status = lua_pcall(L, 2, 1, 0);
  int result = lua_toboolean(L, -1);
  report(L, status);
  lua_close(L);
  return (result && status == LUA_OK) ? EXIT_SUCCESS : EXIT_FAILURE;
}
