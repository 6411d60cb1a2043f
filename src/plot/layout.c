/* layout.c: where things go, as matplotlib places them: grid cells from the subplot
 * parameters, colorbars split off their parent's cell, autoscaled limits with 5%
 * margins and sticky edges, equal aspect for images, ticks, and tight_layout. */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

double dlt_pt(const dlt_figure *f, double points) { return points * f->dpi / 72.0; }

void dlt_box_union(dlt_box *a, dlt_box b) {
  a->x0 = fmin(a->x0, b.x0), a->y0 = fmin(a->y0, b.y0);
  a->x1 = fmax(a->x1, b.x1), a->y1 = fmax(a->y1, b.y1);
}

/* GridSpec.get_grid_positions with the figure's subplot parameters; pixels, y down */
void dlt_layout_cells(dlt_figure *f) {
  double W = f->w * f->dpi, H = f->h * f->dpi;
  double cw = (f->right - f->left) / (f->ncols + f->wspace * (f->ncols - 1));
  double chh = (f->top - f->bottom) / (f->nrows + f->hspace * (f->nrows - 1));
  for (int i = 0; i < f->nax; i++) {
    dlt_axes *ax = f->ax[i];
    double x0 = f->left + ax->c0 * cw * (1 + f->wspace);
    double x1 = f->left + (ax->c1 - 1) * cw * (1 + f->wspace) + cw;
    double top = f->top - ax->r0 * chh * (1 + f->hspace);
    double bot = f->top - (ax->r1 - 1) * chh * (1 + f->hspace) - chh;
    ax->cx = x0 * W, ax->cy = (1 - top) * H, ax->cw = (x1 - x0) * W, ax->ch = (top - bot) * H;
    ax->bx = ax->cx, ax->by = ax->cy, ax->bw = ax->cw, ax->bh = ax->ch;
    if (ax->cbar) {
      /* make_axes_gridspec: fraction 0.15, pad 0.05, aspect 20, anchored left */
      double wsp = 2 * 0.05 / 0.95, cell = ax->cw / (2 + wsp);
      double main_w = 0.8 / 0.95 * 2 * cell, cb_w = 0.15 / 0.95 * 2 * cell;
      ax->bw = main_w;
      ax->cb[0] = ax->cx + main_w + wsp * cell;
      ax->cb[1] = ax->cy, ax->cb[3] = ax->ch;
      ax->cb[2] = fmin(cb_w, ax->ch / 20);
    }
  }
}

static void grow(double *lo, double *hi, double v) {
  if (isfinite(v)) *lo = fmin(*lo, v), *hi = fmax(*hi, v);
}

typedef struct {
  double lo, hi;
  double sticky[2];
  int nsticky;
  int tight;
} range;

static void add_sticky(range *r, double v) {
  if (r->nsticky == 0) r->sticky[0] = r->sticky[1] = v, r->nsticky = 1;
  else r->sticky[0] = fmin(r->sticky[0], v), r->sticky[1] = fmax(r->sticky[1], v);
}

/* data limits of the artists along one dimension (y if yd) */
static void data_range(const dlt_axes *ax, int yd, int logscale, range *r) {
  r->lo = INFINITY, r->hi = -INFINITY, r->nsticky = 0, r->tight = 0;
  for (int i = 0; i < ax->nart; i++) {
    const dlt_artist *a = ax->art[i];
    if ((yd ? a->ycoord : a->xcoord) != DLT_COORD_DATA || a->kind == DLT_ART_TEXT) continue;
    if (a->kind == DLT_ART_CONTOUR || a->kind == DLT_ART_IMAGE) {
      double lo = INFINITY, hi = -INFINITY;
      if (a->kind == DLT_ART_IMAGE) lo = -0.5, hi = (yd ? a->rows : a->cols) - 0.5;
      else
        for (int k = 0; k < a->rows * a->cols; k++) grow(&lo, &hi, yd ? a->gy[k] : a->gx[k]);
      grow(&r->lo, &r->hi, lo), grow(&r->lo, &r->hi, hi);
      add_sticky(r, lo), add_sticky(r, hi);
      r->tight = 1;
      continue;
    }
    const double *v = yd ? a->y : a->x;
    const double *o = yd ? a->x : a->y; /* the other coordinate must be finite too */
    for (int64_t k = 0; k < a->n; k++) {
      if (!isfinite(o[k]) && (yd ? a->xcoord : a->ycoord) == DLT_COORD_DATA) continue;
      if (logscale && !(v[k] > 0)) continue;
      grow(&r->lo, &r->hi, v[k]);
    }
    if (a->bars && yd)
      for (int k = 0; k < a->npoly; k++) add_sticky(r, a->y[a->pstart[k]]);
  }
}

