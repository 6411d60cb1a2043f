/* plot.c: dlt.plot, matplotlib.pyplot for Lua: figures and axes as userdata over the
 * engine's src/plot model, the pyplot state (current figure and axes) and style. */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "lua/common.h"
#include "plot/plot.h"

#define FIG_MT "dlt.plot.Figure"
#define AX_MT "dlt.plot.Axes"
#define MAP_MT "dlt.plot.Mappable"
#define ADDED_MT "dlt.plot.added" /* see keep_on_error */

typedef struct {
  dlt_figure *f, *dead;
} fig_box; /* dead: f after a __gc by hand */
typedef struct {
  dlt_axes *ax;
} ax_box;
typedef struct {
  dlt_artist *a;
  dlt_axes *ax;
} map_box;

static const char state_key = 0; /* registry: {figs = {fig -> true}, cur = fig, n = shown} */

/* ---- data arguments ---- */

static int is_data(lua_State *L, int idx) {
  int t = lua_type(L, idx);
  if (t == LUA_TNUMBER) return 1;
  if (t == LUA_TUSERDATA) return dlt_lua_testtensor(L, idx) != NULL;
  if (t != LUA_TTABLE) return 0;
  lua_rawgeti(L, idx, 1);
  int d = !lua_isnil(L, -1);
  lua_pop(L, 1);
  return d;
}

/* numbers from a tensor, table or number into a GC-owned buffer pushed on the stack,
 * so an error raised later frees it */
static double *todoubles(lua_State *L, int idx, const char *fn, const char *what, int64_t *n) {
  idx = lua_absindex(L, idx);
  /* {} is data with no points: say so, rather than "got table" */
  if (lua_type(L, idx) == LUA_TTABLE && !is_data(L, idx) && lua_rawlen(L, idx) == 0) {
    if (lua_getmetatable(L, idx)) lua_pop(L, 1);
    else dlt_lua_fail(L, "%s: %s is empty (an empty table): give at least one number", fn, what);
  }
  if (!is_data(L, idx))
    dlt_lua_fail(L, "%s: %s must be a tensor, a table of numbers or a number, got %s", fn, what,
                 luaL_typename(L, idx));
  double *v = dlt_lua_todoubles(L, idx, n);
  double *box = lua_newuserdatauv(L, (size_t)(*n ? *n : 1) * sizeof *box, 0);
  memcpy(box, v, (size_t)*n * sizeof *v);
  free(v);
  return box;
}

/* a 2-D array (tensor or table of rows) as rows x cols doubles, pushed like todoubles */
static double *to2d(lua_State *L, int idx, const char *fn, const char *what, int *rows, int *cols) {
  idx = lua_absindex(L, idx);
  dlt_tensor *t = dlt_lua_testtensor(L, idx);
  if (t) {
    if (t->ndim != 2) {
      char buf[64];
      dlt_lua_fail(L, "%s: %s must be a 2-D array, got shape %s", fn, what, dlt_shape_str(t, buf, sizeof buf));
    }
    *rows = (int)t->shape[0], *cols = (int)t->shape[1];
  } else if (lua_istable(L, idx)) {
    lua_rawgeti(L, idx, 1);
    int ok = lua_istable(L, -1) && !dlt_lua_testtensor(L, -1);
    *cols = ok ? (int)lua_rawlen(L, -1) : 0;
    lua_pop(L, 1);
    if (!ok) dlt_lua_fail(L, "%s: %s must be a 2-D array (a table of rows), got a 1-D table", fn, what);
    *rows = (int)lua_rawlen(L, idx);
    for (int i = 1; i <= *rows; i++) {
      lua_rawgeti(L, idx, i);
      int len = lua_istable(L, -1) ? (int)lua_rawlen(L, -1) : -1;
      lua_pop(L, 1);
      if (len != *cols) dlt_lua_fail(L, "%s: %s must be a 2-D array, row %d has %d values, row 1 has %d", fn, what, i, len, *cols);
    }
  } else {
    dlt_lua_fail(L, "%s: %s must be a 2-D array, got %s", fn, what, luaL_typename(L, idx));
  }
  int64_t n;
  double *v = todoubles(L, idx, fn, what, &n);
  if (n != (int64_t)*rows * *cols) dlt_lua_fail(L, "%s: %s must be a 2-D array", fn, what);
  return v;
}

/* the trailing options table, if the last argument is one: a table that is not data */
static int opts_index(lua_State *L, int first) {
  int top = lua_gettop(L);
  if (top >= first && lua_type(L, top) == LUA_TTABLE && !is_data(L, top)) return top;
  return 0;
}

static dlt_rgba check_color(lua_State *L, const char *fn, int idx) {
  dlt_rgba c = {0, 0, 0, 1};
  if (lua_type(L, idx) == LUA_TSTRING) {
    if (dlt_color_parse(fn, lua_tostring(L, idx), &c) != 0) dlt_lua_error(L);
  } else if (lua_istable(L, idx)) {
    double v[4] = {0, 0, 0, 1};
    int n = (int)lua_rawlen(L, idx);
    if (n != 3 && n != 4) dlt_lua_fail(L, "%s: a colour table needs 3 or 4 numbers, got %d", fn, n);
    for (int i = 0; i < n; i++) {
      lua_rawgeti(L, idx, i + 1);
      v[i] = lua_tonumber(L, -1);
      lua_pop(L, 1);
      if (v[i] < 0 || v[i] > 1) dlt_lua_fail(L, "%s: colour component %d is %s, not in [0, 1]", fn, i + 1, dlt_lua_num(L, v[i]));
    }
    c = (dlt_rgba){v[0], v[1], v[2], v[3]};
  } else {
    dlt_lua_fail(L, "%s: a colour must be a string or {r, g, b[, a]}, got %s", fn, luaL_typename(L, idx));
  }
  return c;
}

/* opts[key] as a colour; returns 0 when absent; "none" gives alpha 0 */
static int opt_color(lua_State *L, int o, const char *fn, const char *key, dlt_rgba *out) {
  if (!o) return 0;
  dlt_lua_rawfield(L, o, key);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    return 0;
  }
  if (lua_type(L, -1) == LUA_TSTRING && strcmp(lua_tostring(L, -1), "none") == 0) *out = (dlt_rgba){0, 0, 0, 0};
  else *out = check_color(L, fn, lua_gettop(L));
  lua_pop(L, 1);
  return 1;
}

static double opt_alpha(lua_State *L, int o, const char *fn) {
  double a = dlt_lua_optnumber(L, o, "alpha", 1);
  if (!(a >= 0 && a <= 1)) dlt_lua_fail(L, "%s: alpha %s is not in [0, 1]", fn, dlt_lua_num(L, a));
  return a;
}

/* a font size in points, refused up front beyond 10000 (FreeType fails from 65536
 * pixels, 47000 points at 100 dpi; dlt_text also skips text too large at the saving dpi) */
static double opt_fontsize(lua_State *L, int o, const char *fn, double def) {
  double v = dlt_lua_optnumber(L, o, "fontsize", def);
  if (!(v >= 0 && v <= 10000)) dlt_lua_fail(L, "%s: fontsize %s must be a number from 0 to 10000 (points)", fn, dlt_lua_num(L, v));
  return v;
}

static double opt_nonneg(lua_State *L, int o, const char *fn, const char *key, double def) {
  double v = dlt_lua_optnumber(L, o, key, def);
  if (!(v >= 0) || !isfinite(v)) dlt_lua_fail(L, "%s: %s %s must be a finite number >= 0", fn, key, dlt_lua_num(L, v));
  return v;
}

static int opt_label(lua_State *L, int o, const char *fn, dlt_artist *a) {
  const char *s = dlt_lua_optstring(L, o, "label", NULL);
  if (s && dlt_set_string(&a->label, s, fn) != 0) return dlt_lua_error(L);
  return 0;
}

static void opt_cmap(lua_State *L, int o, const char *fn, dlt_artist *a) {
  const char *name = dlt_lua_optstring(L, o, "cmap", NULL);
  if (name && dlt_cmap_get(fn, name, &a->cmap) != 0) dlt_lua_error(L);
}

/* ---- userdata ---- */

#define FREED "got a figure freed by its __gc"

/* whether the figure an axes or mappable userdata at idx belongs to (its uservalue)
 * is still there: a script can call a figure's __gc by hand, which frees its axes
 * and artists while their userdata live on */
static int fig_alive(lua_State *L, int idx) {
  lua_getiuservalue(L, idx, 1);
  fig_box *fb = luaL_testudata(L, -1, FIG_MT);
  lua_pop(L, 1);
  return fb && fb->f;
}

static dlt_axes *check_axes(lua_State *L, int idx) {
  ax_box *b = dlt_lua_checkself(L, idx, AX_MT, "ax");
  if (!fig_alive(L, idx)) dlt_lua_argerror(L, idx, "dlt.plot.Axes expected, " FREED);
  return b->ax;
}

static dlt_figure *check_fig(lua_State *L, int idx) {
  dlt_figure *f = ((fig_box *)dlt_lua_checkself(L, idx, FIG_MT, "fig"))->f;
  if (!f) dlt_lua_argerror(L, idx, "dlt.plot.Figure expected, " FREED);
  return f;
}

static map_box *check_map(lua_State *L, int idx) {
  map_box *m = luaL_checkudata(L, idx, MAP_MT);
  if (!fig_alive(L, idx)) dlt_lua_argerror(L, idx, "dlt.plot.Mappable expected, " FREED);
  return m;
}

/* the figure's uservalue table: {axes = {ax_ud...}, cur = ax_ud, mappable = map_ud} */
static void push_figtable(lua_State *L, int fig) {
  lua_getiuservalue(L, fig, 1);
}

static void push_state(lua_State *L) {
  if (lua_rawgetp(L, LUA_REGISTRYINDEX, &state_key) == LUA_TTABLE) return;
  lua_pop(L, 1);
  lua_newtable(L);
  lua_newtable(L);
  lua_setfield(L, -2, "figs");
  lua_pushvalue(L, -1);
  lua_rawsetp(L, LUA_REGISTRYINDEX, &state_key);
}

static void set_current_fig(lua_State *L, int fig) {
  fig = lua_absindex(L, fig);
  push_state(L);
  lua_pushvalue(L, fig);
  lua_setfield(L, -2, "cur");
  lua_getfield(L, -1, "figs");
  lua_pushvalue(L, fig);
  lua_pushboolean(L, 1);
  lua_settable(L, -3);
  lua_pop(L, 2);
}

/* by hand the figure is only disarmed (later use is an error); a binding may still be
 * drawing it, so the collector's call frees it (see dlt_lua_gc_by_collector) */
static int fig_gc(lua_State *L) {
  fig_box *b = luaL_checkudata(L, 1, FIG_MT);
  if (b->f) b->dead = b->f, b->f = NULL;
  if (dlt_lua_gc_by_collector(L)) {
    dlt_figure_free(b->dead);
    b->dead = NULL;
  }
  return 0;
}

/* pushes a new figure userdata owning f */
static void push_fig(lua_State *L, dlt_figure *f) {
  if (!f) dlt_lua_error(L);
  fig_box *b = lua_newuserdatauv(L, sizeof *b, 1);
  b->f = b->dead = NULL;
  luaL_setmetatable(L, FIG_MT);
  b->f = f;
  lua_newtable(L);
  lua_newtable(L);
  lua_setfield(L, -2, "axes");
  lua_setiuservalue(L, -2, 1);
}

/* pushes the userdata of ax, just added to the figure at index fig, listed in its axes
 * and made current */
static void push_axes_ud(lua_State *L, int fig, dlt_axes *ax) {
  fig = lua_absindex(L, fig);
  ax_box *b = lua_newuserdatauv(L, sizeof *b, 1);
  b->ax = ax;
  luaL_setmetatable(L, AX_MT);
  lua_pushvalue(L, fig);
  lua_setiuservalue(L, -2, 1);
  push_figtable(L, fig);
  lua_getfield(L, -1, "axes");
  lua_pushvalue(L, -3);
  lua_rawseti(L, -2, (lua_Integer)lua_rawlen(L, -2) + 1);
  lua_pop(L, 1);
  lua_pushvalue(L, -2);
  lua_setfield(L, -2, "cur");
  lua_pop(L, 1);
}

/* pushes the userdata of a new axes at (row, col) of fig (at index fig) */
static void push_new_axes(lua_State *L, int fig, int nrows, int ncols, int row, int col) {
  fig = lua_absindex(L, fig);
  dlt_axes *ax = dlt_figure_add_axes(check_fig(L, fig), nrows, ncols, row, col);
  if (!ax) dlt_lua_error(L);
  push_axes_ud(L, fig, ax);
}

/* the figure userdata an axes (at idx) belongs to */
static void push_axes_fig(lua_State *L, int idx) { lua_getiuservalue(L, idx, 1); }

