/* artists.c: what the axes methods add: lines, scatter collections, patches (bars,
 * fills, spans), contour sets, images and texts, plus format strings and histograms.
 * Data are copied; styles start from the figure's style and callers adjust them. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

dlt_artist *dlt_artist_new(dlt_axes *ax, dlt_artist_kind kind) {
  if (ax->nart == ax->capart) {
    int cap = ax->capart ? 2 * ax->capart : 8;
    dlt_artist **n = realloc(ax->art, (size_t)cap * sizeof *n);
    if (!n) return dlt_fail("plot: cannot allocate %d artists", cap);
    ax->art = n, ax->capart = cap;
  }
  dlt_artist *a = dlt_calloc(1, sizeof *a);
  if (!a) return NULL;
  const dlt_style *st = &ax->fig->st;
  a->kind = kind;
  a->alpha = 1;
  a->zorder = kind == DLT_ART_LINE ? 2 : kind == DLT_ART_TEXT  ? 3
                                       : kind == DLT_ART_IMAGE ? 0
                                                               : 1;
  a->ls = (dlt_linestyle){dlt_color_cycle(0), st->lines_lw, DLT_LS_SOLID, 0, st->markersize, 1.0,
                          dlt_color_cycle(0), dlt_color_cycle(0)};
  a->lw = st->patch_lw;
  a->vmin = a->vmax = NAN;
  ax->art[ax->nart++] = a;
  return a;
}

static double *copy(const double *v, int64_t n) {
  double *c = dlt_malloc((size_t)(n > 0 ? n : 1) * sizeof *c);
  if (c && n > 0) memcpy(c, v, (size_t)n * sizeof *c);
  return c;
}

/* drops the artist just added (after a failure filling it in) */
static void *undo(dlt_axes *ax) {
  dlt_artist *a = ax->art[--ax->nart];
  free(a->x), free(a->y), free(a->pstart), free(a->gx), free(a->gy), free(a->gz), free(a->levels);
  free(a);
  return NULL;
}

dlt_artist *dlt_plot_line(dlt_axes *ax, const double *x, const double *y, int64_t n) {
  dlt_artist *a = dlt_artist_new(ax, DLT_ART_LINE);
  if (!a) return NULL;
  a->n = n;
  a->x = copy(x, n), a->y = copy(y, n);
  if (!a->x || !a->y) return undo(ax);
  return a;
}

int dlt_check_marker(const char *fn, const char *s, char *marker) {
  if (strcmp(s, "") == 0 || strcmp(s, "None") == 0 || strcmp(s, "none") == 0) {
    *marker = 0;
    return 0;
  }
  if (s[1] == 0 && strchr("o*s^vD+x._|", s[0])) {
    *marker = s[0];
    return 0;
  }
  return dlt_failn("%s: unknown marker '%s' (known: o * s ^ v D + x . _ |)", fn, s);
}

int dlt_parse_linestyle(const char *fn, const char *s, int *ls) {
  static const struct {
    const char *a, *b;
    int v;
  } t[] = {
    {"-", "solid", DLT_LS_SOLID}, {"--", "dashed", DLT_LS_DASHED}, {":", "dotted", DLT_LS_DOTTED}, {"-.", "dashdot", DLT_LS_DASHDOT}, {"None", "none", DLT_LS_NONE}, {"", " ", DLT_LS_NONE}};
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (strcmp(s, t[i].a) == 0 || strcmp(s, t[i].b) == 0) {
      *ls = t[i].v;
      return 0;
    }
  return dlt_failn("%s: unknown linestyle '%s' (known: '-', '--', ':', '-.', 'None')", fn, s);
}