/* Axes.autoscale_view for one dimension: nonsingular, margins, sticky edges */
static void autoscale(range *r, int logscale, double margin, double *out) {
  double lo = r->lo, hi = r->hi;
  if (!(lo <= hi)) {
    out[0] = logscale ? 1 : 0, out[1] = logscale ? 10 : 1;
    return;
  }
  if (logscale) {
    if (lo == hi) lo /= 10, hi *= 10;
    double l0 = log10(lo), l1 = log10(hi), d = (l1 - l0) * margin;
    double n0 = pow(10, l0 - d), n1 = pow(10, l1 + d);
    if (r->nsticky && r->sticky[0] > 0 && r->sticky[0] <= lo * (1 + 1e-5) && n0 < r->sticky[0]) n0 = r->sticky[0];
    if (r->nsticky && r->sticky[1] >= hi * (1 - 1e-5) && n1 > r->sticky[1]) n1 = r->sticky[1];
    out[0] = n0, out[1] = n1;
    return;
  }
  if (hi - lo <= fmax(fabs(lo), fabs(hi)) * 1e-15) { /* nonsingular(expander=0.05) */
    if (lo == 0 && hi == 0) lo = -0.05, hi = 0.05;
    else lo -= 0.05 * fabs(lo), hi += 0.05 * fabs(hi);
  }
  double d = (hi - lo) * margin, tol = 1e-5 * (hi - lo);
  double n0 = lo - d, n1 = hi + d;
  /* a margin may not cross a sticky edge (e.g. bars' base at 0, an image's border) */
  if (r->nsticky && r->sticky[0] < lo + tol && n0 < r->sticky[0]) n0 = r->sticky[0];
  if (r->nsticky && r->sticky[1] > hi - tol && n1 > r->sticky[1]) n1 = r->sticky[1];
  out[0] = n0, out[1] = n1;
}

/* the visible ticks of one axis and their labels */
/* LogFormatter's minor labels on a log axis spanning at most one decade: coefficients
 * {1, 2, 3, 4, 6, 10} above 0.4 decades, all of 2..9 below */
static int log_minor(double lo, double hi, int m, double *t, char (*lab)[40], char *minor) {
  double numdec = log10(hi / lo);
  if (numdec > 1) return m;
  for (double d = floor(log10(lo)); d <= ceil(log10(hi)); d++)
    for (int k = 2; k <= 9 && m < DLT_MAXTICKS; k++) {
      double v = k * pow(10, d);
      if (v < lo * (1 - 1e-10) || v > hi * (1 + 1e-10)) continue;
      if (numdec > 0.4 && k != 2 && k != 3 && k != 4 && k != 6) continue;
      t[m] = v, minor[m] = 1;
      dlt_ticks_format_log(v, lab[m], 40);
      m++;
    }
  return m;
}

/* set_xticks' ticks inside the view, labelled by the given labels (text) or else as
 * the axis' formatter labels them */
static int fixed_ticks(dlt_axes *ax, int yd, double lo, double hi, double *t, char (*lab)[40], int *oom,
                       char *minor) {
  const dlt_ticks_fixed *fx = &ax->fixed[yd];
  int logscale = yd ? ax->ylog : ax->xlog, m = 0;
  double slack = (hi - lo) * 1e-10;
  const char **text = ax->tick_text[yd];
  for (int i = 0; i < fx->n; i++) {
    double v = fx->v[i];
    if (v < lo - slack || v > hi + slack || (logscale && !(v > 0))) continue;
    text[m] = fx->lab ? fx->lab[i] : NULL;
    t[m++] = v;
  }
  *oom = 0;
  memset(minor, 0, DLT_MAXTICKS);
  if (fx->lab) {
    for (int i = 0; i < m; i++) lab[i][0] = 0;
    return m;
  }
  if (!logscale) return *oom = dlt_ticks_format(t, m, lo, hi, lab), m;
  for (int i = 0; i < m; i++) dlt_ticks_format_log(t[i], lab[i], 40);
  return m;
}