static void push_mappable(lua_State *L, int axidx, dlt_artist *a) {
  axidx = lua_absindex(L, axidx);
  map_box *m = lua_newuserdatauv(L, sizeof *m, 1);
  m->a = a, m->ax = check_axes(L, axidx);
  luaL_setmetatable(L, MAP_MT);
  push_axes_fig(L, axidx);
  lua_setiuservalue(L, -2, 1);
  /* remembered as the figure's current mappable for plt.colorbar() */
  push_axes_fig(L, axidx);
  push_figtable(L, -1);
  lua_pushvalue(L, -3);
  lua_setfield(L, -2, "mappable");
  lua_pop(L, 2);
}

/* A method that adds artists calls keep_on_error first: if it then fails (a bad option
 * read after the artist was made), the artists it added are dropped as its error
 * unwinds (a to-be-closed value), so a failed call leaves the axes as they were. */
typedef struct {
  dlt_axes *ax;
  int keep;
} added;

static int added_close(lua_State *L) {
  added *p = lua_touserdata(L, 1);
  if (!lua_isnil(L, 2)) dlt_axes_drop_artists(p->ax, p->keep);
  return 0;
}

static void keep_on_error(lua_State *L, dlt_axes *ax) {
  added *p = lua_newuserdatauv(L, sizeof *p, 0);
  p->ax = ax;
  p->keep = ax->nart;
  luaL_setmetatable(L, ADDED_MT);
  lua_toclose(L, -1);
}

/* ---- axes methods ---- */

static const char *const line_opts[] = {"color", "c", "linestyle", "ls", "linewidth", "lw", "marker",
                                        "markersize", "ms", "alpha", "label", "zorder", "markerfacecolor",
                                        "markeredgecolor", "markeredgewidth", "mfc", "mec", "mew", NULL};

/* colour, width, style and marker options of a line; has_color tells if one was given */
static void line_options(lua_State *L, int o, const char *fn, dlt_artist *a, int *has_color) {
  dlt_linestyle *ls = &a->ls;
  dlt_rgba c;
  if (opt_color(L, o, fn, "color", &c) || opt_color(L, o, fn, "c", &c)) ls->color = c, *has_color = 1;
  ls->width = opt_nonneg(L, o, fn, "linewidth", opt_nonneg(L, o, fn, "lw", ls->width));
  const char *s = dlt_lua_optstring(L, o, "linestyle", dlt_lua_optstring(L, o, "ls", NULL));
  if (s && dlt_parse_linestyle(fn, s, &ls->ls) != 0) dlt_lua_error(L);
  s = dlt_lua_optstring(L, o, "marker", NULL);
  if (s && dlt_check_marker(fn, s, &ls->marker) != 0) dlt_lua_error(L);
  ls->msize = opt_nonneg(L, o, fn, "markersize", opt_nonneg(L, o, fn, "ms", ls->msize));
  ls->mew = opt_nonneg(L, o, fn, "markeredgewidth", opt_nonneg(L, o, fn, "mew", ls->mew));
  a->alpha = opt_alpha(L, o, fn);
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  opt_label(L, o, fn, a);
}

static void finish_marker_colors(lua_State *L, int o, const char *fn, dlt_artist *a) {
  a->ls.mface = a->ls.medge = a->ls.color;
  dlt_rgba c;
  if (opt_color(L, o, fn, "markerfacecolor", &c) || opt_color(L, o, fn, "mfc", &c)) a->ls.mface = c;
  if (opt_color(L, o, fn, "markeredgecolor", &c) || opt_color(L, o, fn, "mec", &c)) a->ls.medge = c;
}

/* plot and the semilog/loglog forms (fn names them in errors) */
static int plot_lines(lua_State *L, const char *fn) {
  dlt_axes *ax = check_axes(L, 1);
  int o = opts_index(L, 2);
  dlt_lua_checkoptions(L, o, fn, line_opts);
  int top = o ? o - 1 : lua_gettop(L), nd = 0, fmt = 0;
  for (int i = 2; i <= top; i++) {
    if (lua_type(L, i) == LUA_TSTRING && i == top) fmt = i;
    else if (is_data(L, i)) nd++;
    else if (lua_type(L, i) == LUA_TSTRING)
      dlt_lua_fail(L,
                   "%s: argument %d must be data, a format string or options, got string '%s' (a format "
                   "string comes after the data, with only options after it)",
                   fn, i - 1, lua_tostring(L, i));
    else dlt_lua_fail(L, "%s: argument %d must be data, a format string or options, got %s", fn, i - 1, luaL_typename(L, i));
  }
  if (nd < 1 || nd > 2) dlt_lua_fail(L, "%s: expected y or x, y (got %d data arguments)", fn, nd);
  int64_t nx, ny;
  double *x, *y = todoubles(L, 2 + nd - 1, fn, "y", &ny);
  if (nd == 2) {
    x = todoubles(L, 2, fn, "x", &nx);
    if (nx != ny) dlt_lua_fail(L, "%s: x and y must have the same length, got %d and %d", fn, (int)nx, (int)ny);
  } else {
    x = lua_newuserdatauv(L, (size_t)(ny ? ny : 1) * sizeof *x, 0);
    for (int64_t i = 0; i < ny; i++) x[i] = (double)i;
  }
  dlt_linestyle ls = {0};
  int fc = 0, fl = 0, fm = 0, has_color = 0;
  if (fmt && dlt_parse_fmt(fn, lua_tostring(L, fmt), &ls, &fc, &fl, &fm) != 0) dlt_lua_error(L);
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_line(ax, x, y, ny);
  if (!a) dlt_lua_error(L);
  if (fc) a->ls.color = ls.color, has_color = 1;
  if (fmt) a->ls.ls = ls.ls, a->ls.marker = ls.marker;
  line_options(L, o, fn, a, &has_color);
  if (!has_color) a->ls.color = dlt_color_cycle(ax->line_cycle++);
  finish_marker_colors(L, o, fn, a);
  return 0;
}

static int ax_plot(lua_State *L) { return plot_lines(L, "plot"); }

/* semilogx / semilogy / loglog: plot, then the log scale on x, y or both (base 10) */
static int ax_semilogx(lua_State *L) {
  plot_lines(L, "semilogx");
  check_axes(L, 1)->xlog = 1;
  return 0;
}
static int ax_semilogy(lua_State *L) {
  plot_lines(L, "semilogy");
  check_axes(L, 1)->ylog = 1;
  return 0;
}
static int ax_loglog(lua_State *L) {
  plot_lines(L, "loglog");
  dlt_axes *ax = check_axes(L, 1);
  ax->xlog = ax->ylog = 1;
  return 0;
}

/* an error option of errorbar: one number, n of them, or {lower, upper} of n (or 1)
 * each; NULL when absent. Pushes GC-owned lo and hi arrays. */
static int error_values(lua_State *L, int o, const char *key, int64_t n, double **lo, double **hi) {
  *lo = *hi = NULL;
  if (!o) return 0;
  dlt_lua_rawfield(L, o, key);
  int e = lua_gettop(L);
  if (lua_isnil(L, e)) {
    lua_pop(L, 1);
    return 0;
  }
  *lo = lua_newuserdatauv(L, (size_t)(2 * n + 1) * sizeof **lo, 0);
  *hi = *lo + n;
  int pair = 0;
  if (lua_istable(L, e) && lua_rawlen(L, e) == 2 && n != 2) pair = 1;
  else if (lua_istable(L, e) && lua_rawlen(L, e) == 2 && n == 2) {
    lua_rawgeti(L, e, 1); /* {lower, upper} of two points each: tables inside */
    pair = lua_istable(L, -1) || dlt_lua_testtensor(L, -1);
    lua_pop(L, 1);
  }
  dlt_tensor *t = dlt_lua_testtensor(L, e);
  if (t && t->ndim == 2) pair = 2;
  for (int side = 0; side < 2; side++) {
    int64_t m;
    double *v;
    if (pair == 1) {
      lua_rawgeti(L, e, side + 1);
      v = todoubles(L, -1, "errorbar", key, &m);
    } else {
      v = todoubles(L, e, "errorbar", key, &m);
      if (pair == 2) {
        if (m != 2 * n) dlt_lua_fail(L, "errorbar: %s must have shape (2, %d), got %d values", key, (int)n, (int)m);
        v += side * n, m = n;
      }
    }
    if (m != 1 && m != n) dlt_lua_fail(L, "errorbar: %s has %d values for %d points", key, (int)m, (int)n);
    double *dst = side ? *hi : *lo;
    for (int64_t i = 0; i < n; i++) {
      dst[i] = v[m == 1 ? 0 : i];
      if (dst[i] < 0) dlt_lua_fail(L, "errorbar: %s must not be negative, value %d is %s", key, (int)i + 1, dlt_lua_num(L, dst[i]));
    }
    lua_settop(L, e + 1); /* e, then the lo/hi block */
  }
  lua_remove(L, e);
  return 1;
}

/* the bars of one direction as one line broken by NaN (x0, y0)-(x1, y1) per point, with
 * cap markers at both ends when capsize > 0 */
static void error_bars(lua_State *L, dlt_axes *ax, const double *x, const double *y, const double *lo,
                       const double *hi, int64_t n, int vertical, dlt_rgba c, double lw, double z, double capsize,
                       double capthick) {
  double *px = lua_newuserdatauv(L, (size_t)(3 * n + 1) * sizeof *px, 0);
  double *py = lua_newuserdatauv(L, (size_t)(3 * n + 1) * sizeof *py, 0);
  for (int64_t i = 0; i < n; i++) {
    px[3 * i] = vertical ? x[i] : x[i] - lo[i], px[3 * i + 1] = vertical ? x[i] : x[i] + hi[i];
    py[3 * i] = vertical ? y[i] - lo[i] : y[i], py[3 * i + 1] = vertical ? y[i] + hi[i] : y[i];
    px[3 * i + 2] = py[3 * i + 2] = NAN;
  }
  dlt_artist *b = dlt_plot_line(ax, px, py, 3 * n);
  if (!b) dlt_lua_error(L);
  b->ls.color = c, b->ls.width = lw, b->zorder = z;
  if (!(capsize > 0)) return;
  dlt_artist *k = dlt_plot_line(ax, px, py, 3 * n); /* the caps: markers at both ends */
  if (!k) dlt_lua_error(L);
  k->ls.ls = DLT_LS_NONE, k->ls.marker = vertical ? '_' : '|';
  k->ls.msize = 2 * capsize, k->ls.mew = capthick;
  k->ls.color = k->ls.mface = k->ls.medge = c;
  k->zorder = z;
}

/* errorbar(x, y, {yerr, xerr, fmt, ecolor, elinewidth, capsize, capthick, barsabove, ...}):
 * the data as plot draws them (fmt "none": no line), bars of xerr then yerr below them */
static int ax_errorbar(lua_State *L) {
  static const char *const allowed[] = {"yerr", "xerr", "fmt", "ecolor", "elinewidth", "capsize", "capthick",
                                        "barsabove", "color", "c", "linestyle", "ls", "linewidth", "lw", "marker",
                                        "markersize", "ms", "alpha", "label", "zorder", "markerfacecolor",
                                        "markeredgecolor", "markeredgewidth", "mfc", "mec", "mew", NULL};
  dlt_axes *ax = check_axes(L, 1);
  int o = opts_index(L, 4);
  if (lua_gettop(L) > 4 || (lua_gettop(L) == 4 && !o))
    dlt_lua_fail(L, "errorbar: expected (x, y[, {yerr, xerr, fmt, ...}]), got %s as argument 4", luaL_typename(L, 4));
  dlt_lua_checkoptions(L, o, "errorbar", allowed);
  int64_t n, ny;
  double *x = todoubles(L, 2, "errorbar", "x", &n), *y = todoubles(L, 3, "errorbar", "y", &ny);
  if (n != ny) dlt_lua_fail(L, "errorbar: x and y must have the same length, got %d and %d", (int)n, (int)ny);
  double *ylo, *yhi, *xlo, *xhi;
  int has_y = error_values(L, o, "yerr", n, &ylo, &yhi), has_x = error_values(L, o, "xerr", n, &xlo, &xhi);
  const char *fmt = dlt_lua_optstring(L, o, "fmt", "");
  int none = strcmp(fmt, "none") == 0;
  dlt_linestyle fls = {0};
  int fc = 0, fl = 0, fm = 0, has_color = 0;
  if (!none && fmt[0] && dlt_parse_fmt("errorbar", fmt, &fls, &fc, &fl, &fm) != 0) dlt_lua_error(L);
  double capsize = opt_nonneg(L, o, "errorbar", "capsize", 0); /* errorbar.capsize */
  double z = dlt_lua_optnumber(L, o, "zorder", 2);
  int above = dlt_lua_optboolean(L, o, "barsabove", 0);
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_line(ax, x, y, n);
  if (!a) dlt_lua_error(L);
  if (fc) a->ls.color = fls.color, has_color = 1;
  if (fmt[0] && !none) a->ls.ls = fls.ls, a->ls.marker = fls.marker;
  line_options(L, o, "errorbar", a, &has_color);
  if (!has_color) a->ls.color = dlt_color_cycle(ax->line_cycle++);
  finish_marker_colors(L, o, "errorbar", a);
  a->zorder = z + (above ? -0.1 : 0.1);
  dlt_rgba ec = a->ls.color;
  opt_color(L, o, "errorbar", "ecolor", &ec);
  double lw = opt_nonneg(L, o, "errorbar", "elinewidth", a->ls.width);
  double capthick = opt_nonneg(L, o, "errorbar", "capthick", opt_nonneg(L, o, "errorbar", "markeredgewidth", 1.0));
  if (none) { /* no line: its limits come from the bars alone */
    a->ls.ls = DLT_LS_NONE, a->ls.marker = 0;
    if (a->label) free(a->label), a->label = NULL;
  }
  int first = ax->nart;
  if (has_x) error_bars(L, ax, x, y, xlo, xhi, n, 0, ec, lw, z, capsize, capthick);
  if (has_y) error_bars(L, ax, x, y, ylo, yhi, n, 1, ec, lw, z, capsize, capthick);
  for (int i = first; i < ax->nart; i++) ax->art[i]->alpha = a->alpha;
  return 0;
}