/* matplotlib format strings: [color][marker][linestyle] in any order */
int dlt_parse_fmt(const char *fn, const char *fmt, dlt_linestyle *ls, int *has_color,
                  int *has_ls, int *has_marker) {
  *has_color = *has_ls = *has_marker = 0;
  /* a whole colour name ("purple", "gray", "#ff0000") is a format string too */
  if (strlen(fmt) > 1 && fmt[0] != '-' && dlt_color_parse(fn, fmt, &ls->color) == 0) {
    *has_color = 1;
    ls->marker = 0, ls->ls = DLT_LS_SOLID;
    return 0;
  }
  int style = DLT_LS_SOLID;
  char marker = 0;
  for (const char *p = fmt; *p;) {
    if (p[0] == '-' && p[1] == '-') style = DLT_LS_DASHED, *has_ls = 1, p += 2;
    else if (p[0] == '-' && p[1] == '.') style = DLT_LS_DASHDOT, *has_ls = 1, p += 2;
    else if (p[0] == '-') style = DLT_LS_SOLID, *has_ls = 1, p++;
    else if (p[0] == ':') style = DLT_LS_DOTTED, *has_ls = 1, p++;
    else if (strchr("bgrcmykw", p[0]) && !*has_color) {
      char c[2] = {p[0], 0};
      dlt_color_parse(fn, c, &ls->color);
      *has_color = 1, p++;
    } else if (p[0] == 'C' && p[1] >= '0' && p[1] <= '9' && !*has_color) {
      ls->color = dlt_color_cycle(p[1] - '0');
      *has_color = 1, p += 2;
    } else if (strchr("o*s^vD+x._|", p[0]) && !*has_marker) {
      marker = p[0], *has_marker = 1, p++;
    } else {
      return dlt_failn("%s: unrecognized format string '%s' (at '%c')", fn, fmt, p[0]);
    }
  }
  ls->marker = marker;
  /* a marker alone draws no line */
  ls->ls = *has_ls ? style : *has_marker ? DLT_LS_NONE
                                         : DLT_LS_SOLID;
  return 0;
}

dlt_artist *dlt_plot_scatter(dlt_axes *ax, const double *x, const double *y, int64_t n) {
  dlt_artist *a = dlt_artist_new(ax, DLT_ART_SCATTER);
  if (!a) return NULL;
  a->n = n;
  a->x = copy(x, n), a->y = copy(y, n);
  if (!a->x || !a->y) return undo(ax);
  a->ls.marker = 'o';
  /* matplotlib's scatter: filled markers' edges patch.linewidth (the collection's
   * default), unfilled ones lines.linewidth */
  a->lw = ax->fig->st.patch_lw;
  a->edge_face = 1;
  return a;
}

static dlt_artist *patch(dlt_axes *ax, int npoly, int64_t nv) {
  dlt_artist *a = dlt_artist_new(ax, DLT_ART_PATCH);
  if (!a) return NULL;
  a->n = nv, a->npoly = npoly;
  a->x = dlt_malloc((size_t)(nv ? nv : 1) * sizeof(double));
  a->y = dlt_malloc((size_t)(nv ? nv : 1) * sizeof(double));
  a->pstart = dlt_malloc((size_t)(npoly + 1) * sizeof(int));
  if (!a->x || !a->y || !a->pstart) return undo(ax);
  a->lw = ax->fig->st.patch_lw;
  return a;
}

dlt_artist *dlt_plot_bars(dlt_axes *ax, const double *x0, const double *x1, const double *y0,
                          const double *y1, int64_t n) {
  if (n > 1 << 24) return dlt_fail("bar: %lld bars are too many", (long long)n);
  dlt_artist *a = patch(ax, (int)n, 4 * n);
  if (!a) return NULL;
  for (int64_t i = 0; i < n; i++) {
    double xs[4] = {x0[i], x1[i], x1[i], x0[i]}, ys[4] = {y0[i], y0[i], y1[i], y1[i]};
    memcpy(a->x + 4 * i, xs, sizeof xs), memcpy(a->y + 4 * i, ys, sizeof ys);
    a->pstart[i] = (int)(4 * i);
  }
  a->pstart[n] = (int)(4 * n);
  a->bars = 1;
  return a;
}