static int axis_ticks(dlt_axes *ax, int yd, const double *lim, double *t, char (*lab)[40],
                      int *oom, char *minor) {
  const dlt_figure *f = ax->fig;
  for (int i = 0; i < DLT_MAXTICKS; i++) ax->tick_text[yd][i] = NULL;
  if (ax->fixed[yd].set) return fixed_ticks(ax, yd, fmin(lim[0], lim[1]), fmax(lim[0], lim[1]), t, lab, oom, minor);
  int logscale = yd ? ax->ylog : ax->xlog;
  double lo = fmin(lim[0], lim[1]), hi = fmax(lim[0], lim[1]);
  double len_pt = (yd ? ax->bh : ax->bw) * 72.0 / f->dpi;
  int space = dlt_tick_space(len_pt, f->st.font_size, yd);
  double raw[DLT_MAXTICKS];
  int n;
  if (logscale) {
    int nt = space < 2 ? 2 : space > 9 ? 9
                                       : space;
    n = dlt_ticks_log(lo, hi, nt, raw);
  } else {
    int nb = space < 1 ? 1 : space > 9 ? 9
                                       : space;
    n = dlt_ticks_maxn(lo, hi, nb, 2, 1, raw);
  }
  /* ticks inside the view (matplotlib allows a rounding slack) */
  int m = 0;
  double slack = logscale ? 1e-10 : (hi - lo) * 1e-10;
  for (int i = 0; i < n; i++)
    if (logscale ? raw[i] >= lo * (1 - slack) && raw[i] <= hi * (1 + slack)
                 : raw[i] >= lo - slack && raw[i] <= hi + slack)
      t[m++] = raw[i];
  *oom = 0;
  memset(minor, 0, DLT_MAXTICKS);
  if (!logscale) return *oom = dlt_ticks_format(t, m, lo, hi, lab), m;
  for (int i = 0; i < m; i++) dlt_ticks_format_log(t[i], lab[i], 40);
  return log_minor(lo, hi, m, t, lab, minor);
}

/* Axes.apply_aspect with the box adjusted, anchored at the centre: aspect y units on
 * screen per x unit (1 for 'equal') */
static void apply_equal_aspect(dlt_axes *ax, double aspect) {
  double dx = fabs(ax->vx[1] - ax->vx[0]), dy = fabs(ax->vy[1] - ax->vy[0]);
  if (!(dx > 0 && dy > 0)) return;
  double want = aspect * dy / dx;
  if (ax->bh / ax->bw > want) {
    double h = ax->bw * want;
    ax->by += (ax->bh - h) / 2, ax->bh = h;
  } else {
    double w = ax->bh / want;
    ax->bx += (ax->bw - w) / 2, ax->bw = w;
  }
}

static void limits(dlt_axes *ax) {
  const dlt_style *st = &ax->fig->st;
  range r;
  /* explicit limits a log axis cannot show are ignored, as matplotlib warns and does */
  if (ax->xlim_set && !(ax->xlog && (ax->xlim[0] <= 0 || ax->xlim[1] <= 0))) ax->vx[0] = ax->xlim[0], ax->vx[1] = ax->xlim[1];
  else {
    data_range(ax, 0, ax->xlog, &r);
    autoscale(&r, ax->xlog, r.tight ? 0 : st->xmargin, ax->vx);
  }
  if (ax->ylim_set && !(ax->ylog && (ax->ylim[0] <= 0 || ax->ylim[1] <= 0))) ax->vy[0] = ax->ylim[0], ax->vy[1] = ax->ylim[1];
  else {
    data_range(ax, 1, ax->ylog, &r);
    autoscale(&r, ax->ylog, r.tight ? 0 : st->ymargin, ax->vy);
    if (ax->yinvert) {
      double t = ax->vy[0];
      ax->vy[0] = ax->vy[1];
      ax->vy[1] = t;
    }
  }
}

/* a twin takes its parent's box (after the parent's aspect) and scale on the axis they share */
static void twin_box(dlt_axes *t) {
  const dlt_axes *p = t->twin;
  t->bx = p->bx, t->by = p->by, t->bw = p->bw, t->bh = p->bh;
  t->cx = p->cx, t->cy = p->cy, t->cw = p->cw, t->ch = p->ch;
}

/* twinx/twiny share one axis: one view, set by set_xlim on either (the parent's first),
 * else autoscaled over both axes' data (shared axes autoscale together) */