/* scatter's c: one colour, a colour per point, or values mapped through cmap; returns
 * whether it gave the colours */
static int scatter_c(lua_State *L, int o, dlt_artist *a, int64_t nx) {
  dlt_lua_rawfield(L, o, "c");
  int ci = lua_gettop(L), has = 0;
  if (lua_type(L, ci) == LUA_TSTRING) {
    a->face = check_color(L, "scatter", ci), has = 1;
  } else if (lua_istable(L, ci) && lua_rawlen(L, ci) > 0 && lua_rawgeti(L, ci, 1) == LUA_TSTRING) {
    int64_t n = (int64_t)lua_rawlen(L, ci);
    if (n != nx) dlt_lua_fail(L, "scatter: c has %d colours for %d points", (int)n, (int)nx);
    a->colors = dlt_malloc((size_t)n * sizeof *a->colors);
    if (!a->colors) dlt_lua_error(L);
    a->ncolors = n;
    for (int64_t i = 0; i < n; i++) {
      lua_rawgeti(L, ci, (lua_Integer)i + 1);
      a->colors[i] = check_color(L, "scatter", lua_gettop(L));
      lua_pop(L, 1);
    }
    has = 1;
  } else if (is_data(L, ci)) {
    int64_t n;
    double *v = todoubles(L, ci, "scatter", "c", &n);
    if (n != nx) dlt_lua_fail(L, "scatter: c has %d values for %d points", (int)n, (int)nx);
    a->cvals = dlt_malloc((size_t)n * sizeof *v);
    if (!a->cvals) dlt_lua_error(L);
    memcpy(a->cvals, v, (size_t)n * sizeof *v);
    a->mapped = 1, has = 1;
    dlt_cmap_get("scatter", "viridis", &a->cmap);
    opt_cmap(L, o, "scatter", a);
    a->vmin = dlt_lua_optnumber(L, o, "vmin", NAN), a->vmax = dlt_lua_optnumber(L, o, "vmax", NAN);
    dlt_artist_autoscale_norm(a);
  } else if (!lua_isnil(L, ci)) {
    dlt_lua_fail(L, "scatter: c must be a colour, a table of colours or values, got %s", luaL_typename(L, ci));
  }
  lua_settop(L, ci - 1);
  return has;
}

static int ax_scatter(lua_State *L) {
  static const char *const allowed[] = {"c", "color", "s", "marker", "edgecolors", "edgecolor", "alpha", "label",
                                        "cmap", "linewidths", "linewidth", "zorder", "vmin", "vmax", NULL};
  dlt_axes *ax = check_axes(L, 1);
  dlt_lua_checkoptions(L, 4, "scatter", allowed);
  int o = lua_istable(L, 4) ? 4 : 0;
  int64_t nx, ny;
  double *x = todoubles(L, 2, "scatter", "x", &nx), *y = todoubles(L, 3, "scatter", "y", &ny);
  if (nx != ny) dlt_lua_fail(L, "scatter: x and y must have the same length, got %d and %d", (int)nx, (int)ny);
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_scatter(ax, x, y, nx);
  if (!a) dlt_lua_error(L);
  a->alpha = opt_alpha(L, o, "scatter");
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  opt_label(L, o, "scatter", a);
  const char *m = dlt_lua_optstring(L, o, "marker", NULL);
  if (m && (dlt_check_marker("scatter", m, &a->ls.marker) != 0 || !a->ls.marker))
    dlt_lua_fail(L, "scatter: unknown marker '%s' (known: o * s ^ v D + x . _ |)", m);
  if (!dlt_marker_filled(a->ls.marker)) a->lw = ax->fig->st.lines_lw;
  a->lw = opt_nonneg(L, o, "scatter", "linewidths", opt_nonneg(L, o, "scatter", "linewidth", a->lw));
  if (o) {
    dlt_lua_rawfield(L, o, "s");
    if (!lua_isnil(L, -1)) {
      int64_t ns;
      double *s = todoubles(L, -1, "scatter", "s", &ns);
      if (ns != 1 && ns != nx) dlt_lua_fail(L, "scatter: s has %d values for %d points", (int)ns, (int)nx);
      a->s = dlt_malloc((size_t)ns * sizeof *s);
      if (!a->s) dlt_lua_error(L);
      memcpy(a->s, s, (size_t)ns * sizeof *s), a->ns = ns;
      lua_pop(L, 1);
    }
    lua_pop(L, 1);
  }
  int has = 0;
  dlt_rgba c;
  if (opt_color(L, o, "scatter", "color", &c)) a->face = c, has = 1;
  if (o) has |= scatter_c(L, o, a, nx);
  if (!has) a->face = dlt_color_cycle(ax->patch_cycle++);
  if (opt_color(L, o, "scatter", "edgecolors", &c) || opt_color(L, o, "scatter", "edgecolor", &c))
    a->edge = c, a->edge_face = 0;
  if (a->mapped) push_mappable(L, 1, a);
  else lua_pushnil(L);
  return 1;
}

static dlt_artist *bars(lua_State *L, dlt_axes *ax, const char *fn, const double *x0, const double *x1,
                        const double *y0, const double *y1, int64_t n, int o) {
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_bars(ax, x0, x1, y0, y1, n);
  if (!a) dlt_lua_error(L);
  a->alpha = opt_alpha(L, o, fn);
  opt_label(L, o, fn, a);
  dlt_rgba c;
  if (opt_color(L, o, fn, "color", &c) || opt_color(L, o, fn, "facecolor", &c)) a->face = c;
  else a->face = dlt_color_cycle(ax->patch_cycle++);
  if (opt_color(L, o, fn, "edgecolor", &c)) a->edge = c, a->has_edge = 1;
  a->lw = opt_nonneg(L, o, fn, "linewidth", a->has_edge ? a->lw : 0);
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  return a;
}

static int ax_hist(lua_State *L) {
  static const char *const allowed[] = {"bins", "alpha", "color", "facecolor", "edgecolor", "density", "label",
                                        "linewidth", "range", "zorder", NULL};
  dlt_axes *ax = check_axes(L, 1);
  dlt_lua_checkoptions(L, 3, "hist", allowed);
  int o = lua_istable(L, 3) ? 3 : 0;
  int64_t n;
  double *v = todoubles(L, 2, "hist", "data", &n);
  int bins = ax->fig->st.hist_bins;
  double *edges = NULL;
  if (o) {
    dlt_lua_rawfield(L, o, "bins");
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_Number b = lua_tonumber(L, -1);
      if (b != floor(b) || b < 1 || b > 1e6) dlt_lua_fail(L, "hist: bins %s must be a whole number between 1 and 1e6", lua_tostring(L, -1));
      bins = (int)b;
      lua_pop(L, 1);
    } else if (!lua_isnil(L, -1)) {
      int64_t ne;
      edges = todoubles(L, -1, "hist", "bins", &ne);
      if (ne < 2) dlt_lua_fail(L, "hist: bin edges need at least 2 values, got %d", (int)ne);
      bins = (int)ne - 1;
    } else {
      lua_pop(L, 1);
    }
  }
  if (!edges) {
    double lo = INFINITY, hi = -INFINITY;
    for (int64_t i = 0; i < n; i++)
      if (isfinite(v[i])) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]);
    if (o) {
      dlt_lua_rawfield(L, o, "range");
      if (!lua_isnil(L, -1)) {
        int64_t nr;
        double *r = todoubles(L, -1, "hist", "range", &nr);
        if (nr != 2 || !(r[1] > r[0])) dlt_lua_fail(L, "hist: range must be {lo, hi} with lo < hi");
        lo = r[0], hi = r[1];
      }
    }
    if (!(lo <= hi)) lo = 0, hi = 1;
    if (lo == hi) lo -= 0.5, hi += 0.5; /* numpy's histogram_bin_edges */
    edges = lua_newuserdatauv(L, (size_t)(bins + 1) * sizeof *edges, 0);
    for (int b = 0; b <= bins; b++) edges[b] = lo + (hi - lo) * b / bins;
  }
  double *counts = lua_newuserdatauv(L, (size_t)bins * sizeof *counts, 0);
  if (dlt_histogram(v, n, edges, bins, dlt_lua_optboolean(L, o, "density", 0), counts) != 0) dlt_lua_error(L);
  double *zero = lua_newuserdatauv(L, (size_t)bins * sizeof *zero, 0);
  memset(zero, 0, (size_t)bins * sizeof *zero);
  bars(L, ax, "hist", edges, edges + 1, zero, counts, bins, o);
  int64_t sc = bins, se = bins + 1;
  dlt_lua_pushtensor(L, dlt_from_doubles(counts, 1, &sc, dlt_default_dtype()));
  dlt_lua_pushtensor(L, dlt_from_doubles(edges, 1, &se, dlt_default_dtype()));
  return 2;
}

/* a data argument of n values, or one value repeated */
static double *broadcast(lua_State *L, int idx, const char *fn, const char *what, int64_t n, double def) {
  double *out = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *out, 0);
  if (lua_isnoneornil(L, idx)) {
    for (int64_t i = 0; i < n; i++) out[i] = def;
    return out;
  }
  int64_t m;
  double *v = todoubles(L, idx, fn, what, &m);
  if (m != 1 && m != n) dlt_lua_fail(L, "%s: %s has %d values, expected 1 or %d", fn, what, (int)m, (int)n);
  for (int64_t i = 0; i < n; i++) out[i] = v[m == 1 ? 0 : i];
  return out;
}

static int ax_bar(lua_State *L) {
  static const char *const allowed[] = {"width", "bottom", "color", "facecolor", "edgecolor", "alpha", "label",
                                        "align", "linewidth", "zorder", NULL};
  dlt_axes *ax = check_axes(L, 1);
  int o = opts_index(L, 4);
  dlt_lua_checkoptions(L, o, "bar", allowed);
  int64_t n, nh;
  double *x = todoubles(L, 2, "bar", "x", &n);
  double *h = todoubles(L, 3, "bar", "height", &nh);
  if (nh != n && nh != 1) dlt_lua_fail(L, "bar: x has %d values and height %d", (int)n, (int)nh);
  double *w, *b;
  if (o) dlt_lua_rawfield(L, o, "width");
  else lua_pushnil(L);
  w = broadcast(L, lua_gettop(L), "bar", "width", n, 0.8);
  if (o) dlt_lua_rawfield(L, o, "bottom");
  else lua_pushnil(L);
  b = broadcast(L, lua_gettop(L), "bar", "bottom", n, 0);
  const char *align = dlt_lua_optstring(L, o, "align", "center");
  int center = strcmp(align, "center") == 0;
  if (!center && strcmp(align, "edge") != 0) dlt_lua_fail(L, "bar: unknown align '%s' (center or edge)", align);
  double *x0 = lua_newuserdatauv(L, (size_t)(n ? n : 1) * 4 * sizeof *x0, 0);
  double *x1 = x0 + n, *y0 = x1 + n, *y1 = y0 + n;
  for (int64_t i = 0; i < n; i++) {
    x0[i] = center ? x[i] - w[i] / 2 : x[i], x1[i] = x0[i] + w[i];
    y0[i] = b[i], y1[i] = b[i] + h[nh == 1 ? 0 : i];
  }
  bars(L, ax, "bar", x0, x1, y0, y1, n, o);
  return 0;
}

static int ax_fill_between(lua_State *L) {
  static const char *const allowed[] = {"alpha", "color", "facecolor", "edgecolor", "label", "linewidth", "zorder", NULL};
  dlt_axes *ax = check_axes(L, 1);
  int o = opts_index(L, 3);
  dlt_lua_checkoptions(L, o, "fill_between", allowed);
  int64_t n;
  double *x = todoubles(L, 2, "fill_between", "x", &n);
  double *y1 = broadcast(L, 3, "fill_between", "y1", n, 0);
  double *y2 = broadcast(L, o == 4 ? 0 : 4, "fill_between", "y2", n, 0);
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_fill_between(ax, x, y1, y2, n);
  if (!a) dlt_lua_error(L);
  a->alpha = opt_alpha(L, o, "fill_between");
  opt_label(L, o, "fill_between", a);
  dlt_rgba c;
  if (opt_color(L, o, "fill_between", "color", &c) || opt_color(L, o, "fill_between", "facecolor", &c)) a->face = c;
  else a->face = dlt_color_cycle(ax->patch_cycle++);
  if (opt_color(L, o, "fill_between", "edgecolor", &c)) a->edge = c, a->has_edge = 1;
  a->lw = opt_nonneg(L, o, "fill_between", "linewidth", a->lw);
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  return 0;
}