dlt_artist *dlt_plot_polygon(dlt_axes *ax, const double *x, const double *y, int64_t n) {
  if (n > 1 << 26) return dlt_fail("fill: %lld vertices are too many", (long long)n);
  dlt_artist *a = patch(ax, 1, n);
  if (!a) return NULL;
  memcpy(a->x, x, (size_t)n * sizeof *x), memcpy(a->y, y, (size_t)n * sizeof *y);
  a->pstart[0] = 0, a->pstart[1] = (int)n;
  return a;
}

dlt_artist *dlt_plot_fill_between(dlt_axes *ax, const double *x, const double *y1,
                                  const double *y2, int64_t n) {
  if (n > 1 << 25) return dlt_fail("fill_between: %lld points are too many", (long long)n);
  dlt_artist *a = patch(ax, 1, 2 * n);
  if (!a) return NULL;
  for (int64_t i = 0; i < n; i++) {
    a->x[i] = x[i], a->y[i] = y1[i];
    a->x[2 * n - 1 - i] = x[i], a->y[2 * n - 1 - i] = y2[i];
  }
  a->pstart[0] = 0, a->pstart[1] = (int)(2 * n);
  return a;
}

dlt_artist *dlt_plot_axline(dlt_axes *ax, int vertical, double v, double a0, double a1) {
  double p[2] = {v, v}, q[2] = {a0, a1};
  dlt_artist *a = vertical ? dlt_plot_line(ax, p, q, 2) : dlt_plot_line(ax, q, p, 2);
  if (!a) return NULL;
  if (vertical) a->ycoord = DLT_COORD_AXES;
  else a->xcoord = DLT_COORD_AXES;
  return a;
}

dlt_artist *dlt_plot_axspan(dlt_axes *ax, int vertical, double v0, double v1) {
  double p[4] = {v0, v1, v1, v0}, q[4] = {0, 0, 1, 1};
  dlt_artist *a = vertical ? dlt_plot_polygon(ax, p, q, 4) : dlt_plot_polygon(ax, q, p, 4);
  if (!a) return NULL;
  if (vertical) a->ycoord = DLT_COORD_AXES;
  else a->xcoord = DLT_COORD_AXES;
  return a;
}

static void finite_range(const double *v, int64_t n, double *lo, double *hi) {
  *lo = INFINITY, *hi = -INFINITY;
  for (int64_t i = 0; i < n; i++)
    if (isfinite(v[i])) *lo = fmin(*lo, v[i]), *hi = fmax(*hi, v[i]);
}

dlt_artist *dlt_plot_contour(dlt_axes *ax, const double *X, const double *Y, const double *Z,
                             int rows, int cols, int xy2d, const double *levels, int nlevels,
                             int nauto, int filled) {
  const char *fn = filled ? "contourf" : "contour";
  if (rows < 2 || cols < 2) return dlt_fail("%s: Z must be at least 2x2, got %dx%d", fn, rows, cols);
  double zmin, zmax;
  int64_t N = (int64_t)rows * cols;
  finite_range(Z, N, &zmin, &zmax);
  if (!(zmin <= zmax)) return dlt_fail("%s: Z has no finite values", fn);
  double lev[DLT_MAXTICKS];
  if (!levels) {
    nlevels = dlt_contour_autolevels(zmin, zmax, nauto, lev);
    levels = lev;
  }
  if (filled && nlevels < 2) return dlt_fail("contourf: filled contours need at least 2 levels, got %d", nlevels);
  for (int i = 1; i < nlevels; i++)
    if (!(levels[i] > levels[i - 1]))
      return dlt_fail("%s: levels must be increasing (level %d is %g after %g)", fn, i + 1, levels[i], levels[i - 1]);
  dlt_artist *a = dlt_artist_new(ax, DLT_ART_CONTOUR);
  if (!a) return NULL;
  a->rows = rows, a->cols = cols, a->filled = filled, a->nlevels = nlevels;
  a->zorder = filled ? 1 : 2;
  a->gz = copy(Z, N), a->levels = copy(levels, nlevels);
  a->gx = dlt_malloc((size_t)N * sizeof(double)), a->gy = dlt_malloc((size_t)N * sizeof(double));
  if (!a->gz || !a->levels || !a->gx || !a->gy) return undo(ax);
  for (int i = 0; i < rows; i++)
    for (int j = 0; j < cols; j++) {
      a->gx[i * cols + j] = xy2d ? X[i * cols + j] : X[j];
      a->gy[i * cols + j] = xy2d ? Y[i * cols + j] : Y[i];
    }
  a->vmin = levels[0], a->vmax = levels[nlevels - 1];
  a->mapped = 1;
  a->ls.width = ax->fig->st.lines_lw;
  dlt_cmap_get(fn, "viridis", &a->cmap);
  return a;
}