static void twin_share(dlt_axes *t) {
  dlt_axes *p = t->twin;
  int yd = t->twin_kind == 'y';
  int *lg = yd ? &t->ylog : &t->xlog;
  *lg = yd ? p->ylog : p->xlog;
  double *pv = yd ? p->vy : p->vx, *tv = yd ? t->vy : t->vx;
  if (yd ? p->ylim_set : p->xlim_set) {
    tv[0] = pv[0], tv[1] = pv[1];
    return;
  }
  if (yd ? t->ylim_set : t->xlim_set) {
    pv[0] = tv[0], pv[1] = tv[1];
    return;
  }
  range a, b;
  data_range(p, yd, *lg, &a);
  data_range(t, yd, *lg, &b);
  a.lo = fmin(a.lo, b.lo), a.hi = fmax(a.hi, b.hi), a.tight |= b.tight;
  for (int k = 0; k < b.nsticky; k++) add_sticky(&a, b.sticky[k]);
  const dlt_style *st = &p->fig->st;
  double v[2];
  autoscale(&a, *lg, a.tight ? 0 : yd ? st->ymargin
                                      : st->xmargin,
            v);
  int inv = pv[0] > pv[1];
  pv[0] = tv[0] = inv ? v[1] : v[0], pv[1] = tv[1] = inv ? v[0] : v[1];
}

static void ticks(dlt_axes *ax) {
  if (ax->twin) {
    twin_box(ax);
    ax->nxt = axis_ticks(ax, 0, ax->vx, ax->xt, ax->xl, &ax->xoom, ax->xminor);
    ax->nyt = axis_ticks(ax, 1, ax->vy, ax->yt, ax->yl, &ax->yoom, ax->yminor);
    return;
  }
  ax->aspect_equal = 0;
  for (int i = 0; i < ax->nart; i++)
    if (ax->art[i]->kind == DLT_ART_IMAGE && ax->art[i]->aspect_equal) ax->aspect_equal = 1;
  double aspect = 1;
  if (ax->aspect_set) ax->aspect_equal = ax->aspect > 0, aspect = ax->aspect;
  if (ax->aspect_equal && !ax->xlog && !ax->ylog) apply_equal_aspect(ax, aspect);
  ax->nxt = axis_ticks(ax, 0, ax->vx, ax->xt, ax->xl, &ax->xoom, ax->xminor);
  ax->nyt = axis_ticks(ax, 1, ax->vy, ax->yt, ax->yl, &ax->yoom, ax->yminor);
}

/* shared axes take the union of their autoscaled ranges */
static void share(dlt_figure *f, int yd) {
  double lo = INFINITY, hi = -INFINITY;
  for (int i = 0; i < f->nax; i++) {
    const double *v = yd ? f->ax[i]->vy : f->ax[i]->vx;
    lo = fmin(lo, fmin(v[0], v[1])), hi = fmax(hi, fmax(v[0], v[1]));
  }
  for (int i = 0; i < f->nax; i++) {
    double *v = yd ? f->ax[i]->vy : f->ax[i]->vx;
    int inv = v[0] > v[1];
    v[0] = inv ? hi : lo, v[1] = inv ? lo : hi;
  }
}

void dlt_layout_figure(dlt_figure *f) {
  dlt_layout_cells(f);
  for (int i = 0; i < f->nax; i++) limits(f->ax[i]);
  for (int i = 0; i < f->nax; i++)
    if (f->ax[i]->twin) twin_share(f->ax[i]);
  if (f->sharex) share(f, 0);
  if (f->sharey) share(f, 1);
  for (int i = 0; i < f->nax; i++) ticks(f->ax[i]);
}