static int axline(lua_State *L, int vertical) {
  static const char *const allowed[] = {"x", "y", "xmin", "xmax", "ymin", "ymax", "color", "c", "linestyle",
                                        "ls", "linewidth", "lw", "alpha", "label", "zorder", "marker", NULL};
  const char *fn = vertical ? "axvline" : "axhline";
  dlt_axes *ax = check_axes(L, 1);
  int o = lua_istable(L, 2) ? 2 : lua_istable(L, 3) ? 3
                                                    : 0;
  dlt_lua_checkoptions(L, o, fn, allowed);
  double v = lua_type(L, 2) == LUA_TNUMBER ? lua_tonumber(L, 2) : dlt_lua_optnumber(L, o, vertical ? "x" : "y", 0);
  double a0 = dlt_lua_optnumber(L, o, vertical ? "ymin" : "xmin", 0);
  double a1 = dlt_lua_optnumber(L, o, vertical ? "ymax" : "xmax", 1);
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_axline(ax, vertical, v, a0, a1);
  if (!a) dlt_lua_error(L);
  int has = 0;
  line_options(L, o, fn, a, &has);
  if (!has) a->ls.color = dlt_color_cycle(0); /* lines.color: C0, the cycle does not advance */
  finish_marker_colors(L, o, fn, a);
  return 0;
}
static int ax_axhline(lua_State *L) { return axline(L, 0); }
static int ax_axvline(lua_State *L) { return axline(L, 1); }

static int ax_axvspan(lua_State *L) {
  static const char *const allowed[] = {"alpha", "color", "facecolor", "edgecolor", "label", "zorder", "ymin", "ymax", NULL};
  dlt_axes *ax = check_axes(L, 1);
  dlt_lua_checkoptions(L, 4, "axvspan", allowed);
  int o = lua_istable(L, 4) ? 4 : 0;
  double v0 = dlt_lua_checknumber(L, 2), v1 = dlt_lua_checknumber(L, 3);
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_axspan(ax, 1, v0, v1);
  if (!a) dlt_lua_error(L);
  a->y[0] = a->y[1] = dlt_lua_optnumber(L, o, "ymin", 0);
  a->y[2] = a->y[3] = dlt_lua_optnumber(L, o, "ymax", 1);
  a->alpha = opt_alpha(L, o, "axvspan");
  opt_label(L, o, "axvspan", a);
  dlt_rgba c;
  a->face = dlt_color_cycle(0);
  if (opt_color(L, o, "axvspan", "color", &c) || opt_color(L, o, "axvspan", "facecolor", &c)) a->face = c;
  if (opt_color(L, o, "axvspan", "edgecolor", &c)) a->edge = c, a->has_edge = 1;
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  return 0;
}

/* a contour set's options colors (one colour for every level, or one per level,
 * cycled) and linestyles, from the options table at o */
static void contour_colors(lua_State *L, int o, const char *fn, dlt_artist *a) {
  dlt_lua_rawfield(L, o, "colors");
  int ci = lua_gettop(L);
  if (!lua_isnil(L, ci)) {
    int n = lua_type(L, ci) == LUA_TSTRING ? 1 : lua_istable(L, ci) ? (int)lua_rawlen(L, ci)
                                                                    : 0;
    if (n < 1) dlt_lua_fail(L, "%s: colors must be a colour or a table of colours", fn);
    a->lcolors = dlt_malloc((size_t)n * sizeof *a->lcolors);
    if (!a->lcolors) dlt_lua_error(L);
    a->nlcolors = n;
    if (lua_type(L, ci) == LUA_TSTRING) a->lcolors[0] = check_color(L, fn, ci);
    else
      for (int i = 0; i < n; i++) {
        lua_rawgeti(L, ci, i + 1);
        a->lcolors[i] = check_color(L, fn, lua_gettop(L));
        lua_pop(L, 1);
      }
  }
  dlt_lua_rawfield(L, o, "linestyles");
  if (!lua_isnil(L, -1)) {
    int ls = DLT_LS_SOLID;
    if (lua_type(L, -1) != LUA_TSTRING || dlt_parse_linestyle(fn, lua_tostring(L, -1), &ls) != 0)
      dlt_lua_fail(L, "%s: linestyles must be a linestyle name", fn);
    a->ls.ls = ls;
  }
  lua_pop(L, 2);
}

static int contour(lua_State *L, int filled) {
  static const char *const allowed[] = {"levels", "cmap", "colors", "linewidths", "alpha", "zorder", "vmin", "vmax",
                                        "linestyles", NULL};
  const char *fn = filled ? "contourf" : "contour";
  dlt_axes *ax = check_axes(L, 1);
  int o = opts_index(L, 2);
  dlt_lua_checkoptions(L, o, fn, allowed);
  int nd = (o ? o : lua_gettop(L) + 1) - 2;
  if (nd != 1 && nd != 3) dlt_lua_fail(L, "%s: expected Z or X, Y, Z (got %d data arguments)", fn, nd);
  int rows, cols;
  double *Z = to2d(L, 2 + nd - 1, fn, "Z", &rows, &cols);
  double *X, *Y;
  int xy2d = 0;
  if (nd == 3) {
    int64_t nx, ny;
    X = todoubles(L, 2, fn, "X", &nx), Y = todoubles(L, 3, fn, "Y", &ny);
    if (nx == (int64_t)rows * cols && ny == nx && (rows > 1 || nx != cols)) xy2d = 1;
    else if (nx != cols || ny != rows)
      dlt_lua_fail(L, "%s: X and Y must be 1-D of lengths %d and %d or 2-D like Z (%dx%d), got %d and %d values",
                   fn, cols, rows, rows, cols, (int)nx, (int)ny);
  } else {
    X = lua_newuserdatauv(L, (size_t)cols * sizeof *X, 0);
    Y = lua_newuserdatauv(L, (size_t)rows * sizeof *Y, 0);
    for (int j = 0; j < cols; j++) X[j] = j;
    for (int i = 0; i < rows; i++) Y[i] = i;
  }
  double *levels = NULL;
  int64_t nl = 0;
  int nauto = 7; /* matplotlib's default: MaxNLocator(7 + 1) */
  if (o) {
    dlt_lua_rawfield(L, o, "levels");
    if (lua_type(L, -1) == LUA_TNUMBER) {
      lua_Number k = lua_tonumber(L, -1);
      if (k != floor(k) || k < 1 || k > 200) dlt_lua_fail(L, "%s: levels %s must be a whole number between 1 and 200", fn, lua_tostring(L, -1));
      nauto = (int)k;
    } else if (!lua_isnil(L, -1)) {
      levels = todoubles(L, -1, fn, "levels", &nl);
      if (nl < 1) dlt_lua_fail(L, "%s: levels is empty", fn);
    }
  }
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_contour(ax, X, Y, Z, rows, cols, xy2d, levels, (int)nl, nauto, filled);
  if (!a) dlt_lua_error(L);
  a->alpha = opt_alpha(L, o, fn);
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  opt_cmap(L, o, fn, a);
  a->ls.width = opt_nonneg(L, o, fn, "linewidths", a->ls.width);
  a->vmin = dlt_lua_optnumber(L, o, "vmin", a->vmin), a->vmax = dlt_lua_optnumber(L, o, "vmax", a->vmax);
  if (o) contour_colors(L, o, fn, a);
  push_mappable(L, 1, a);
  return 1;
}
static int ax_contour(lua_State *L) { return contour(L, 0); }
static int ax_contourf(lua_State *L) { return contour(L, 1); }

static int ax_imshow(lua_State *L) {
  static const char *const allowed[] = {"cmap", "aspect", "vmin", "vmax", "interpolation", "alpha", "zorder", NULL};
  dlt_axes *ax = check_axes(L, 1);
  dlt_lua_checkoptions(L, 3, "imshow", allowed);
  int o = lua_istable(L, 3) ? 3 : 0;
  int rows, cols;
  double *M = to2d(L, 2, "imshow", "the image", &rows, &cols);
  const char *interp = dlt_lua_optstring(L, o, "interpolation", "nearest");
  if (strcmp(interp, "nearest") && strcmp(interp, "none") && strcmp(interp, "antialiased"))
    dlt_lua_fail(L, "imshow: unknown interpolation '%s' (nearest, none, antialiased)", interp);
  const char *aspect = dlt_lua_optstring(L, o, "aspect", "equal");
  if (strcmp(aspect, "equal") && strcmp(aspect, "auto")) dlt_lua_fail(L, "imshow: unknown aspect '%s' (equal or auto)", aspect);
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_image(ax, M, rows, cols);
  if (!a) dlt_lua_error(L);
  a->aspect_equal = strcmp(aspect, "equal") == 0;
  ax->aspect_set = 0; /* imshow sets the axes' aspect, as matplotlib's */
  opt_cmap(L, o, "imshow", a);
  a->vmin = dlt_lua_optnumber(L, o, "vmin", NAN), a->vmax = dlt_lua_optnumber(L, o, "vmax", NAN);
  a->alpha = opt_alpha(L, o, "imshow");
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  dlt_artist_autoscale_norm(a);
  push_mappable(L, 1, a);
  return 1;
}

static int align(lua_State *L, const char *fn, const char *s, int horizontal) {
  static const char *const h[] = {"left", "center", "right"};
  static const char *const v[] = {"top", "center", "baseline", "bottom", "center_baseline"};
  for (int i = 0; i < (horizontal ? 3 : 5); i++)
    if (strcmp(s, horizontal ? h[i] : v[i]) == 0) return i;
  return dlt_lua_fail(L, "%s: unknown %s alignment '%s'", fn, horizontal ? "horizontal" : "vertical", s);
}

/* a text's fontsize, color, alpha, zorder, ha/va (or their long names) and clip_on */
static void text_style(lua_State *L, int o, const char *fn, dlt_artist *a) {
  a->fontsize = opt_fontsize(L, o, fn, a->fontsize);
  opt_color(L, o, fn, "color", &a->ls.color);
  a->alpha = opt_alpha(L, o, fn);
  a->zorder = dlt_lua_optnumber(L, o, "zorder", a->zorder);
  const char *ha = dlt_lua_optstring(L, o, "ha", dlt_lua_optstring(L, o, "horizontalalignment", "left"));
  const char *va = dlt_lua_optstring(L, o, "va", dlt_lua_optstring(L, o, "verticalalignment", "baseline"));
  a->ha = align(L, fn, ha, 1), a->va = align(L, fn, va, 0);
  a->unclipped = !dlt_lua_optboolean(L, o, "clip_on", 0);
}

static int ax_text(lua_State *L) {
  static const char *const allowed[] = {"fontsize", "color", "ha", "va", "horizontalalignment",
                                        "verticalalignment", "alpha", "zorder", "clip_on", NULL};
  dlt_axes *ax = check_axes(L, 1);
  double x = dlt_lua_checknumber(L, 2), y = dlt_lua_checknumber(L, 3);
  const char *s = dlt_lua_checkstring(L, 4);
  dlt_lua_checkoptions(L, 5, "text", allowed);
  int o = lua_istable(L, 5) ? 5 : 0;
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_text(ax, x, y, s, "text");
  if (!a) dlt_lua_error(L);
  text_style(L, o, "text", a);
  return 0;
}

/* a pair {x, y} of numbers at idx */
static void xy_pair(lua_State *L, int idx, const char *fn, const char *what, double *x, double *y) {
  if (!lua_istable(L, idx)) dlt_lua_fail(L, "%s: %s must be {x, y}, got %s", fn, what, luaL_typename(L, idx));
  lua_rawgeti(L, idx, 1), lua_rawgeti(L, idx, 2);
  if (lua_type(L, -2) != LUA_TNUMBER || lua_type(L, -1) != LUA_TNUMBER || lua_rawlen(L, idx) != 2)
    dlt_lua_fail(L, "%s: %s must be {x, y}, two numbers", fn, what);
  *x = lua_tonumber(L, -2), *y = lua_tonumber(L, -1);
  lua_pop(L, 2);
}

static int coord_option(lua_State *L, int o, const char *key, int def, int offsets) {
  const char *s = dlt_lua_optstring(L, o, key, NULL);
  if (!s) return def;
  if (strcmp(s, "data") == 0) return DLT_COORD_DATA;
  if (strcmp(s, "axes fraction") == 0) return DLT_COORD_AXES;
  if (offsets && strcmp(s, "offset points") == 0) return DLT_COORD_OFFSET;
  if (offsets && strcmp(s, "offset pixels") == 0) return DLT_COORD_OFFSET_PX;
  return dlt_lua_fail(L, "annotate: unknown %s '%s' ('data', 'axes fraction'%s)", key, s,
                      offsets ? ", 'offset points', 'offset pixels'" : "");
}