dlt_artist *dlt_plot_image(dlt_axes *ax, const double *M, int rows, int cols) {
  if (rows < 1 || cols < 1) return dlt_fail("imshow: the array is empty (%dx%d)", rows, cols);
  dlt_artist *a = dlt_artist_new(ax, DLT_ART_IMAGE);
  if (!a) return NULL;
  a->rows = rows, a->cols = cols;
  a->gz = copy(M, (int64_t)rows * cols);
  if (!a->gz) return undo(ax);
  a->mapped = 1, a->aspect_equal = 1;
  if (dlt_cmap_get("imshow", ax->fig->st.cmap, &a->cmap) != 0) dlt_cmap_get("imshow", "gray_r", &a->cmap);
  ax->yinvert = 1;
  return a;
}

dlt_artist *dlt_plot_text(dlt_axes *ax, double x, double y, const char *s, const char *fn) {
  dlt_artist *a = dlt_artist_new(ax, DLT_ART_TEXT);
  if (!a) return NULL;
  a->x = copy(&x, 1), a->y = copy(&y, 1);
  if (!a->x || !a->y || dlt_set_string(&a->text, s, fn) != 0) return undo(ax);
  a->n = 1;
  a->fontsize = ax->fig->st.font_size;
  a->ls.color = ax->fig->st.label_color;
  a->ha = DLT_HA_LEFT, a->va = DLT_VA_BASELINE;
  a->unclipped = 1; /* Text's clip_on is False */
  return a;
}

void dlt_artist_autoscale_norm(dlt_artist *a) {
  double lo, hi;
  if (a->kind == DLT_ART_IMAGE) finite_range(a->gz, (int64_t)a->rows * a->cols, &lo, &hi);
  else if (a->cvals) finite_range(a->cvals, a->n, &lo, &hi);
  else return;
  if (isnan(a->vmin)) a->vmin = lo;
  if (isnan(a->vmax)) a->vmax = hi;
}

int dlt_histogram(const double *v, int64_t n, const double *edges, int bins, int density,
                  double *counts) {
  for (int b = 0; b < bins; b++) counts[b] = 0;
  for (int b = 0; b < bins; b++)
    if (!(edges[b + 1] > edges[b]))
      return dlt_failn("hist: bin edges must increase (edge %d is %g after %g)", b + 2, edges[b + 1], edges[b]);
  int64_t total = 0;
  for (int64_t i = 0; i < n; i++) {
    double x = v[i];
    if (!(x >= edges[0] && x <= edges[bins])) continue;
    int lo = 0, hi = bins; /* the last bin is closed on the right, as numpy's */
    while (hi - lo > 1) {
      int m = (lo + hi) / 2;
      if (x >= edges[m]) lo = m;
      else hi = m;
    }
    counts[lo]++, total++;
  }
  if (density && total > 0)
    for (int b = 0; b < bins; b++) counts[b] /= (double)total * (edges[b + 1] - edges[b]);
  return 0;
}
