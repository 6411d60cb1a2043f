/* figure.c: the figure model: a figure owns its axes on a subplot grid, each axes
 * owns its artists; the style is copied from the current one at creation. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

/* the offset of the first byte that breaks UTF-8 (overlong forms, surrogates and code
 * points past U+10FFFF included), or -1 when s is valid: Cairo refuses such text only
 * when it draws, so a label is checked when it is given */
static long bad_utf8(const unsigned char *s) {
  for (const unsigned char *p = s; *p;) {
    int n = *p < 0x80 ? 0 : (*p & 0xE0) == 0xC0 ? 1
                          : (*p & 0xF0) == 0xE0 ? 2
                          : (*p & 0xF8) == 0xF0 ? 3
                                                : -1;
    if (n < 0 || (n == 1 && *p < 0xC2) || (n == 3 && *p > 0xF4)) return (long)(p - s);
    uint32_t cp = n ? *p & (0x3F >> n) : *p;
    for (int k = 1; k <= n; k++) {
      if ((p[k] & 0xC0) != 0x80) return (long)(p - s);
      cp = cp << 6 | (p[k] & 0x3F);
    }
    if ((n == 2 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) || (n == 3 && (cp < 0x10000 || cp > 0x10FFFF)))
      return (long)(p - s);
    p += n + 1;
  }
  return -1;
}

int dlt_set_string(char **dst, const char *s, const char *fn) {
  char *c = NULL;
  long bad = s ? bad_utf8((const unsigned char *)s) : -1;
  if (bad >= 0)
    return dlt_failn("%s: text is not valid UTF-8 (byte %ld is 0x%02x): labels, titles and texts are UTF-8 strings",
                     fn, bad + 1, (unsigned)(unsigned char)s[bad]);
  if (s) {
    c = dlt_malloc(strlen(s) + 1);
    if (!c) return -1;
    strcpy(c, s);
  }
  free(*dst);
  *dst = c;
  return 0;
}

dlt_figure *dlt_figure_new(double w, double h, double dpi) {
  const dlt_style *st = dlt_style_current();
  if (w <= 0) w = st->figw;
  if (h <= 0) h = st->figh;
  if (dpi <= 0) dpi = st->dpi;
  if (!isfinite(w) || !isfinite(h) || !isfinite(dpi) || w * dpi < 1 || h * dpi < 1 ||
      w * dpi > 32768 || h * dpi > 32768 || w * h * dpi * dpi > 1e8)
    return dlt_fail("figure: figsize {%g, %g} at dpi %g must give 1 to 32768 pixels a side, 1e8 in all", w, h, dpi);
  dlt_figure *f = dlt_calloc(1, sizeof *f);
  if (!f) return NULL;
  f->w = w, f->h = h, f->dpi = dpi, f->st = *st;
  f->nrows = f->ncols = 1;
  f->left = st->sub_left, f->right = st->sub_right, f->bottom = st->sub_bottom;
  f->top = st->sub_top, f->wspace = st->sub_wspace, f->hspace = st->sub_hspace;
  return f;
}

static void artist_free(dlt_artist *a) {
  free(a->label), free(a->x), free(a->y), free(a->s), free(a->colors), free(a->cvals);
  free(a->pstart), free(a->gx), free(a->gy), free(a->gz), free(a->levels), free(a->lcolors);
  dlt_clabel_free(a->clabel);
  free(a->text), free(a->annot), free(a);
}

void dlt_axes_drop_artists(dlt_axes *ax, int keep) {
  while (ax->nart > keep) {
    dlt_artist *a = ax->art[--ax->nart];
    if (ax->cbar == a) ax->cbar = NULL;
    artist_free(a);
  }
}

static void axes_free(dlt_axes *ax) {
  for (int i = 0; i < ax->nart; i++) artist_free(ax->art[i]);
  dlt_axes_free_ticks(ax);
  free(ax->art), free(ax->title), free(ax->xlabel), free(ax->ylabel), free(ax->cbar_label);
  free(ax);
}

void dlt_figure_free(dlt_figure *f) {
  if (!f) return;
  for (int i = 0; i < f->nax; i++) axes_free(f->ax[i]);
  free(f->ax), free(f->suptitle), free(f);
}