/* arrowprops: {arrowstyle, color, facecolor, edgecolor, linewidth/lw, shrinkA, shrinkB}
 * or, without arrowstyle, {width, headwidth, headlength, shrink, color, facecolor,
 * edgecolor, linewidth} as matplotlib's YAArrow */
static void arrow_options(lua_State *L, int p, dlt_annotation *an, const dlt_style *st) {
  static const char *const allowed[] = {"arrowstyle", "color", "facecolor", "edgecolor", "fc", "ec", "linewidth", "lw",
                                        "shrinkA", "shrinkB", "shrink", "width", "headwidth", "headlength", NULL};
  if (!lua_istable(L, p)) dlt_lua_fail(L, "annotate: arrowprops must be a table, got %s", luaL_typename(L, p));
  dlt_lua_checkoptions(L, p, "annotate", allowed);
  const char *s = dlt_lua_optstring(L, p, "arrowstyle", NULL);
  an->style = 0;
  if (s && (an->style = dlt_arrowstyle(s)) < 0)
    dlt_lua_fail(L, "annotate: unknown arrowstyle '%s' (known: '-', '->', '<-', '<->', '-|>', '<|-', '<|-|>')", s);
  static const char *const yaarrow[] = {"shrink", "width", "headwidth", "headlength"}, *const fancy[] = {"shrinkA", "shrinkB"};
  for (int k = 0; k < (s ? 4 : 2); k++) {
    const char *key = s ? yaarrow[k] : fancy[k];
    dlt_lua_rawfield(L, p, key);
    if (!lua_isnil(L, -1))
      dlt_lua_fail(L, "annotate: arrowprops %s is for %s", key, s ? "arrows without arrowstyle" : "arrows with an arrowstyle");
    lua_pop(L, 1);
  }
  an->edge = (dlt_rgba){0, 0, 0, 1}; /* patch.edgecolor black, patch.facecolor C0 */
  an->face = dlt_color_cycle(0);
  dlt_rgba c;
  if (opt_color(L, p, "annotate", "color", &c)) an->edge = an->face = c;
  if (opt_color(L, p, "annotate", "facecolor", &c) || opt_color(L, p, "annotate", "fc", &c)) an->face = c;
  if (opt_color(L, p, "annotate", "edgecolor", &c) || opt_color(L, p, "annotate", "ec", &c)) an->edge = c;
  an->lw = opt_nonneg(L, p, "annotate", "linewidth", opt_nonneg(L, p, "annotate", "lw", st->patch_lw));
  an->shrinkA = opt_nonneg(L, p, "annotate", "shrinkA", 2), an->shrinkB = opt_nonneg(L, p, "annotate", "shrinkB", 2);
  an->shrink = opt_nonneg(L, p, "annotate", "shrink", 0);
  an->width = opt_nonneg(L, p, "annotate", "width", 4);
  an->headwidth = opt_nonneg(L, p, "annotate", "headwidth", 12);
  an->headlength = opt_nonneg(L, p, "annotate", "headlength", 12);
  if (an->shrink >= 0.5) dlt_lua_fail(L, "annotate: arrowprops shrink %s must be below 0.5 (a fraction of each end)", dlt_lua_num(L, an->shrink));
}

/* annotate(text, xy, {xytext, xycoords, textcoords, arrowprops, fontsize, color, ha, va,
 * alpha, zorder, clip_on}): text at xytext (xy by default) with an arrow to xy; hidden
 * when xy is data outside the axes (annotation_clip) */
static int ax_annotate(lua_State *L) {
  static const char *const allowed[] = {"xytext", "xycoords", "textcoords", "arrowprops", "fontsize", "color", "ha",
                                        "va", "horizontalalignment", "verticalalignment", "alpha", "zorder",
                                        "clip_on", NULL};
  dlt_axes *ax = check_axes(L, 1);
  const char *s = dlt_lua_checkstring(L, 2);
  double x, y, tx, ty;
  xy_pair(L, 3, "annotate", "xy", &x, &y);
  dlt_lua_checkoptions(L, 4, "annotate", allowed);
  int o = lua_istable(L, 4) ? 4 : 0;
  int xyc = coord_option(L, o, "xycoords", DLT_COORD_DATA, 0);
  int tc = coord_option(L, o, "textcoords", xyc, 1);
  tx = x, ty = y;
  if (o) {
    dlt_lua_rawfield(L, o, "xytext");
    if (!lua_isnil(L, -1)) xy_pair(L, lua_gettop(L), "annotate", "xytext", &tx, &ty);
    else if (tc >= DLT_COORD_OFFSET) tx = ty = 0;
    lua_pop(L, 1);
  } else if (tc >= DLT_COORD_OFFSET) tx = ty = 0;
  keep_on_error(L, ax);
  dlt_artist *a = dlt_plot_text(ax, tx, ty, s, "annotate");
  if (!a) dlt_lua_error(L);
  a->annot = dlt_calloc(1, sizeof *a->annot);
  if (!a->annot) dlt_lua_error(L);
  dlt_annotation *an = a->annot;
  an->x = x, an->y = y, an->xycoord = xyc, an->tcoord = tc, an->style = -1;
  if (o) {
    dlt_lua_rawfield(L, o, "arrowprops");
    if (!lua_isnil(L, -1)) arrow_options(L, lua_gettop(L), an, &ax->fig->st);
    lua_pop(L, 1);
  }
  text_style(L, o, "annotate", a);
  return 0;
}

/* a printf format for one number ("%1.2f", "%.0e m"): one conversion of e, f, g (or E,
 * G) with flags, width and precision; "%%" is a percent sign */
static int number_format(const char *s) {
  int conv = 0;
  for (const char *p = s; *p; p++) {
    if (*p != '%') continue;
    if (p[1] == '%') {
      p++;
      continue;
    }
    p++;
    while (*p && strchr("-+ #0", *p)) p++;
    while (*p >= '0' && *p <= '9') p++;
    if (*p == '.') {
      p++;
      while (*p >= '0' && *p <= '9') p++;
    }
    if (!*p || !strchr("eEfgG", *p)) return 0;
    conv++;
  }
  return conv == 1;
}

/* clabel(cs[, levels][, {fmt, fontsize, inline, inline_spacing, colors}]): labels on the
 * lines of a contour set (all its levels, or those given), drawn when the figure is */
static int ax_clabel(lua_State *L) {
  static const char *const allowed[] = {"fmt", "fontsize", "inline", "inline_spacing", "colors", NULL};
  dlt_axes *ax = check_axes(L, 1);
  map_box *m = luaL_testudata(L, 2, MAP_MT);
  if (!m || m->a->kind != DLT_ART_CONTOUR)
    dlt_lua_fail(L, "clabel: expected the contour set contour returned, got %s", m ? "another mappable" : luaL_typename(L, 2));
  check_map(L, 2);
  dlt_artist *a = m->a;
  if (a->filled) dlt_lua_fail(L, "clabel: labels go on contour lines (from contour, not contourf)");
  int o = opts_index(L, 3), has_levels = lua_gettop(L) >= 3 && o != 3 && !lua_isnil(L, 3);
  dlt_lua_checkoptions(L, o, "clabel", allowed);
  int n = a->nlevels;
  unsigned char *on = lua_newuserdatauv(L, (size_t)n, 0);
  memset(on, 1, (size_t)n);
  if (has_levels) { /* the levels to label */
    int64_t nl;
    double *lv = todoubles(L, 3, "clabel", "levels", &nl);
    memset(on, 0, (size_t)n);
    for (int64_t k = 0; k < nl; k++) {
      int hit = 0;
      for (int i = 0; i < n; i++)
        if (fabs(a->levels[i] - lv[k]) <= 1e-12 * fmax(1, fabs(lv[k]))) on[i] = 1, hit = 1;
      if (!hit) dlt_lua_fail(L, "clabel: level %s is not one of the contour set's levels", dlt_lua_num(L, lv[k]));
    }
  }
  double fs = opt_fontsize(L, o, "clabel", ax->fig->st.font_size);
  int inl = dlt_lua_optboolean(L, o, "inline", 1);
  double sp = opt_nonneg(L, o, "clabel", "inline_spacing", 5);
  dlt_rgba col = {0, 0, 0, 1};
  int has_color = opt_color(L, o, "clabel", "colors", &col);
  /* the texts: fmt a printf format, a table of one string per labelled level, or the
   * levels as ScalarFormatter writes them (without an offset) */
  char(*lab)[40] = lua_newuserdatauv(L, (size_t)n * sizeof *lab, 0);
  const char **text = lua_newuserdatauv(L, (size_t)n * sizeof *text, 0);
  if (o) dlt_lua_rawfield(L, o, "fmt");
  else lua_pushnil(L);
  int f = lua_gettop(L);
  if (lua_type(L, f) == LUA_TSTRING) {
    const char *fmt = lua_tostring(L, f);
    if (!number_format(fmt)) dlt_lua_fail(L, "clabel: fmt '%s' must hold one number format such as '%%1.2f'", fmt);
    for (int i = 0; i < n; i++) snprintf(lab[i], sizeof lab[i], fmt, a->levels[i]), text[i] = lab[i];
  } else if (lua_istable(L, f)) {
    int want = 0, k = 0;
    for (int i = 0; i < n; i++) want += on[i];
    if ((int)lua_rawlen(L, f) != want) dlt_lua_fail(L, "clabel: fmt has %d labels for %d levels", (int)lua_rawlen(L, f), want);
    for (int i = 0; i < n; i++) {
      if (!on[i]) continue;
      if (lua_rawgeti(L, f, ++k) != LUA_TSTRING) dlt_lua_fail(L, "clabel: fmt label %d must be a string, got %s", k, luaL_typename(L, -1));
      text[i] = lua_tostring(L, -1); /* the table keeps it */
      lua_pop(L, 1);
    }
  } else if (lua_isnil(L, f)) {
    dlt_ticks_format(a->levels, n, a->levels[0], a->levels[n - 1], lab);
    for (int i = 0; i < n; i++) text[i] = lab[i];
  } else {
    dlt_lua_fail(L, "clabel: fmt must be a format string or a table of labels, got %s", luaL_typename(L, f));
  }
  dlt_clabel *c = dlt_calloc(1, sizeof *c);
  char **t = c ? dlt_calloc((size_t)n, sizeof *t) : NULL;
  if (!t) {
    free(c);
    dlt_lua_error(L);
  }
  c->text = t, c->nlevels = n, c->inl = inl, c->fontsize = fs, c->spacing = sp, c->has_color = has_color, c->color = col;
  for (int i = 0; i < n; i++)
    if (on[i] && dlt_set_string(&t[i], text[i], "clabel") != 0) {
      dlt_clabel_free(c);
      dlt_lua_error(L);
    }
  dlt_clabel_free(a->clabel);
  a->clabel = c;
  return 0;
}

/* set_aspect("equal" | "auto" | ratio): y units per x unit on screen, the box shrunk
 * about its centre (adjustable 'box', anchor 'C') */
static int ax_set_aspect(lua_State *L) {
  dlt_axes *ax = check_axes(L, 1);
  double a;
  if (lua_type(L, 2) == LUA_TNUMBER) {
    a = lua_tonumber(L, 2);
    if (!(a > 0) || !isfinite(a)) dlt_lua_fail(L, "set_aspect: aspect %s must be a finite number > 0", dlt_lua_num(L, a));
  } else if (lua_type(L, 2) == LUA_TSTRING) {
    const char *s = lua_tostring(L, 2);
    if (strcmp(s, "equal") == 0) a = 1;
    else if (strcmp(s, "auto") == 0) a = 0;
    else return dlt_lua_fail(L, "set_aspect: unknown aspect '%s' ('equal', 'auto' or a number)", s);
  } else {
    return dlt_lua_fail(L, "set_aspect: aspect must be 'equal', 'auto' or a number, got %s", luaL_typename(L, 2));
  }
  ax->aspect_set = 1, ax->aspect = a;
  return 0;
}

static int ax_get_aspect(lua_State *L) {
  dlt_axes *ax = check_axes(L, 1);
  int img = 0;
  for (int i = 0; i < ax->nart; i++) img |= ax->art[i]->kind == DLT_ART_IMAGE && ax->art[i]->aspect_equal;
  double a = ax->aspect_set ? ax->aspect : img;
  if (a == 0) lua_pushstring(L, "auto");
  else if (a == 1) lua_pushstring(L, "equal");
  else lua_pushnumber(L, a);
  return 1;
}