/* matplotlib's _tight_layout._auto_adjust_subplotpars, once, like Figure.tight_layout */
int dlt_layout_tight(dlt_figure *f, cairo_t *cr) {
  double W = f->w * f->dpi, H = f->h * f->dpi;
  int R = f->nrows, C = f->ncols;
  double *hs = calloc((size_t)R * (C + 1), sizeof *hs), *vs = calloc((size_t)(R + 1) * C, sizeof *vs);
  if (!hs || !vs) {
    free(hs), free(vs);
    return dlt_failn("tight_layout: cannot allocate");
  }
  /* measured from the style's subplot parameters every time, as matplotlib measures from
   * the figure's before its one tight_layout call: a second save lays out the same */
  const dlt_style *st = &f->st;
  f->left = st->sub_left, f->right = st->sub_right, f->bottom = st->sub_bottom;
  f->top = st->sub_top, f->wspace = st->sub_wspace, f->hspace = st->sub_hspace;
  dlt_layout_figure(f);
  for (int i = 0; i < f->nax; i++) {
    dlt_axes *ax = f->ax[i];
    dlt_box t = {ax->bx, ax->by, ax->bx + ax->bw, ax->by + ax->bh};
    dlt_render_axes(ax, cr, 0, &t);
    if (ax->cbar) dlt_render_colorbar(ax, cr, 0, &t);
    /* overhangs beyond the cell, as figure fractions */
    double l = (ax->cx - t.x0) / W, rr = (t.x1 - ax->cx - ax->cw) / W;
    double top = (ax->cy - t.y0) / H, bot = (t.y1 - ax->cy - ax->ch) / H;
    for (int r = ax->r0; r < ax->r1; r++) hs[r * (C + 1) + ax->c0] += l, hs[r * (C + 1) + ax->c1] += rr;
    for (int c = ax->c0; c < ax->c1; c++) vs[ax->r0 * C + c] += top, vs[ax->r1 * C + c] += bot;
  }
  double pad = 1.08 * f->st.font_size / 72.0; /* inches */
  double ml = 0, mr = 0, mt = 0, mb = 0, hsp = 0, vsp = 0;
  for (int r = 0; r < R; r++) {
    ml = fmax(ml, hs[r * (C + 1)]), mr = fmax(mr, hs[r * (C + 1) + C]);
    for (int c = 1; c < C; c++) hsp = fmax(hsp, hs[r * (C + 1) + c]);
  }
  for (int c = 0; c < C; c++) {
    mt = fmax(mt, vs[c]), mb = fmax(mb, vs[R * C + c]);
    for (int r = 1; r < R; r++) vsp = fmax(vsp, vs[r * C + c]);
  }
  free(hs), free(vs);
  ml += pad / f->w, mr += pad / f->w, mt += pad / f->h, mb += pad / f->h;
  if (f->suptitle) {
    dlt_box b = dlt_text(cr, f->suptitle, W / 2, 0.02 * H, dlt_pt(f, f->suptitle_size), DLT_HA_CENTER,
                         DLT_VA_TOP, 0, f->st.label_color, 0);
    mt += (b.y1 - b.y0) / H + pad / f->h;
  }
  if (ml + mr >= 1 || mt + mb >= 1) return 0; /* matplotlib warns and leaves the layout */
  double hspace = hsp + pad / f->w, vspace = vsp + pad / f->h;
  double haxes = (1 - mr - ml - hspace * (C - 1)) / C, vaxes = (1 - mt - mb - vspace * (R - 1)) / R;
  if (haxes <= 0 || vaxes <= 0) return 0;
  f->left = ml, f->right = 1 - mr, f->top = 1 - mt, f->bottom = mb;
  if (C > 1) f->wspace = hspace / haxes;
  if (R > 1) f->hspace = vspace / vaxes;
  return 0;
}

int dlt_figure_layout(dlt_figure *f) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create(s);
  int rc = dlt_text_init();
  if (rc == 0 && f->tight) rc = dlt_layout_tight(f, cr);
  if (rc == 0) dlt_layout_figure(f);
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  return rc;
}

int dlt_figure_tight_bbox(dlt_figure *f, dlt_box *out) {
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, 1);
  cairo_t *cr = cairo_create(s);
  int rc = dlt_text_init();
  if (rc == 0 && f->tight) rc = dlt_layout_tight(f, cr);
  if (rc == 0) {
    dlt_layout_figure(f);
    double W = f->w * f->dpi, H = f->h * f->dpi;
    dlt_box b = {INFINITY, INFINITY, -INFINITY, -INFINITY};
    for (int i = 0; i < f->nax; i++) {
      dlt_axes *ax = f->ax[i];
      dlt_box t = {ax->bx, ax->by, ax->bx + ax->bw, ax->by + ax->bh};
      dlt_render_axes(ax, cr, 0, &t);
      if (ax->cbar) dlt_render_colorbar(ax, cr, 0, &t);
      dlt_box_union(&b, t);
    }
    if (f->suptitle)
      dlt_box_union(&b, dlt_text(cr, f->suptitle, W / 2, 0.02 * H, dlt_pt(f, f->suptitle_size), DLT_HA_CENTER,
                                 DLT_VA_TOP, 0, f->st.label_color, 0));
    if (!(b.x0 <= b.x1)) b = (dlt_box){0, 0, W, H}; /* nothing drawn: the whole figure */
    *out = b;
  }
  cairo_destroy(cr);
  cairo_surface_destroy(s);
  return rc;
}