dlt_axes *dlt_figure_add_axes(dlt_figure *f, int nrows, int ncols, int row, int col) {
  if (nrows < 1 || ncols < 1 || nrows > 64 || ncols > 64)
    return dlt_fail("subplots: grid %dx%d must be between 1x1 and 64x64", nrows, ncols);
  if (row < 0 || row >= nrows || col < 0 || col >= ncols)
    return dlt_fail("subplots: cell (%d, %d) is outside the %dx%d grid", row + 1, col + 1, nrows, ncols);
  if (f->nax == f->capax) {
    int cap = f->capax ? 2 * f->capax : 4;
    dlt_axes **n = realloc(f->ax, (size_t)cap * sizeof *n);
    if (!n) return dlt_fail("subplots: cannot allocate %d axes", cap);
    f->ax = n, f->capax = cap;
  }
  dlt_axes *ax = dlt_calloc(1, sizeof *ax);
  if (!ax) return NULL;
  ax->fig = f;
  f->nrows = nrows, f->ncols = ncols;
  ax->r0 = row, ax->r1 = row + 1, ax->c0 = col, ax->c1 = col + 1;
  ax->title_size = f->st.font_size * f->st.title_scale;
  ax->xlabel_size = ax->ylabel_size = f->st.font_size;
  ax->grid = f->st.grid;
  ax->grid_alpha = f->st.grid_alpha;
  ax->legend_fontsize = f->st.font_size;
  ax->legend_frame = f->st.legend_frame;
  ax->title_pad = f->st.title_pad, ax->title_loc = DLT_HA_CENTER;
  for (int k = 0; k < 2; k++) ax->fixed[k].ha = ax->fixed[k].va = -1;
  f->ax[f->nax++] = ax;
  return ax;
}

static int gcd(int a, int b) { return b ? gcd(b, a % b) : a; }

dlt_axes *dlt_figure_subplot(dlt_figure *f, int nrows, int ncols, int first, int last, int *existed) {
  *existed = 0;
  if (nrows < 1 || ncols < 1 || nrows > 64 || ncols > 64)
    return dlt_fail("subplot: grid %dx%d must be between 1x1 and 64x64", nrows, ncols);
  int R = f->nax ? f->nrows / gcd(f->nrows, nrows) * nrows : nrows;
  int C = f->nax ? f->ncols / gcd(f->ncols, ncols) * ncols : ncols;
  if (R > 64 || C > 64)
    return dlt_fail("subplot: a %dx%d grid in a figure with a %dx%d one needs a %dx%d grid (at most 64x64)", nrows,
                    ncols, f->nrows, f->ncols, R, C);
  int sr = R / nrows, sc = C / ncols;
  int r0 = first / ncols, c0 = first % ncols, r1 = last / ncols, c1 = last % ncols;
  if (r1 < r0) {
    int t = r0;
    r0 = r1;
    r1 = t;
  }
  if (c1 < c0) {
    int t = c0;
    c0 = c1;
    c1 = t;
  }
  r0 *= sr, r1 = (r1 + 1) * sr, c0 *= sc, c1 = (c1 + 1) * sc;
  if (f->nax) { /* earlier axes onto the common grid */
    int er = R / f->nrows, ec = C / f->ncols;
    for (int i = 0; i < f->nax; i++) {
      dlt_axes *a = f->ax[i];
      a->r0 *= er, a->r1 *= er, a->c0 *= ec, a->c1 *= ec;
    }
    f->nrows = R, f->ncols = C;
  }
  for (int i = f->nax - 1; i >= 0; i--) {
    dlt_axes *a = f->ax[i];
    if (!a->twin && a->r0 == r0 && a->r1 == r1 && a->c0 == c0 && a->c1 == c1) {
      *existed = 1;
      return a;
    }
  }
  dlt_axes *ax = dlt_figure_add_axes(f, R, C, r0, c0);
  if (ax) ax->r1 = r1, ax->c1 = c1;
  return ax;
}

dlt_axes *dlt_axes_twin(dlt_axes *ax, int kind) {
  dlt_figure *f = ax->fig;
  dlt_axes *t = dlt_figure_add_axes(f, f->nrows, f->ncols, ax->r0, ax->c0);
  if (!t) return NULL;
  t->r1 = ax->r1, t->c1 = ax->c1;
  t->twin = ax, t->twin_kind = kind;
  return t;
}

int dlt_figure_suptitle(dlt_figure *f, const char *s, double size) {
  if (dlt_set_string(&f->suptitle, s, "suptitle") != 0) return -1;
  f->suptitle_size = size > 0 ? size : f->st.font_size * f->st.figtitle_scale;
  return 0;
}

int dlt_axes_colorbar(dlt_axes *ax, dlt_artist *m, const char *label) {
  if (!m->mapped)
    return dlt_failn("colorbar: the mappable has no colormap (use contour, contourf, imshow or scatter with c)");
  ax->cbar = m;
  return dlt_set_string(&ax->cbar_label, label, "colorbar");
}