/* set_title / set_xlabel / set_ylabel: (s, {fontsize}) */
static int set_label(lua_State *L, int which) {
  static const char *const allowed[] = {"fontsize", "pad", "loc", NULL};
  static const char *const names[] = {"set_title", "set_xlabel", "set_ylabel"};
  dlt_axes *ax = check_axes(L, 1);
  const char *s = dlt_lua_checkstring(L, 2);
  dlt_lua_checkoptions(L, 3, names[which], allowed);
  int o = lua_istable(L, 3) ? 3 : 0;
  char **dst = which == 0 ? &ax->title : which == 1 ? &ax->xlabel
                                                    : &ax->ylabel;
  double *size = which == 0 ? &ax->title_size : which == 1 ? &ax->xlabel_size
                                                           : &ax->ylabel_size;
  *size = opt_fontsize(L, o, names[which], *size);
  if (which == 0) { /* set_title's pad (points) and loc */
    ax->title_pad = dlt_lua_optnumber(L, o, "pad", ax->title_pad);
    const char *loc = dlt_lua_optstring(L, o, "loc", "center");
    ax->title_loc = align(L, "set_title", loc, 1);
  } else if (o) {
    dlt_lua_rawfield(L, o, "pad");
    dlt_lua_rawfield(L, o, "loc");
    if (!lua_isnil(L, -1) || !lua_isnil(L, -2)) dlt_lua_fail(L, "%s: options pad and loc are for set_title", names[which]);
    lua_pop(L, 2);
  }
  if (dlt_set_string(dst, s, names[which]) != 0) dlt_lua_error(L);
  return 0;
}
static int ax_set_title(lua_State *L) { return set_label(L, 0); }
static int ax_set_xlabel(lua_State *L) { return set_label(L, 1); }
static int ax_set_ylabel(lua_State *L) { return set_label(L, 2); }

static int set_lim(lua_State *L, int y) {
  const char *fn = y ? "set_ylim" : "set_xlim";
  dlt_axes *ax = check_axes(L, 1);
  double v[2];
  if (lua_istable(L, 2)) {
    for (int i = 0; i < 2; i++) {
      lua_rawgeti(L, 2, i + 1);
      if (!lua_isnumber(L, -1)) dlt_lua_fail(L, "%s: expected {lo, hi}", fn);
      v[i] = lua_tonumber(L, -1);
      lua_pop(L, 1);
    }
  } else {
    v[0] = dlt_lua_checknumber(L, 2), v[1] = dlt_lua_checknumber(L, 3);
  }
  if (!isfinite(v[0]) || !isfinite(v[1]) || v[0] == v[1])
    dlt_lua_fail(L, "%s: limits (%s, %s) must be finite and different", fn, dlt_lua_num(L, v[0]), dlt_lua_num(L, v[1]));
  if ((y ? ax->ylog : ax->xlog) && (v[0] <= 0 || v[1] <= 0))
    dlt_lua_fail(L, "%s: limits (%s, %s) must be positive on a log scale", fn, dlt_lua_num(L, v[0]), dlt_lua_num(L, v[1]));
  double *lim = y ? ax->ylim : ax->xlim;
  lim[0] = v[0], lim[1] = v[1];
  if (y) ax->ylim_set = 1, ax->yinvert = 0;
  else ax->xlim_set = 1;
  return 0;
}
static int ax_set_xlim(lua_State *L) { return set_lim(L, 0); }
static int ax_set_ylim(lua_State *L) { return set_lim(L, 1); }

static int get_lim(lua_State *L, int y) {
  dlt_axes *ax = check_axes(L, 1);
  if (dlt_figure_layout(ax->fig) != 0) dlt_lua_error(L);
  const double *v = y ? ax->vy : ax->vx;
  lua_pushnumber(L, v[0]);
  lua_pushnumber(L, v[1]);
  return 2;
}
static int ax_get_xlim(lua_State *L) { return get_lim(L, 0); }
static int ax_get_ylim(lua_State *L) { return get_lim(L, 1); }

/* get_xticks / get_yticks([{minor = true}]): the visible tick values and their labels,
 * as drawn; minor ticks are the labelled ones of a log axis spanning a decade or less */
static int get_ticks(lua_State *L, int y) {
  static const char *const allowed[] = {"minor", NULL};
  dlt_axes *ax = check_axes(L, 1);
  dlt_lua_checkoptions(L, 2, y ? "get_yticks" : "get_xticks", allowed);
  int want_minor = dlt_lua_optboolean(L, lua_istable(L, 2) ? 2 : 0, "minor", 0);
  if (dlt_figure_layout(ax->fig) != 0) dlt_lua_error(L);
  int n = y ? ax->nyt : ax->nxt, k = 0;
  lua_createtable(L, n, 0);
  lua_createtable(L, n, 0);
  for (int i = 0; i < n; i++) {
    if ((y ? ax->yminor[i] : ax->xminor[i]) != want_minor) continue; /* minor: the labelled ones */
    lua_pushnumber(L, y ? ax->yt[i] : ax->xt[i]);
    lua_rawseti(L, -3, ++k);
    lua_pushstring(L, ax->tick_text[y][i] ? ax->tick_text[y][i] : y ? ax->yl[i]
                                                                    : ax->xl[i]);
    lua_rawseti(L, -2, k);
  }
  return 2;
}
static int ax_get_xticks(lua_State *L) { return get_ticks(L, 0); }
static int ax_get_yticks(lua_State *L) { return get_ticks(L, 1); }

/* the tick labels' text properties of set_xticks / set_xticklabels / plt.xticks:
 * rotation (degrees, "horizontal", "vertical"), ha, va, fontsize */
static const char *const ticklabel_opts[] = {"rotation", "ha", "va", "horizontalalignment", "verticalalignment",
                                             "fontsize", NULL};
static int align(lua_State *L, const char *fn, const char *s, int horizontal);

static void ticklabel_options(lua_State *L, int o, const char *fn, dlt_ticks_fixed *t) {
  if (!o) return;
  dlt_lua_rawfield(L, o, "rotation");
  if (lua_type(L, -1) == LUA_TNUMBER) {
    t->rot = lua_tonumber(L, -1);
    if (!isfinite(t->rot)) dlt_lua_fail(L, "%s: rotation %s must be a finite number of degrees", fn, dlt_lua_num(L, t->rot));
    t->rot = fmod(t->rot, 360);
  } else if (lua_type(L, -1) == LUA_TSTRING) {
    const char *r = lua_tostring(L, -1);
    if (strcmp(r, "horizontal") == 0) t->rot = 0;
    else if (strcmp(r, "vertical") == 0) t->rot = 90;
    else dlt_lua_fail(L, "%s: rotation '%s' must be a number of degrees, 'horizontal' or 'vertical'", fn, r);
  } else if (!lua_isnil(L, -1)) {
    dlt_lua_fail(L, "%s: rotation must be a number of degrees, got %s", fn, luaL_typename(L, -1));
  }
  lua_pop(L, 1);
  const char *ha = dlt_lua_optstring(L, o, "ha", dlt_lua_optstring(L, o, "horizontalalignment", NULL));
  const char *va = dlt_lua_optstring(L, o, "va", dlt_lua_optstring(L, o, "verticalalignment", NULL));
  if (ha) t->ha = align(L, fn, ha, 1);
  if (va) t->va = align(L, fn, va, 0);
  t->fontsize = opt_fontsize(L, o, fn, t->fontsize);
}

/* labels (strings or numbers) of a table at idx: pointers (in a GC-owned array) to
 * strings of a table pushed after it, so numbers converted stay alive (no Lua code runs
 * while they are used) */
static const char **ticklabels(lua_State *L, int idx, const char *fn, int *n) {
  idx = lua_absindex(L, idx);
  if (!lua_istable(L, idx)) dlt_lua_fail(L, "%s: labels must be a table of strings, got %s", fn, luaL_typename(L, idx));
  lua_Unsigned len = lua_rawlen(L, idx);
  if (len > DLT_MAXTICKS) dlt_lua_fail(L, "%s: %d labels are too many (at most %d)", fn, (int)len, DLT_MAXTICKS);
  const char **lab = lua_newuserdatauv(L, (len ? len : 1) * sizeof *lab, 1);
  lua_createtable(L, (int)len, 0);
  for (lua_Unsigned i = 0; i < len; i++) {
    int ty = lua_rawgeti(L, idx, (lua_Integer)i + 1);
    if (ty != LUA_TSTRING && ty != LUA_TNUMBER)
      dlt_lua_fail(L, "%s: label %d must be a string, got %s", fn, (int)i + 1, luaL_typename(L, -1));
    lua_tostring(L, -1); /* a number becomes a string on the stack only */
    lab[i] = lua_tostring(L, -1);
    lua_rawseti(L, -2, (lua_Integer)i + 1);
  }
  lua_setiuservalue(L, -2, 1); /* the array keeps the strings */
  *n = (int)len;
  return lab;
}

/* set_ticks widens the view to the ticks and fixes it (Axis.set_view_interval) */
static void widen_to_ticks(lua_State *L, dlt_axes *ax, int y, const double *v, int n) {
  int lg = y ? ax->ylog : ax->xlog, any = 0;
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < n; i++)
    if (!lg || v[i] > 0) lo = fmin(lo, v[i]), hi = fmax(hi, v[i]), any = 1;
  if (!any) return;
  if (dlt_figure_layout(ax->fig) != 0) dlt_lua_error(L);
  double *view = y ? ax->vy : ax->vx, *lim = y ? ax->ylim : ax->xlim;
  int inv = view[0] > view[1];
  double a = fmin(fmin(view[0], view[1]), lo), b = fmax(fmax(view[0], view[1]), hi);
  lim[0] = inv ? b : a, lim[1] = inv ? a : b;
  if (y) ax->ylim_set = 1;
  else ax->xlim_set = 1;
}

/* set_xticks(ticks[, labels][, {rotation, ha, va, fontsize}]): text options need labels */
static int set_ticks(lua_State *L, int y) {
  const char *fn = y ? "set_yticks" : "set_xticks";
  dlt_axes *ax = check_axes(L, 1);
  int o = opts_index(L, 3), has_labels = lua_gettop(L) >= 3 && !lua_isnil(L, 3) && o != 3, nl = 0;
  dlt_lua_checkoptions(L, o, fn, ticklabel_opts);
  if (!lua_istable(L, 2) && !dlt_lua_testtensor(L, 2))
    dlt_lua_fail(L, "%s: ticks must be a table or tensor of numbers, got %s", fn, luaL_typename(L, 2));
  int64_t n = 0;
  double *v = lua_rawlen(L, 2) == 0 && lua_istable(L, 2) ? lua_newuserdatauv(L, sizeof(double), 0)
                                                         : todoubles(L, 2, fn, "ticks", &n);
  const char **lab = has_labels ? ticklabels(L, 3, fn, &nl) : NULL;
  if (o && !has_labels) dlt_lua_fail(L, "%s: text options (rotation, ha, ...) need labels: %s(ticks, labels, {...})", fn, fn);
  if (has_labels && nl != n)
    dlt_lua_fail(L, "%s: %d labels for %d ticks (give one label per tick)", fn, nl, (int)n);
  if (n > DLT_MAXTICKS) dlt_lua_fail(L, "%s: %d ticks are too many (at most %d)", fn, (int)n, DLT_MAXTICKS);
  dlt_ticks_fixed keep = ax->fixed[y];
  ticklabel_options(L, o, fn, &keep);
  widen_to_ticks(L, ax, y, v, (int)n);
  if (dlt_axes_set_ticks(ax, y, v, (int)n, lab) != 0) dlt_lua_error(L);
  dlt_ticks_fixed *t = &ax->fixed[y];
  t->rot = keep.rot, t->fontsize = keep.fontsize, t->ha = keep.ha, t->va = keep.va;
  return 0;
}
static int ax_set_xticks(lua_State *L) { return set_ticks(L, 0); }
static int ax_set_yticks(lua_State *L) { return set_ticks(L, 1); }

/* set_xticklabels(labels[, opts]): labels for the fixed ticks (one each), or for the
 * ticks the axis has now, which it then keeps (matplotlib warns of this use) */
static int set_ticklabels(lua_State *L, int y) {
  const char *fn = y ? "set_yticklabels" : "set_xticklabels";
  dlt_axes *ax = check_axes(L, 1);
  dlt_lua_checkoptions(L, 3, fn, ticklabel_opts);
  int o = lua_istable(L, 3) ? 3 : 0, nl;
  const char **lab = ticklabels(L, 2, fn, &nl);
  dlt_ticks_fixed keep = ax->fixed[y];
  ticklabel_options(L, o, fn, &keep);
  int n;
  double *v;
  if (keep.set) {
    n = keep.n, v = keep.v;
    if (nl != n) dlt_lua_fail(L, "%s: %d labels for the %d ticks set by %s (give one label per tick)", fn, nl, n,
                              y ? "set_yticks" : "set_xticks");
  } else {
    if (dlt_figure_layout(ax->fig) != 0) dlt_lua_error(L);
    n = 0;
    v = lua_newuserdatauv(L, DLT_MAXTICKS * sizeof *v, 0);
    for (int i = 0; i < (y ? ax->nyt : ax->nxt); i++)
      if (!(y ? ax->yminor[i] : ax->xminor[i])) v[n++] = y ? ax->yt[i] : ax->xt[i];
    /* FixedFormatter: ticks past the labels get none, labels past the ticks are unused */
    const char **all = lua_newuserdatauv(L, (size_t)(n ? n : 1) * sizeof *all, 0);
    for (int i = 0; i < n; i++) all[i] = i < nl ? lab[i] : "";
    lab = all;
  }
  if (dlt_axes_set_ticks(ax, y, v, n, lab) != 0) dlt_lua_error(L);
  dlt_ticks_fixed *t = &ax->fixed[y];
  t->rot = keep.rot, t->fontsize = keep.fontsize, t->ha = keep.ha, t->va = keep.va;
  return 0;
}
static int ax_set_xticklabels(lua_State *L) { return set_ticklabels(L, 0); }
static int ax_set_yticklabels(lua_State *L) { return set_ticklabels(L, 1); }

/* get_position(): {x0, y0, width, height} in figure fractions (y up), after layout */
static int ax_get_position(lua_State *L) {
  dlt_axes *ax = check_axes(L, 1);
  dlt_figure *f = ax->fig;
  if (dlt_figure_layout(f) != 0) dlt_lua_error(L);
  double W = f->w * f->dpi, H = f->h * f->dpi;
  double v[4] = {ax->bx / W, 1 - (ax->by + ax->bh) / H, ax->bw / W, ax->bh / H};
  lua_createtable(L, 4, 0);
  for (int i = 0; i < 4; i++) lua_pushnumber(L, v[i]), lua_rawseti(L, -2, i + 1);
  return 1;
}

static int set_scale(lua_State *L, int y) {
  dlt_axes *ax = check_axes(L, 1);
  const char *s = dlt_lua_checkstring(L, 2);
  int lg = strcmp(s, "log") == 0;
  if (!lg && strcmp(s, "linear") != 0)
    dlt_lua_fail(L, "%s: unknown scale '%s' (linear or log)", y ? "set_yscale" : "set_xscale", s);
  if (y) ax->ylog = lg;
  else ax->xlog = lg;
  return 0;
}
static int ax_set_xscale(lua_State *L) { return set_scale(L, 0); }
static int ax_set_yscale(lua_State *L) { return set_scale(L, 1); }

static int ax_legend(lua_State *L) {
  static const char *const allowed[] = {"loc", "fontsize", "frameon", NULL};
  dlt_axes *ax = check_axes(L, 1);
  dlt_lua_checkoptions(L, 2, "legend", allowed);
  int o = lua_istable(L, 2) ? 2 : 0;
  int loc = dlt_legend_loc("legend", dlt_lua_optstring(L, o, "loc", "best"));
  if (loc < 0) dlt_lua_error(L);
  ax->legend = 1, ax->legend_loc = loc;
  ax->legend_fontsize = opt_fontsize(L, o, "legend", ax->fig->st.font_size);
  ax->legend_frame = dlt_lua_optboolean(L, o, "frameon", ax->legend_frame);
  return 0;
}

static int ax_grid(lua_State *L) {
  static const char *const allowed[] = {"alpha", NULL};
  dlt_axes *ax = check_axes(L, 1);
  int o = lua_istable(L, 2) ? 2 : lua_istable(L, 3) ? 3
                                                    : 0;
  dlt_lua_checkoptions(L, o, "grid", allowed);
  if (lua_isboolean(L, 2)) ax->grid = lua_toboolean(L, 2);
  else if (o == 2) ax->grid = 1;
  else if (lua_isnoneornil(L, 2)) ax->grid = !ax->grid;
  else dlt_lua_fail(L, "grid: expected a boolean, got %s", luaL_typename(L, 2));
  ax->grid_alpha = dlt_lua_optnumber(L, o, "alpha", ax->grid_alpha);
  if (!(ax->grid_alpha >= 0 && ax->grid_alpha <= 1)) dlt_lua_fail(L, "grid: alpha %s is not in [0, 1]", dlt_lua_num(L, ax->grid_alpha));
  return 0;
}

static int ax_axis(lua_State *L) {
  dlt_axes *ax = check_axes(L, 1);
  const char *s = dlt_lua_checkstring(L, 2);
  if (strcmp(s, "off") == 0) ax->axis_off = 1;
  else if (strcmp(s, "on") == 0) ax->axis_off = 0;
  else dlt_lua_fail(L, "axis: unknown option '%s' (on or off)", s);
  return 0;
}

/* twinx() / twiny(): a new axes over this one sharing its x (y) axis, with its own y
 * axis on the right (x axis on top); it becomes the current axes */
static int twin(lua_State *L, int kind) {
  dlt_axes *ax = check_axes(L, 1);
  lua_settop(L, 1);
  push_axes_fig(L, 1);
  int fig = lua_gettop(L);
  dlt_axes *t = dlt_axes_twin(ax, kind);
  if (!t) dlt_lua_error(L);
  push_axes_ud(L, fig, t);
  return 1;
}
static int ax_twinx(lua_State *L) { return twin(L, 'x'); }
static int ax_twiny(lua_State *L) { return twin(L, 'y'); }

static int ax_get_figure(lua_State *L) {
  check_axes(L, 1);
  push_axes_fig(L, 1);
  return 1;
}

static int ax_tostring(lua_State *L) {
  dlt_axes *ax = check_axes(L, 1);
  lua_pushfstring(L, "Axes(row %d, col %d)", ax->r0 + 1, ax->c0 + 1);
  return 1;
}

/* mappable.levels (contour sets), .vmin and .vmax */
static int map_index(lua_State *L) {
  map_box *m = check_map(L, 1);
  const char *k = dlt_lua_checkstring(L, 2);
  if (strcmp(k, "levels") == 0 && m->a->kind == DLT_ART_CONTOUR) {
    lua_createtable(L, m->a->nlevels, 0);
    for (int i = 0; i < m->a->nlevels; i++) lua_pushnumber(L, m->a->levels[i]), lua_rawseti(L, -2, i + 1);
  } else if (strcmp(k, "vmin") == 0) lua_pushnumber(L, m->a->vmin);
  else if (strcmp(k, "vmax") == 0) lua_pushnumber(L, m->a->vmax);
  else lua_pushnil(L);
  return 1;
}

/* ---- figure methods ---- */

static int fig_suptitle(lua_State *L) {
  static const char *const allowed[] = {"fontsize", NULL};
  dlt_figure *f = check_fig(L, 1);
  const char *s = dlt_lua_checkstring(L, 2);
  dlt_lua_checkoptions(L, 3, "suptitle", allowed);
  double size = opt_fontsize(L, lua_istable(L, 3) ? 3 : 0, "suptitle", 0);
  if (dlt_figure_suptitle(f, s, size) != 0) dlt_lua_error(L);
  return 0;
}

/* colorbar(mappable, {ax, label}) on the mappable's axes unless ax is given */
static int fig_colorbar(lua_State *L) {
  static const char *const allowed[] = {"ax", "label", NULL};
  check_fig(L, 1);
  map_box *m = luaL_testudata(L, 2, MAP_MT);
  if (!m) dlt_lua_fail(L, "colorbar: expected a mappable (from contour, contourf, imshow or scatter with c), got %s", luaL_typename(L, 2));
  check_map(L, 2);
  dlt_lua_checkoptions(L, 3, "colorbar", allowed);
  int o = lua_istable(L, 3) ? 3 : 0;
  dlt_axes *ax = m->ax;
  if (o) {
    dlt_lua_rawfield(L, o, "ax");
    if (!lua_isnil(L, -1)) ax = check_axes(L, lua_gettop(L));
    lua_pop(L, 1);
  }
  if (dlt_axes_colorbar(ax, m->a, dlt_lua_optstring(L, o, "label", NULL)) != 0) dlt_lua_error(L);
  return 0;
}

static int fig_tight_layout(lua_State *L) {
  check_fig(L, 1)->tight = 1;
  return 0;
}

/* savefig(path, {dpi, bbox_inches = "tight", pad_inches = 0.1, transparent = false}) */
static int fig_savefig(lua_State *L) {
  static const char *const allowed[] = {"dpi", "bbox_inches", "pad_inches", "transparent", NULL};
  dlt_figure *f = check_fig(L, 1);
  const char *path = dlt_lua_checkstring(L, 2);
  dlt_lua_checkoptions(L, 3, "savefig", allowed);
  int o = lua_istable(L, 3) ? 3 : 0;
  double dpi = dlt_lua_optnumber(L, o, "dpi", 0);
  const char *bbox = dlt_lua_optstring(L, o, "bbox_inches", NULL);
  if (bbox && strcmp(bbox, "tight") != 0) dlt_lua_fail(L, "savefig: bbox_inches '%s' must be 'tight' (or nil for the whole figure)", bbox);
  dlt_savefig_opts so = {bbox != NULL, dlt_lua_optboolean(L, o, "transparent", 0), dlt_lua_optnumber(L, o, "pad_inches", 0.1)};
  if (!(so.pad_inches >= 0 && so.pad_inches <= 100))
    dlt_lua_fail(L, "savefig: pad_inches %s must be from 0 to 100", dlt_lua_num(L, so.pad_inches));
  if (dlt_figure_savefig_opts(f, path, dpi, &so) != 0) dlt_lua_error(L);
  return 0;
}

static int fig_get_axes(lua_State *L) {
  check_fig(L, 1);
  push_figtable(L, 1);
  lua_getfield(L, -1, "axes");
  return 1;
}

static int fig_size(lua_State *L) {
  dlt_figure *f = check_fig(L, 1);
  lua_pushinteger(L, lround(f->w * f->dpi));
  lua_pushinteger(L, lround(f->h * f->dpi));
  return 2;
}

static int fig_tostring(lua_State *L) {
  dlt_figure *f = check_fig(L, 1);
  lua_pushfstring(L, "Figure(%dx%d)", (int)lround(f->w * f->dpi), (int)lround(f->h * f->dpi));
  return 1;
}

/* ---- pyplot ---- */

static void fig_options(lua_State *L, int o, const char *fn, double *w, double *h, double *dpi) {
  *w = *h = *dpi = 0;
  if (!o) return;
  dlt_lua_rawfield(L, o, "figsize");
  if (!lua_isnil(L, -1)) {
    int64_t n;
    double *v = todoubles(L, -1, fn, "figsize", &n);
    if (n != 2 || !(v[0] > 0) || !(v[1] > 0)) dlt_lua_fail(L, "%s: figsize must be {width, height} in inches > 0", fn);
    *w = v[0], *h = v[1];
    lua_pop(L, 1);
  }
  lua_pop(L, 1);
  *dpi = dlt_lua_optnumber(L, o, "dpi", 0);
  if (*dpi < 0) dlt_lua_fail(L, "%s: dpi %s must be positive", fn, dlt_lua_num(L, *dpi));
}

static int plt_figure(lua_State *L) {
  static const char *const allowed[] = {"figsize", "dpi", NULL};
  dlt_lua_checkoptions(L, 1, "figure", allowed);
  double w, h, dpi;
  fig_options(L, lua_istable(L, 1) ? 1 : 0, "figure", &w, &h, &dpi);
  push_fig(L, dlt_figure_new(w, h, dpi));
  set_current_fig(L, -1);
  return 1;
}

static int plt_subplots(lua_State *L) {
  static const char *const allowed[] = {"figsize", "dpi", "sharex", "sharey", "squeeze", NULL};
  int o = lua_istable(L, 1) ? 1 : lua_istable(L, 2) ? 2
                                : lua_istable(L, 3) ? 3
                                                    : 0;
  for (int i = (o ? o : 2) + 1; i <= lua_gettop(L); i++)
    if (!lua_isnil(L, i))
      dlt_lua_fail(L, "subplots: expected (nrows, ncols, {options}), got %s as argument %d", luaL_typename(L, i), i);
  dlt_lua_checkoptions(L, o, "subplots", allowed);
  /* checked as given, before any narrowing: subplots(2^31, 1) names 2147483648 */
  lua_Integer nr64 = o == 1 ? 1 : dlt_lua_optinteger(L, 1, 1), nc64 = o && o <= 2 ? 1 : dlt_lua_optinteger(L, 2, 1);
  if (nr64 < 1 || nc64 < 1 || nr64 > 64 || nc64 > 64)
    dlt_lua_fail(L, "subplots: grid %lldx%lld must be between 1x1 and 64x64", (long long)nr64, (long long)nc64);
  int nr = (int)nr64, nc = (int)nc64;
  double w, h, dpi;
  fig_options(L, o, "subplots", &w, &h, &dpi);
  push_fig(L, dlt_figure_new(w, h, dpi));
  int fig = lua_gettop(L);
  dlt_figure *f = check_fig(L, fig);
  f->sharex = dlt_lua_optboolean(L, o, "sharex", 0), f->sharey = dlt_lua_optboolean(L, o, "sharey", 0);
  set_current_fig(L, fig);
  /* squeeze (default): one axes alone, a list for one row or column, else a grid */
  int grid = !dlt_lua_optboolean(L, o, "squeeze", 1) || (nr > 1 && nc > 1);
  if (nr == 1 && nc == 1 && !grid) {
    push_new_axes(L, fig, 1, 1, 0, 0);
    return 2;
  }
  lua_createtable(L, grid ? nr : nr * nc, 0);
  for (int r = 0; r < nr; r++) {
    if (grid) lua_createtable(L, nc, 0);
    for (int c = 0; c < nc; c++) {
      push_new_axes(L, fig, nr, nc, r, c); /* the last made is current, as pyplot's gca */
      lua_rawseti(L, -2, grid ? c + 1 : r * nc + c + 1);
    }
    if (grid) lua_rawseti(L, -2, r + 1);
  }
  return 2;
}

/* plt.subplot(nrows, ncols, index) or plt.subplot(221): the axes at index (1-based,
 * row-major; {first, last} spans cells) of the current figure, made if not there */
static int plt_subplot(lua_State *L);

/* pushes the current figure, creating one if there is none */
static int push_gcf(lua_State *L) {
  push_state(L);
  lua_getfield(L, -1, "cur");
  lua_remove(L, -2);
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    push_fig(L, dlt_figure_new(0, 0, 0));
    set_current_fig(L, -1);
  }
  return lua_gettop(L);
}

/* pushes the current axes of the current figure, creating a 1x1 one if needed */
static int push_gca(lua_State *L) {
  int fig = push_gcf(L);
  push_figtable(L, fig);
  lua_getfield(L, -1, "cur");
  if (lua_isnil(L, -1)) {
    lua_pop(L, 1);
    push_new_axes(L, fig, 1, 1, 0, 0);
  }
  lua_replace(L, fig);
  lua_settop(L, fig);
  return fig;
}

static int plt_gcf(lua_State *L) {
  push_gcf(L);
  return 1;
}

static int plt_subplot(lua_State *L) {
  int nr, nc, first, last;
  if (lua_gettop(L) == 1) {
    lua_Integer k = dlt_lua_checkinteger(L, 1);
    if (k < 111 || k > 999)
      dlt_lua_fail(L, "subplot: a single argument must be a 3-digit number such as 221, got %d", (int)k);
    nr = (int)(k / 100), nc = (int)(k / 10 % 10), first = last = (int)(k % 10);
    if (nc < 1) dlt_lua_fail(L, "subplot: %d has 0 columns", (int)k);
  } else {
    nr = (int)dlt_lua_checkinteger(L, 1), nc = (int)dlt_lua_checkinteger(L, 2);
    if (lua_istable(L, 3)) {
      lua_rawgeti(L, 3, 1), lua_rawgeti(L, 3, 2);
      if (!lua_isinteger(L, -2) || !lua_isinteger(L, -1)) dlt_lua_fail(L, "subplot: index must be a number or {first, last}");
      first = (int)lua_tointeger(L, -2), last = (int)lua_tointeger(L, -1);
      lua_pop(L, 2);
    } else {
      first = last = (int)dlt_lua_checkinteger(L, 3);
    }
  }
  if (nr < 1 || nc < 1 || nr > 64 || nc > 64) dlt_lua_fail(L, "subplot: grid %dx%d must be between 1x1 and 64x64", nr, nc);
  for (int k = 0; k < 2; k++) {
    int v = k ? last : first;
    if (v < 1 || v > nr * nc) dlt_lua_fail(L, "subplot: index %d must be from 1 to %d for a %dx%d grid", v, nr * nc, nr, nc);
  }
  lua_settop(L, 0);
  int fig = push_gcf(L), existed;
  dlt_axes *ax = dlt_figure_subplot(check_fig(L, fig), nr, nc, first - 1, last - 1, &existed);
  if (!ax) dlt_lua_error(L);
  push_figtable(L, fig);
  lua_getfield(L, -1, "axes");
  int n = (int)lua_rawlen(L, -1);
  if (existed) { /* its userdata, made current */
    for (int i = 1; i <= n; i++) {
      lua_rawgeti(L, -1, i);
      if (((ax_box *)lua_touserdata(L, -1))->ax == ax) {
        lua_pushvalue(L, -1);
        lua_setfield(L, fig + 1, "cur");
        return 1;
      }
      lua_pop(L, 1);
    }
    return dlt_lua_fail(L, "subplot: internal: axes without userdata");
  }
  lua_settop(L, fig);
  push_axes_ud(L, fig, ax);
  return 1;
}
static int plt_gca(lua_State *L) {
  push_gca(L);
  return 1;
}

/* plt.colorbar([mappable], {label, ax}): the current figure's last mappable by default */
static int plt_colorbar(lua_State *L) {
  lua_settop(L, 2);
  int fig = push_gcf(L);
  if (!luaL_testudata(L, 1, MAP_MT)) {
    push_figtable(L, fig);
    lua_getfield(L, -1, "mappable");
    if (lua_isnil(L, -1)) dlt_lua_fail(L, "colorbar: no mappable to draw (use contour, contourf, imshow or scatter with c first)");
    lua_insert(L, 1);
    lua_settop(L, fig + 1);
    fig++;
  }
  lua_pushcfunction(L, fig_colorbar);
  lua_pushvalue(L, fig);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 3, 0);
  return 0;
}

static int plt_close(lua_State *L) {
  lua_settop(L, 1);
  push_state(L);
  int st = lua_gettop(L);
  lua_getfield(L, st, "figs");
  int figs = lua_gettop(L);
  if (lua_type(L, 1) == LUA_TSTRING && strcmp(lua_tostring(L, 1), "all") == 0) {
    lua_newtable(L);
    lua_setfield(L, st, "figs");
    lua_pushnil(L);
    lua_setfield(L, st, "cur");
    return 0;
  }
  if (lua_isnoneornil(L, 1)) lua_getfield(L, st, "cur");
  else {
    check_fig(L, 1);
    lua_pushvalue(L, 1);
  }
  int f = lua_gettop(L);
  lua_pushvalue(L, f);
  lua_pushnil(L);
  lua_settable(L, figs);
  lua_getfield(L, st, "cur");
  if (lua_rawequal(L, -1, f)) { /* another open figure becomes current */
    lua_pushnil(L);
    lua_next(L, figs) ? lua_pop(L, 1) : lua_pushnil(L);
    lua_setfield(L, st, "cur");
  }
  return 0;
}

static int plt_savefig(lua_State *L) {
  dlt_lua_checkstring(L, 1);
  lua_settop(L, 2);
  lua_pushcfunction(L, fig_savefig);
  push_gcf(L);
  lua_pushvalue(L, 1);
  lua_pushvalue(L, 2);
  lua_call(L, 3, 0);
  return 0;
}

/* saves the current figure as the next unused $DLT_FIGDIR/figure_NNN.png (never one an
 * earlier run wrote), says so on stderr, closes it and returns the path; with no open
 * figure it does nothing, as matplotlib */
static int plt_show(lua_State *L) {
  push_state(L);
  lua_getfield(L, -1, "cur");
  if (lua_isnil(L, -1)) return 0;
  lua_settop(L, 0);
  const char *dir = getenv("DLT_FIGDIR");
  if (!dir || !dir[0]) dir = "figures";
  if (mkdir(dir, 0777) != 0 && errno != EEXIST) dlt_lua_fail(L, "show: cannot create '%s': %s", dir, strerror(errno));
  push_state(L);
  lua_Integer n = (lua_getfield(L, -1, "n"), lua_tointeger(L, -1));
  lua_pop(L, 1);
  char path[4096];
  do {
    n++;
    snprintf(path, sizeof path, "%s/figure_%03d.png", dir, (int)n);
  } while (access(path, F_OK) == 0 && n < 100000);
  lua_pushinteger(L, n);
  lua_setfield(L, -2, "n");
  int fig = push_gcf(L);
  if (dlt_figure_savefig(check_fig(L, fig), path, 0) != 0) dlt_lua_error(L);
  lua_pushcfunction(L, plt_close);
  lua_pushvalue(L, fig);
  lua_call(L, 1, 0);
  /* there is no window: say where the figure went (stderr, so a script's printed
   * output stays its own) */
  fprintf(stderr, "show: figure saved to %s\n", path);
  fflush(stderr);
  lua_pushstring(L, path);
  return 1;
}

/* plt.xticks(): the ticks and labels; plt.xticks(ticks[, labels][, opts]) sets them
 * (then returns them); plt.xticks({rotation, ...}) restyles the labels alone */
static int plt_ticks(lua_State *L, int y) {
  int nargs = lua_gettop(L);
  push_gca(L);
  lua_insert(L, 1);
  if (nargs == 1 && lua_type(L, 2) == LUA_TTABLE && !is_data(L, 2)) {
    lua_pushnil(L);
    if (lua_next(L, 2)) { /* a table with keys: text options */
      lua_settop(L, 2);
      const char *fn = y ? "yticks" : "xticks";
      dlt_lua_checkoptions(L, 2, fn, ticklabel_opts);
      ticklabel_options(L, 2, fn, &check_axes(L, 1)->fixed[y]);
      return 0;
    }
  }
  if (nargs > 0) {
    set_ticks(L, y);
    lua_settop(L, 1);
  }
  return get_ticks(L, y);
}
static int plt_xticks(lua_State *L) { return plt_ticks(L, 0); }
static int plt_yticks(lua_State *L) { return plt_ticks(L, 1); }

static int plt_style_use(lua_State *L) {
  if (dlt_style_use(dlt_lua_checkstring(L, 1)) != 0) dlt_lua_error(L);
  return 0;
}

static const luaL_Reg ax_methods[] = {
  {"plot", ax_plot}, {"semilogx", ax_semilogx}, {"semilogy", ax_semilogy}, {"loglog", ax_loglog}, {"errorbar", ax_errorbar}, {"scatter", ax_scatter}, {"hist", ax_hist}, {"bar", ax_bar}, {"fill_between", ax_fill_between}, {"contour", ax_contour}, {"contourf", ax_contourf}, {"imshow", ax_imshow}, {"axhline", ax_axhline}, {"axvline", ax_axvline}, {"axvspan", ax_axvspan}, {"text", ax_text}, {"set_title", ax_set_title}, {"set_xlabel", ax_set_xlabel}, {"set_ylabel", ax_set_ylabel}, {"set_xlim", ax_set_xlim}, {"set_ylim", ax_set_ylim}, {"get_xlim", ax_get_xlim}, {"get_ylim", ax_get_ylim}, {"set_xscale", ax_set_xscale}, {"set_yscale", ax_set_yscale}, {"legend", ax_legend}, {"grid", ax_grid}, {"axis", ax_axis}, {"get_figure", ax_get_figure}, {"get_xticks", ax_get_xticks}, {"get_yticks", ax_get_yticks}, {"get_position", ax_get_position}, {"set_xticks", ax_set_xticks}, {"set_yticks", ax_set_yticks}, {"set_xticklabels", ax_set_xticklabels}, {"set_yticklabels", ax_set_yticklabels}, {"set_aspect", ax_set_aspect}, {"twinx", ax_twinx}, {"clabel", ax_clabel}, {"annotate", ax_annotate}, {"twiny", ax_twiny}, {"get_aspect", ax_get_aspect}, {NULL, NULL}};

static const luaL_Reg fig_methods[] = {
  {"suptitle", fig_suptitle}, {"colorbar", fig_colorbar}, {"tight_layout", fig_tight_layout}, {"savefig", fig_savefig}, {"get_axes", fig_get_axes}, {"get_size_pixels", fig_size}, {NULL, NULL}};

/* imread(path): a PNG as a float32 tensor in [0, 1] of shape (H,W), (H,W,2), (H,W,3)
 * or (H,W,4) by the file's channels, as matplotlib.pyplot.imread */
static int plt_imread(lua_State *L) {
  dlt_lua_pushtensor(L, dlt_imread(dlt_lua_checkstring(L, 1)));
  return 1;
}

static const luaL_Reg plt_funcs[] = {
  {"figure", plt_figure}, {"subplots", plt_subplots}, {"gcf", plt_gcf}, {"gca", plt_gca}, {"colorbar", plt_colorbar}, {"close", plt_close}, {"savefig", plt_savefig}, {"show", plt_show}, {"imread", plt_imread}, {"xticks", plt_xticks}, {"yticks", plt_yticks}, {"subplot", plt_subplot}, {NULL, NULL}};

static void new_class(lua_State *L, const char *mt, const luaL_Reg *methods, lua_CFunction gc,
                      lua_CFunction tostring) {
  luaL_newmetatable(L, mt);
  if (methods) {
    lua_newtable(L);
    luaL_setfuncs(L, methods, 0);
    lua_setfield(L, -2, "__index");
  }
  if (gc) lua_pushcfunction(L, gc), lua_setfield(L, -2, "__gc");
  if (tostring) lua_pushcfunction(L, tostring), lua_setfield(L, -2, "__tostring");
  lua_pop(L, 1);
}

void dlt_open_plot(lua_State *L, int dlt) {
  new_class(L, FIG_MT, fig_methods, fig_gc, fig_tostring);
  new_class(L, AX_MT, ax_methods, NULL, ax_tostring);
  new_class(L, MAP_MT, NULL, NULL, NULL);
  luaL_newmetatable(L, ADDED_MT);
  lua_pushcfunction(L, added_close);
  lua_setfield(L, -2, "__close");
  lua_pop(L, 1);
  luaL_getmetatable(L, MAP_MT);
  lua_pushcfunction(L, map_index);
  lua_setfield(L, -2, "__index");
  lua_pop(L, 1);
  luaL_newlib(L, plt_funcs);
  lua_newtable(L);
  lua_pushcfunction(L, plt_style_use);
  lua_setfield(L, -2, "use");
  lua_setfield(L, -2, "style");
  lua_setfield(L, dlt, "plot");
}
