/* render.c: draws a laid-out figure with Cairo: axes face, grid, artists clipped to
 * the axes (in zorder), spines, tick labels, axis labels, titles, colorbars,
 * legends and the suptitle; with draw 0 it only measures the decorations. */
#include <cairo.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

static void src(cairo_t *cr, dlt_rgba c, double alpha) {
  cairo_set_source_rgba(cr, c.r, c.g, c.b, c.a * alpha);
}

/* data (or axes-fraction) value to pixels; NaN where a log axis cannot show it */
static double to_px(const dlt_axes *ax, int yd, double v, int coord) {
  if (coord == DLT_COORD_AXES) return yd ? ax->by + ax->bh * (1 - v) : ax->bx + ax->bw * v;
  int lg = yd ? ax->ylog : ax->xlog;
  const double *lim = yd ? ax->vy : ax->vx;
  double a = lim[0], b = lim[1];
  if (lg) {
    if (!(v > 0)) return NAN;
    v = log10(v), a = log10(a), b = log10(b);
  }
  double t = (v - a) / (b - a);
  return yd ? ax->by + ax->bh * (1 - t) : ax->bx + ax->bw * t;
}

double dlt_data_px(const dlt_axes *ax, int yaxis, double v) { return to_px(ax, yaxis, v, DLT_COORD_DATA); }

/* Agg's PathSnapper: a rectilinear line lands on pixel centres when its rounded width
 * is odd, on pixel edges when even: floor(v + 0.5) + (0.5 or 0), in Agg's y-up
 * coordinates; snap_y takes our y-down value and the figure height */
static double snap(double v, double lw) {
  return floor(v + 0.5) + (((int)round(lw) % 2) ? 0.5 : 0.0);
}
static double snap_y(double v, double lw, double H) { return H - snap(H - v, lw); }

/* Simplified lines of more vertices than this are stroked by dlt_stroke_fill: past
 * it, Cairo's stroker slows sharply on a line that doubles back on itself. */
#define STROKE_FILL_MIN 2000

static void draw_line(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a) {
  const dlt_figure *f = ax->fig;
  const dlt_linestyle *ls = &a->ls;
  double lw = dlt_pt(f, ls->width);
  if (ls->ls != DLT_LS_NONE && lw > 0) {
    int pen = 0, simplify = a->n >= 128 && f->st.simplify_threshold > 0; /* matplotlib simplifies paths of 128 points or more */
    dlt_simplifier s;
    dlt_simp_init(&s, cr, f->st.simplify_threshold, a->n > DLT_SIMPLIFY_EXACT_MAX);
    for (int64_t i = 0; i < a->n; i++) {
      double px = to_px(ax, 0, a->x[i], a->xcoord), py = to_px(ax, 1, a->y[i], a->ycoord);
      if (!isfinite(px) || !isfinite(py)) {
        if (pen && simplify) dlt_simp_end(&s, 0);
        pen = 0;
        continue;
      }
      if (simplify) pen ? dlt_simp_line(&s, px, py) : dlt_simp_move(&s, px, py);
      else {
        pen ? cairo_line_to(cr, px, py) : cairo_move_to(cr, px, py);
        s.nv++;
      }
      pen = 1;
    }
    if (pen && simplify) dlt_simp_end(&s, 0);
    int dashed = ls->ls != DLT_LS_SOLID;
    cairo_set_line_cap(cr, dashed             ? CAIRO_LINE_CAP_BUTT
                           : f->st.round_caps ? CAIRO_LINE_CAP_ROUND
                                              : CAIRO_LINE_CAP_SQUARE);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_set_line_width(cr, lw);
    dlt_set_dash(cr, ls->ls, lw, 1);
    src(cr, ls->color, a->alpha);
    if (s.nv > STROKE_FILL_MIN) dlt_stroke_fill(cr);
    else cairo_stroke(cr);
    cairo_set_dash(cr, NULL, 0, 0);
  }
  if (!ls->marker) return;
  double ms = dlt_pt(f, ls->msize), mew = dlt_pt(f, ls->mew);
  for (int64_t i = 0; i < a->n; i++) {
    double px = to_px(ax, 0, a->x[i], a->xcoord), py = to_px(ax, 1, a->y[i], a->ycoord);
    if (!isfinite(px) || !isfinite(py)) continue;
    dlt_marker_path(cr, ls->marker, px, py, ms);
  }
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  if (dlt_marker_filled(ls->marker)) {
    src(cr, ls->mface, a->alpha);
    cairo_fill_preserve(cr);
  }
  src(cr, ls->medge, a->alpha);
  cairo_set_line_width(cr, mew);
  cairo_stroke(cr);
}

/* Normalize(vmin, vmax) then the colormap; matplotlib maps everything to 0 when
 * vmin == vmax */
static dlt_rgba mapped(const dlt_artist *a, double v) {
  if (isnan(v)) return dlt_cmap_eval(a->cmap, NAN);
  double t = a->vmax > a->vmin ? (v - a->vmin) / (a->vmax - a->vmin) : 0;
  return dlt_cmap_eval(a->cmap, t);
}

/* one scatter marker of size sz pixels at (px, py): face c, then the edge e */
static void marker_at(cairo_t *cr, char marker, double px, double py, double sz, dlt_rgba c, dlt_rgba e,
                      double lw, double alpha) {
  dlt_marker_path(cr, marker, px, py, sz);
  if (dlt_marker_filled(marker)) {
    src(cr, c, alpha);
    cairo_fill_preserve(cr);
  }
  if (lw > 0 && e.a > 0) {
    src(cr, e, alpha);
    cairo_stroke(cr);
  } else cairo_new_path(cr);
}

/* Markers alike in size and colours are drawn once per subpixel offset (steps of
 * 1/STAMP_Q pixel, so a marker lands at most 1/8 pixel off) into a small image, then
 * composited at each point: the same fill then edge OVER the figure, at a fraction
 * of the cost. */
#define STAMP_Q 4
typedef struct {
  cairo_surface_t *img[STAMP_Q * STAMP_Q];
  int lo, side; /* the image spans lo .. lo+side-1 pixels about the marker's pixel */
  char marker;
  double sz, lw, alpha;
  dlt_rgba c, e;
} stamps;

static void stamps_init(stamps *st, cairo_t *cr, char marker, double sz, dlt_rgba c, dlt_rgba e, double lw,
                        double alpha) {
  *st = (stamps){.marker = marker, .sz = sz, .lw = lw, .alpha = alpha, .c = c, .e = e};
  double x0, y0, x1, y1, f0, g0, f1, g1; /* the marker's ink about (0, 0): fill, edge, miters */
  cairo_new_path(cr);
  dlt_marker_path(cr, marker, 0, 0, sz);
  cairo_stroke_extents(cr, &x0, &y0, &x1, &y1);
  cairo_fill_extents(cr, &f0, &g0, &f1, &g1);
  cairo_new_path(cr);
  /* a pixel of antialiasing and one of offset beyond the ink */
  int r = (int)ceil(fmax(fmax(fmax(-x0, -y0), fmax(x1, y1)), fmax(fmax(-f0, -g0), fmax(f1, g1)))) + 2;
  st->lo = -r, st->side = 2 * r + 1;
}

/* the image of the marker at offset (qx, qy)/STAMP_Q, made when first needed */
static cairo_surface_t *stamp(stamps *st, int qx, int qy) {
  cairo_surface_t **s = &st->img[qy * STAMP_Q + qx];
  if (*s) return *s;
  *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, st->side, st->side);
  cairo_t *c = cairo_create(*s);
  cairo_set_line_width(c, st->lw);
  cairo_set_line_join(c, CAIRO_LINE_JOIN_MITER);
  marker_at(c, st->marker, -st->lo + (double)qx / STAMP_Q, -st->lo + (double)qy / STAMP_Q, st->sz, st->c, st->e,
            st->lw, st->alpha);
  cairo_destroy(c);
  cairo_surface_flush(*s);
  return *s;
}

static void stamps_free(stamps *st) {
  for (int k = 0; k < STAMP_Q * STAMP_Q; k++) cairo_surface_destroy(st->img[k]);
}

/* the whole pixel below v and the subpixel step past it */
static void split_px(double v, int *whole, int *q) {
  double fl = floor(v);
  *whole = (int)fl, *q = (int)lround((v - fl) * STAMP_Q);
  if (*q == STAMP_Q) ++*whole, *q = 0;
}

static void draw_scatter(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a) {
  const dlt_figure *f = ax->fig;
  double lw = dlt_pt(f, a->lw);
  cairo_set_line_width(cr, lw);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  int filled = dlt_marker_filled(a->ls.marker);
  /* all alike (one size, one colour) and enough of them to pay for the stamps */
  int alike = a->ns <= 1 && !a->cvals && a->ncolors <= 1 && a->n >= 2 * STAMP_Q * STAMP_Q;
  stamps st = {0};
  for (int64_t i = 0; i < a->n; i++) {
    double px = to_px(ax, 0, a->x[i], 0), py = to_px(ax, 1, a->y[i], 0);
    if (!isfinite(px) || !isfinite(py)) continue;
    double s = a->ns ? a->s[a->ns == 1 ? 0 : i] : f->st.markersize * f->st.markersize;
    if (!(s > 0)) continue;
    dlt_rgba c = a->cvals ? mapped(a, a->cvals[i]) : a->ncolors ? a->colors[a->ncolors == 1 ? 0 : i]
                                                                : a->face;
    if (a->cvals && isnan(a->cvals[i])) continue;
    dlt_rgba e = a->edge_face || !filled ? c : a->edge;
    double sz = dlt_pt(f, sqrt(s));
    int ix = 0, iy = 0, qx, qy;
    cairo_surface_t *img = NULL;
    if (alike && fabs(px) < 1e6 && fabs(py) < 1e6) { /* whole pixels fit an int */
      if (!st.side) stamps_init(&st, cr, a->ls.marker, sz, c, e, lw, a->alpha);
      alike = st.side <= 64; /* big markers are few: 16 images of them would cost more */
      split_px(px, &ix, &qx), split_px(py, &iy, &qy);
      img = alike ? stamp(&st, qx, qy) : NULL;
    }
    if (img && cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
      cairo_set_source_surface(cr, img, ix + st.lo, iy + st.lo);
      cairo_paint(cr);
    } else {
      marker_at(cr, a->ls.marker, px, py, sz, c, e, lw, a->alpha);
    }
  }
  stamps_free(&st);
}

static void poly_path(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, int k) {
  int pen = 0;
  for (int i = a->pstart[k]; i < a->pstart[k + 1]; i++) {
    double px = to_px(ax, 0, a->x[i], a->xcoord), py = to_px(ax, 1, a->y[i], a->ycoord);
    if (!isfinite(px) || !isfinite(py)) continue;
    if (pen) cairo_line_to(cr, px, py);
    else cairo_move_to(cr, px, py), pen = 1;
  }
  cairo_close_path(cr);
}

static void draw_patch(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a) {
  double lw = dlt_pt(ax->fig, a->lw);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  for (int k = 0; k < a->npoly; k++) {
    poly_path(ax, cr, a, k);
    src(cr, a->face, a->alpha);
    if (a->has_edge && lw > 0) {
      cairo_fill_preserve(cr);
      cairo_set_line_width(cr, lw);
      src(cr, a->edge, a->alpha);
      cairo_stroke(cr);
    } else {
      cairo_fill(cr);
    }
  }
}

/* colour of contour level (or band) i: explicit colours cycle, else the cmap at the
 * level (lines) or band midpoint (fills) normalized over the levels */
static dlt_rgba level_color(const dlt_artist *a, int i) {
  if (a->nlcolors) return a->lcolors[i % a->nlcolors];
  double v = a->filled ? 0.5 * (a->levels[i] + a->levels[i + 1]) : a->levels[i];
  return mapped(a, v);
}

/* whether subpath k of p lies wholly above or below the rows [lo, hi] (user space):
 * Cairo would draw none of it there. Contour bands come as one outline a grid row, so
 * a band of the image drawn alone skips about half of them. Kept when unsure (NaN). */
static int off_rows(const dlt_axes *ax, const dlt_paths *p, int k, double lo, double hi) {
  double y0 = p->y[p->start[k]], y1 = y0;
  for (int i = p->start[k] + 1; i < p->start[k + 1]; i++) y0 = fmin(y0, p->y[i]), y1 = fmax(y1, p->y[i]);
  double a = to_px(ax, 1, y0, 0), b = to_px(ax, 1, y1, 0);
  return fmax(a, b) < lo || fmin(a, b) > hi;
}

/* p's subpaths into cr's path, those that reach within margin pixels of the clip */
static void paths_to_cairo(const dlt_axes *ax, cairo_t *cr, const dlt_paths *p, int simplify, double margin) {
  dlt_simplifier s;
  dlt_simp_init(&s, cr, ax->fig->st.simplify_threshold, 0);
  simplify = simplify && s.tol2 > 0;
  double cx0, cy0, cx1, cy1;
  cairo_clip_extents(cr, &cx0, &cy0, &cx1, &cy1);
  for (int k = 0; k < p->n; k++) {
    if (p->start[k + 1] > p->start[k] && off_rows(ax, p, k, cy0 - margin, cy1 + margin)) continue;
    for (int i = p->start[k]; i < p->start[k + 1]; i++) {
      double px = to_px(ax, 0, p->x[i], 0), py = to_px(ax, 1, p->y[i], 0);
      if (!simplify) {
        if (i == p->start[k]) cairo_move_to(cr, px, py);
        else cairo_line_to(cr, px, py);
      } else if (i == p->start[k]) dlt_simp_move(&s, px, py);
      else dlt_simp_line(&s, px, py);
    }
    if (simplify) dlt_simp_end(&s, p->closed[k]);
    else if (p->closed[k]) cairo_close_path(cr);
  }
}

/* ---- contours computed once for all the threads drawing a figure ---- */
struct dlt_contours {
  int n; /* contour artists */
  const dlt_artist **a;
  dlt_paths **p;      /* of artist k: its bands (filled) or one set of lines a level */
  unsigned char **ok; /* which of them were computed */
  atomic_int next;    /* the next of the 2n halves (of an artist's paths) to compute */
  int done;           /* halves computed: under lock */
  pthread_mutex_t lock;
  pthread_cond_t cond;
};

/* filled: each band's outlines in two parts, rows of cells [0, m) then the rest */
static int npaths(const dlt_artist *a) { return a->filled ? 2 * (a->nlevels - 1) : a->nlevels; }

void dlt_contours_free(dlt_contours *c) {
  if (!c) return;
  for (int k = 0; k < c->n; k++) {
    for (int i = 0; c->p[k] && i < npaths(c->a[k]); i++) dlt_paths_free(&c->p[k][i]);
    free(c->p[k]), free(c->ok[k]);
  }
  free(c->a), free(c->p), free(c->ok);
  pthread_mutex_destroy(&c->lock);
  pthread_cond_destroy(&c->cond);
  free(c);
}

dlt_contours *dlt_contours_new(const dlt_figure *f) {
  int n = 0;
  for (int i = 0; i < f->nax; i++)
    for (int j = 0; j < f->ax[i]->nart; j++) n += f->ax[i]->art[j]->kind == DLT_ART_CONTOUR;
  if (!n) return NULL;
  dlt_contours *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  pthread_mutex_init(&c->lock, NULL);
  pthread_cond_init(&c->cond, NULL);
  c->a = calloc((size_t)n, sizeof *c->a), c->p = calloc((size_t)n, sizeof *c->p), c->ok = calloc((size_t)n, sizeof *c->ok);
  if (!c->a || !c->p || !c->ok) {
    dlt_contours_free(c);
    return NULL;
  }
  for (int i = 0; i < f->nax; i++)
    for (int j = 0; j < f->ax[i]->nart; j++) {
      const dlt_artist *a = f->ax[i]->art[j];
      if (a->kind != DLT_ART_CONTOUR) continue;
      c->a[c->n] = a;
      c->p[c->n] = calloc((size_t)npaths(a) + 1, sizeof **c->p);
      c->ok[c->n] = calloc((size_t)npaths(a) + 1, 1);
      if (!c->p[c->n++] || !c->ok[c->n - 1]) {
        dlt_contours_free(c);
        return NULL;
      }
    }
  return c;
}

/* half h of artist k's paths: for bands, the first or the rest of the rows of cells
 * (each row is read once); for lines, the first or the rest of the levels */
static void contour_half(dlt_contours *c, int k, int h) {
  const dlt_artist *a = c->a[k];
  if (a->filled) {
    int nb = a->nlevels - 1, m = (a->rows - 1) / 2;
    int ok = dlt_contour_bands_rows(a->gx, a->gy, a->gz, a->rows, a->cols, a->levels, a->nlevels, h ? m : 0,
                                    h ? a->rows - 1 : m, c->p[k] + (h ? nb : 0)) == 0;
    for (int i = 0; i < nb; i++) c->ok[k][i + (h ? nb : 0)] = (unsigned char)ok;
    return;
  }
  int np = npaths(a), i0 = h ? np / 2 : 0, i1 = h ? np : np / 2;
  int done = dlt_contour_lines_range(a->gx, a->gy, a->gz, a->rows, a->cols, a->levels, i0, i1, c->p[k]);
  for (int i = i0; i < done; i++) c->ok[k][i] = 1;
}

/* Each drawing thread calls this before drawing: it computes halves nobody has
 * taken, then waits for those others are computing. */
void dlt_contours_compute(dlt_contours *c) {
  if (!c) return;
  for (int t; (t = atomic_fetch_add(&c->next, 1)) < 2 * c->n;) {
    contour_half(c, t / 2, t % 2);
    pthread_mutex_lock(&c->lock);
    c->done++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
  }
  pthread_mutex_lock(&c->lock);
  while (c->done < 2 * c->n) pthread_cond_wait(&c->cond, &c->lock);
  pthread_mutex_unlock(&c->lock);
}

/* the contours dlt_render_draw was given on this thread (NULL: compute while drawing) */
static _Thread_local const dlt_contours *given;

/* artist a's computed paths and their flags, if given */
static dlt_paths *given_paths(const dlt_artist *a, const unsigned char **ok) {
  for (int k = 0; given && k < given->n; k++)
    if (given->a[k] == a) return *ok = given->ok[k], given->p[k];
  return NULL;
}

/* the bands' outlines, each followed by its rest (NULL: none) */
static void fill_bands(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, const dlt_paths *bands,
                       const dlt_paths *rest) {
  /* unantialiased, as matplotlib draws contourf (antialiased=False): each pixel goes
   * to the one band holding its centre, so neighbouring bands leave no light seam
   * where both cover part of a pixel */
  cairo_antialias_t aa = cairo_get_antialias(cr);
  cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
  cairo_set_fill_rule(cr, CAIRO_FILL_RULE_WINDING);
  for (int i = 0; i < a->nlevels - 1; i++) {
    paths_to_cairo(ax, cr, &bands[i], 0, 2); /* antialiasing reaches a pixel */
    if (rest) paths_to_cairo(ax, cr, &rest[i], 0, 2);
    src(cr, level_color(a, i), a->alpha);
    cairo_fill(cr);
  }
  cairo_set_antialias(cr, aa);
}

static void stroke_level(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, int i, const dlt_paths *p, double lw) {
  /* linestyles if given, else contour.negative_linestyle (dashed) for one colour */
  int style = a->ls.ls != DLT_LS_SOLID               ? a->ls.ls
              : a->nlcolors == 1 && a->levels[i] < 0 ? DLT_LS_DASHED
                                                     : DLT_LS_SOLID;
  if (style == DLT_LS_NONE) return;
  dlt_set_dash(cr, style, lw, 1);
  paths_to_cairo(ax, cr, p, 1, 2 * lw + 2); /* round joins reach lw / 2 */
  src(cr, level_color(a, i), a->alpha);
  cairo_stroke(cr);
}

/* labelled contour lines: all levels' paths, then the labels placed (clabel.c), the
 * lines left around them stroked and the labels drawn along them */
static void draw_labelled(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, const dlt_paths *cached,
                          const unsigned char *ok, double lw) {
  int n = a->nlevels, all = 1;
  for (int i = 0; cached && i < n; i++) all &= ok[i];
  dlt_paths *in = calloc((size_t)n, sizeof *in), *out = calloc((size_t)n, sizeof *out);
  int made = !cached || !all, rc = in && out ? 0 : -1;
  for (int i = 0; i < n && rc == 0; i++)
    if (made) rc = dlt_contour_lines(a->gx, a->gy, a->gz, a->rows, a->cols, a->levels[i], &in[i]);
    else in[i] = cached[i];
  dlt_clabel_pos *pos = NULL;
  int npos = 0;
  if (rc == 0 && dlt_clabel_layout(ax, cr, a, in, out, &pos, &npos) == 0) {
    for (int i = 0; i < n; i++) stroke_level(ax, cr, a, i, &out[i], lw);
    cairo_set_dash(cr, NULL, 0, 0);
    const dlt_clabel *c = a->clabel;
    for (int k = 0; k < npos; k++) {
      dlt_rgba col = c->has_color ? c->color : level_color(a, pos[k].level);
      dlt_text_rot(cr, c->text[pos[k].level], pos[k].x, pos[k].y, dlt_pt(ax->fig, c->fontsize), DLT_HA_CENTER,
                   DLT_VA_CENTER, pos[k].rot, 1, dlt_rgba_alpha(col, a->alpha * col.a), 1);
    }
  }
  for (int i = 0; made && in && i < n; i++) dlt_paths_free(&in[i]);
  for (int i = 0; out && i < n; i++) dlt_paths_free(&out[i]);
  free(in), free(out), free(pos);
}

static void draw_contour(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a) {
  const unsigned char *ok = NULL;
  dlt_paths *cached = given_paths(a, &ok);
  if (a->filled) {
    int nb = a->nlevels - 1, all = 1;
    for (int i = 0; cached && i < 2 * nb; i++) all &= ok[i];
    if (cached) {
      if (all) fill_bands(ax, cr, a, cached, cached + nb);
      return;
    }
    dlt_paths *bands = calloc((size_t)nb, sizeof *bands);
    if (bands && dlt_contour_bands(a->gx, a->gy, a->gz, a->rows, a->cols, a->levels, a->nlevels, bands) == 0)
      fill_bands(ax, cr, a, bands, NULL);
    for (int i = 0; bands && i < nb; i++) dlt_paths_free(&bands[i]);
    free(bands);
    return;
  }
  dlt_paths p = {0};
  double lw = dlt_pt(ax->fig, a->ls.width);
  cairo_set_line_width(cr, lw);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  if (a->clabel) {
    draw_labelled(ax, cr, a, cached, ok, lw);
    return;
  }
  for (int i = 0; i < a->nlevels; i++) {
    if (cached ? !ok[i] : dlt_contour_lines(a->gx, a->gy, a->gz, a->rows, a->cols, a->levels[i], &p) != 0) break;
    stroke_level(ax, cr, a, i, cached ? &cached[i] : &p, lw);
  }
  cairo_set_dash(cr, NULL, 0, 0);
  dlt_paths_free(&p);
}

/* An image img of w x h colours drawn over (x0,y0)-(x1,y1) with nearest-neighbour
 * sampling: each pixel shows the colour at its centre (none outside the image), its
 * coverage by the rectangle antialiased. The pixels are picked here, into an image
 * placed at whole pixels, rather than by a scaled Cairo pattern: pixman's fixed-point
 * transform is rounded about the centre of the area drawn, so a band of the figure
 * drawn alone would pick differently where a pixel centre meets an image edge. User
 * space is the figure's pixels (moved by whole rows when a band is drawn). */
static void draw_pixels(cairo_t *cr, cairo_surface_t *img, int w, int h, double x0, double y0,
                        double x1, double y1) {
  double sx = (x1 - x0) / w, sy = (y1 - y0) / h, cx0, cy0, cx1, cy1;
  if (!(isfinite(x0) && isfinite(y0) && isfinite(sx) && isfinite(sy) && sx != 0 && sy != 0)) return;
  cairo_clip_extents(cr, &cx0, &cy0, &cx1, &cy1);
  /* the rectangle within what can be seen (a pixel beyond, so its edges there stay out) */
  double lx = fmax(fmin(x0, x1), cx0 - 1), hx = fmin(fmax(x0, x1), cx1 + 1);
  double ly = fmax(fmin(y0, y1), cy0 - 1), hy = fmin(fmax(y0, y1), cy1 + 1);
  if (!(lx < hx && ly < hy)) return;
  int X0 = (int)floor(lx), Y0 = (int)floor(ly), nx = (int)ceil(hx) - X0, ny = (int)ceil(hy) - Y0;
  cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, nx, ny);
  int *col = malloc((size_t)nx * sizeof *col);
  if (col && cairo_surface_status(s) == CAIRO_STATUS_SUCCESS) {
    cairo_surface_flush(s);
    const unsigned char *in = cairo_image_surface_get_data(img);
    unsigned char *out = cairo_image_surface_get_data(s);
    int istride = cairo_image_surface_get_stride(img), ostride = cairo_image_surface_get_stride(s);
    for (int i = 0; i < nx; i++) { /* the image column at each pixel column's centre */
      double u = (X0 + i + 0.5 - x0) / sx;
      col[i] = u >= 0 && u < w ? (int)u : -1;
    }
    for (int j = 0; j < ny; j++) {
      double v = (Y0 + j + 0.5 - y0) / sy;
      int r = v >= 0 && v < h ? (int)v : -1;
      const uint32_t *src_row = (const uint32_t *)(in + (size_t)(r < 0 ? 0 : r) * istride);
      uint32_t *o = (uint32_t *)(out + (size_t)j * ostride);
      for (int i = 0; i < nx; i++) o[i] = r >= 0 && col[i] >= 0 ? src_row[col[i]] : 0;
    }
    cairo_surface_mark_dirty(s);
    cairo_set_source_surface(cr, s, X0, Y0);
    cairo_rectangle(cr, lx, ly, hx - lx, hy - ly);
    cairo_fill(cr);
  }
  free(col);
  cairo_surface_destroy(s);
}

static uint32_t argb(dlt_rgba c, double alpha) {
  double a = c.a * alpha;
  return (uint32_t)lround(a * 255) << 24 | (uint32_t)lround(c.r * a * 255) << 16 |
         (uint32_t)lround(c.g * a * 255) << 8 | (uint32_t)lround(c.b * a * 255);
}

static void draw_image(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a) {
  cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, a->cols, a->rows);
  if (cairo_surface_status(img) != CAIRO_STATUS_SUCCESS) {
    cairo_surface_destroy(img);
    return;
  }
  cairo_surface_flush(img);
  unsigned char *data = cairo_image_surface_get_data(img);
  int stride = cairo_image_surface_get_stride(img);
  for (int i = 0; i < a->rows; i++) {
    uint32_t *row = (uint32_t *)(data + (size_t)i * stride);
    for (int j = 0; j < a->cols; j++) row[j] = argb(mapped(a, a->gz[i * a->cols + j]), a->alpha);
  }
  cairo_surface_mark_dirty(img);
  /* origin 'upper': row 0 spans y in [-0.5, 0.5] */
  double x0 = to_px(ax, 0, -0.5, 0), x1 = to_px(ax, 0, a->cols - 0.5, 0);
  double y0 = to_px(ax, 1, -0.5, 0), y1 = to_px(ax, 1, a->rows - 0.5, 0);
  draw_pixels(cr, img, a->cols, a->rows, x0, y0, x1, y1);
  cairo_surface_destroy(img);
}

/* a text artist's box, drawn when draw: outside the axes' clip too unless clip_on */
static dlt_box text_artist(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, int draw) {
  if (draw && a->unclipped) cairo_save(cr), cairo_reset_clip(cr);
  if (a->annot) {
    dlt_box b = dlt_annotation_draw(ax, cr, a, draw);
    if (draw && a->unclipped) cairo_restore(cr);
    return b;
  }
  dlt_box b = dlt_text(cr, a->text, to_px(ax, 0, a->x[0], 0), to_px(ax, 1, a->y[0], 0), dlt_pt(ax->fig, a->fontsize),
                       a->ha, a->va, 0, dlt_rgba_alpha(a->ls.color, a->alpha * a->ls.color.a), draw);
  if (draw && a->unclipped) cairo_restore(cr);
  return b;
}

static void draw_artist(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a) {
  switch (a->kind) {
  case DLT_ART_LINE: draw_line(ax, cr, a); break;
  case DLT_ART_SCATTER: draw_scatter(ax, cr, a); break;
  case DLT_ART_PATCH: draw_patch(ax, cr, a); break;
  case DLT_ART_CONTOUR: draw_contour(ax, cr, a); break;
  case DLT_ART_IMAGE: draw_image(ax, cr, a); break;
  case DLT_ART_TEXT: text_artist(ax, cr, a, 1); break;
  }
}

static int by_zorder(const void *p, const void *q) {
  const dlt_artist *a = *(dlt_artist *const *)p, *b = *(dlt_artist *const *)q;
  return (a->zorder > b->zorder) - (a->zorder < b->zorder);
}

static void draw_grid(const dlt_axes *ax, cairo_t *cr) {
  const dlt_style *st = &ax->fig->st;
  double lw = dlt_pt(ax->fig, st->grid_lw);
  cairo_set_line_width(cr, lw);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_BUTT);
  for (int i = 0; i < ax->nxt && ax->twin_kind != 'x'; i++) { /* a twin has no grid on the shared axis */
    if (ax->xminor[i]) continue;
    double x = snap(to_px(ax, 0, ax->xt[i], 0), lw);
    cairo_move_to(cr, x, ax->by), cairo_line_to(cr, x, ax->by + ax->bh);
  }
  for (int i = 0; i < ax->nyt && ax->twin_kind != 'y'; i++) {
    if (ax->yminor[i]) continue;
    double y = snap_y(to_px(ax, 1, ax->yt[i], 0), lw, ax->fig->h * ax->fig->dpi);
    cairo_move_to(cr, ax->bx, y), cairo_line_to(cr, ax->bx + ax->bw, y);
  }
  src(cr, st->grid_color, ax->grid_alpha);
  cairo_stroke(cr);
}

static void draw_frame(cairo_t *cr, const dlt_figure *f, double x, double y, double w, double h) {
  double lw = dlt_pt(f, f->st.axes_lw);
  double H = f->h * f->dpi;
  double x0 = snap(x, lw), y0 = snap_y(y, lw, H), x1 = snap(x + w, lw), y1 = snap_y(y + h, lw, H);
  cairo_set_line_width(cr, lw);
  cairo_set_line_join(cr, CAIRO_LINE_JOIN_MITER);
  cairo_set_line_cap(cr, CAIRO_LINE_CAP_SQUARE);
  cairo_rectangle(cr, x0, y0, x1 - x0, y1 - y0);
  src(cr, f->st.axes_edge, 1);
  cairo_stroke(cr);
}

/* tick labels and axis labels of one axes; returns their union in *tight */
static void decorations(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight) {
  const dlt_figure *f = ax->fig;
  const dlt_style *st = &f->st;
  double fs = dlt_pt(f, st->font_size), off = dlt_pt(f, st->tick_len + st->tick_pad);
  double tl = dlt_pt(f, st->tick_len);
  dlt_box xb = {ax->bx, ax->by + ax->bh, ax->bx + ax->bw, ax->by + ax->bh}, yb = {ax->bx, ax->by, ax->bx, ax->by + ax->bh};
  int nx = 0, ny = 0;
  if (draw && tl > 0) {
    cairo_set_line_width(cr, dlt_pt(f, 0.8));
    for (int i = 0; i < ax->nxt; i++) {
      double x = snap(to_px(ax, 0, ax->xt[i], 0), 1);
      cairo_move_to(cr, x, ax->by + ax->bh), cairo_line_to(cr, x, ax->by + ax->bh + tl);
    }
    for (int i = 0; i < ax->nyt; i++) {
      double y = snap_y(to_px(ax, 1, ax->yt[i], 0), 1, f->h * f->dpi);
      cairo_move_to(cr, ax->bx, y), cairo_line_to(cr, ax->bx - tl, y);
    }
    src(cr, st->tick_color, 1);
    cairo_stroke(cr);
  }
  int hidex = f->sharex && ax->r1 < f->nrows, hidey = f->sharey && ax->c0 > 0;
  const dlt_ticks_fixed *fx = &ax->fixed[0], *fy = &ax->fixed[1];
  double fsx = fx->fontsize > 0 ? dlt_pt(f, fx->fontsize) : fs, fsy = fy->fontsize > 0 ? dlt_pt(f, fy->fontsize) : fs;
  for (int i = 0; i < ax->nxt && !hidex; i++) {
    const char *s = ax->tick_text[0][i] ? ax->tick_text[0][i] : ax->xl[i];
    dlt_box b = dlt_text_rot(cr, s, to_px(ax, 0, ax->xt[i], 0), ax->by + ax->bh + off, fsx,
                             fx->ha >= 0 ? fx->ha : DLT_HA_CENTER, fx->va >= 0 ? fx->va : DLT_VA_TOP, fx->rot, 0,
                             st->tick_color, draw);
    if (nx++ == 0) xb = b;
    else dlt_box_union(&xb, b);
  }
  for (int i = 0; i < ax->nyt && !hidey; i++) {
    const char *s = ax->tick_text[1][i] ? ax->tick_text[1][i] : ax->yl[i];
    dlt_box b = dlt_text_rot(cr, s, ax->bx - off, to_px(ax, 1, ax->yt[i], 0), fsy, fy->ha >= 0 ? fy->ha : DLT_HA_RIGHT,
                             fy->va >= 0 ? fy->va : DLT_VA_CENTER_BASELINE, fy->rot, 0, st->tick_color, draw);
    if (ny++ == 0) yb = b;
    else dlt_box_union(&yb, b);
  }
  dlt_box_union(tight, xb), dlt_box_union(tight, yb);
  char ot[48];
  /* the offset text, "1e6" or "1e\u22125" as matplotlib writes it */
  if (ax->yoom) {
    snprintf(ot, sizeof ot, ax->yoom < 0 ? "1e\xe2\x88\x92%d" : "1e%d", abs(ax->yoom));
    dlt_box_union(tight, dlt_text(cr, ot, ax->bx, ax->by - dlt_pt(f, 2), fs, DLT_HA_LEFT, DLT_VA_BOTTOM, 0, st->tick_color, draw));
  }
  if (ax->xoom) {
    snprintf(ot, sizeof ot, ax->xoom < 0 ? "1e\xe2\x88\x92%d" : "1e%d", abs(ax->xoom));
    dlt_box_union(tight, dlt_text(cr, ot, ax->bx + ax->bw, xb.y1 + dlt_pt(f, 2), fs, DLT_HA_RIGHT, DLT_VA_TOP, 0, st->tick_color, draw));
  }
  double pad = dlt_pt(f, st->label_pad);
  if (ax->xlabel)
    dlt_box_union(tight, dlt_text(cr, ax->xlabel, ax->bx + ax->bw / 2, (nx ? xb.y1 : ax->by + ax->bh) + pad,
                                  dlt_pt(f, ax->xlabel_size), DLT_HA_CENTER, DLT_VA_TOP, 0, st->label_color, draw));
  if (ax->ylabel)
    dlt_box_union(tight, dlt_text(cr, ax->ylabel, (ny ? yb.x0 : ax->bx) - pad, ax->by + ax->bh / 2,
                                  dlt_pt(f, ax->ylabel_size), DLT_HA_CENTER, DLT_VA_BOTTOM, 1, st->label_color, draw));
}

/* a twin's own axis: twinx's y ticks, labels and label on the right, twiny's x on top
 * (the shared axis is not drawn again) */
static void twin_decorations(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight) {
  const dlt_figure *f = ax->fig;
  const dlt_style *st = &f->st;
  double fs = dlt_pt(f, st->font_size), off = dlt_pt(f, st->tick_len + st->tick_pad), tl = dlt_pt(f, st->tick_len);
  int right = ax->twin_kind == 'x', n = right ? ax->nyt : ax->nxt;
  double edge = right ? ax->bx + ax->bw : ax->by;
  const dlt_ticks_fixed *fx = &ax->fixed[right];
  double fsl = fx->fontsize > 0 ? dlt_pt(f, fx->fontsize) : fs;
  if (draw && tl > 0) {
    cairo_set_line_width(cr, dlt_pt(f, 0.8));
    for (int i = 0; i < n; i++) {
      if (right) {
        double y = snap_y(to_px(ax, 1, ax->yt[i], 0), 1, f->h * f->dpi);
        cairo_move_to(cr, edge, y), cairo_line_to(cr, edge + tl, y);
      } else {
        double x = snap(to_px(ax, 0, ax->xt[i], 0), 1);
        cairo_move_to(cr, x, edge), cairo_line_to(cr, x, edge - tl);
      }
    }
    src(cr, st->tick_color, 1);
    cairo_stroke(cr);
  }
  dlt_box lb = right ? (dlt_box){edge, ax->by, edge, ax->by + ax->bh} : (dlt_box){ax->bx, edge, ax->bx + ax->bw, edge};
  for (int i = 0; i < n; i++) {
    const char *s = ax->tick_text[right][i] ? ax->tick_text[right][i] : right ? ax->yl[i]
                                                                              : ax->xl[i];
    dlt_box b = right ? dlt_text_rot(cr, s, edge + off, to_px(ax, 1, ax->yt[i], 0), fsl, fx->ha >= 0 ? fx->ha : DLT_HA_LEFT,
                                     fx->va >= 0 ? fx->va : DLT_VA_CENTER_BASELINE, fx->rot, 0, st->tick_color, draw)
                      : dlt_text_rot(cr, s, to_px(ax, 0, ax->xt[i], 0), edge - off, fsl, fx->ha >= 0 ? fx->ha : DLT_HA_CENTER,
                                     fx->va >= 0 ? fx->va : DLT_VA_BOTTOM, fx->rot, 0, st->tick_color, draw);
    dlt_box_union(&lb, b);
  }
  dlt_box_union(tight, lb);
  double pad = dlt_pt(f, st->label_pad);
  if (right && ax->ylabel) /* the right label reads upwards, its top towards the axes */
    dlt_box_union(tight, dlt_text(cr, ax->ylabel, lb.x1 + pad, ax->by + ax->bh / 2, dlt_pt(f, ax->ylabel_size),
                                  DLT_HA_CENTER, DLT_VA_TOP, 1, st->label_color, draw));
  if (!right && ax->xlabel)
    dlt_box_union(tight, dlt_text(cr, ax->xlabel, ax->bx + ax->bw / 2, lb.y0 - pad, dlt_pt(f, ax->xlabel_size),
                                  DLT_HA_CENTER, DLT_VA_BOTTOM, 0, st->label_color, draw));
}

/* how far up the decorations of ax's twiny go (its x axis on top), for the title */
static double twiny_top(const dlt_axes *ax, cairo_t *cr) {
  double top = ax->by;
  const dlt_figure *f = ax->fig;
  for (int i = 0; i < f->nax; i++)
    if (f->ax[i]->twin == ax && f->ax[i]->twin_kind == 'y') {
      dlt_box b = {ax->bx, ax->by, ax->bx, ax->by};
      twin_decorations(f->ax[i], cr, 0, &b);
      top = fmin(top, b.y0);
    }
  return top;
}

void dlt_render_axes(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight) {
  const dlt_figure *f = ax->fig;
  const dlt_style *st = &f->st;
  if (draw) {
    if (!ax->axis_off && !ax->twin) { /* a twin's background is not drawn */
      cairo_rectangle(cr, ax->bx, ax->by, ax->bw, ax->bh);
      src(cr, st->axes_face, 1);
      cairo_fill(cr);
    }
    /* Agg's clip box is the axes box rounded to whole pixels (RendererAgg::set_clipbox).
     * Whole pixels also keep Cairo's rendering independent of the surface's extent:
     * it draws an unaligned clip's contents by another method (sampled rather than
     * exact coverage) depending on whether the drawing crosses the clip inside the
     * surface, so a band of the image drawn alone would differ from the whole. */
    cairo_save(cr);
    double cx0 = floor(ax->bx + 0.5), cy0 = floor(ax->by + 0.5);
    cairo_rectangle(cr, cx0, cy0, floor(ax->bx + ax->bw + 0.5) - cx0, floor(ax->by + ax->bh + 0.5) - cy0);
    cairo_clip(cr);
    int grid = ax->grid && !ax->axis_off;
    dlt_artist **order = malloc((size_t)(ax->nart ? ax->nart : 1) * sizeof *order);
    if (order) {
      if (ax->nart) memcpy(order, ax->art, (size_t)ax->nart * sizeof *order);
      /* insertion sort keeps equal zorders in the order they were added */
      for (int i = 1; i < ax->nart; i++)
        for (int j = i; j > 0 && by_zorder(&order[j - 1], &order[j]) > 0; j--) {
          dlt_artist *t = order[j];
          order[j] = order[j - 1];
          order[j - 1] = t;
        }
      for (int i = 0; i < ax->nart; i++) {
        if (grid && order[i]->zorder > st->grid_zorder) draw_grid(ax, cr), grid = 0;
        draw_artist(ax, cr, order[i]);
      }
      free(order);
    }
    if (grid) draw_grid(ax, cr);
    cairo_restore(cr);
    if (!ax->axis_off && !ax->twin) draw_frame(cr, f, ax->bx, ax->by, ax->bw, ax->bh);
  }
  if (!ax->axis_off && ax->twin) twin_decorations(ax, cr, draw, tight);
  else if (!ax->axis_off) decorations(ax, cr, draw, tight);
  /* text drawn outside the axes counts in the layout, as in Axes.get_tightbbox */
  for (int i = 0; i < ax->nart && !draw; i++)
    if (ax->art[i]->kind == DLT_ART_TEXT && ax->art[i]->unclipped) {
      dlt_box b = text_artist(ax, cr, ax->art[i], 0);
      if (isfinite(b.x0) && isfinite(b.y0)) dlt_box_union(tight, b);
    }
  if (ax->title)
    dlt_box_union(tight, dlt_text(cr, ax->title,
                                  ax->bx + (ax->title_loc == DLT_HA_LEFT ? 0 : ax->title_loc == DLT_HA_RIGHT ? ax->bw
                                                                                                             : ax->bw / 2),
                                  twiny_top(ax, cr) - dlt_pt(f, ax->title_pad), dlt_pt(f, ax->title_size), ax->title_loc,
                                  DLT_VA_BASELINE, 0, st->label_color, draw));
  if (ax->legend) dlt_render_legend(ax, cr, draw, tight);
}

/* where v sits on the colorbar of m, 0 at the bottom and 1 at the top: a contour set's
 * levels evenly spaced whatever their values (matplotlib's spacing='uniform', so
 * log-spaced levels get bands of one height), else linear from lo to hi */
static double cbar_frac(const dlt_artist *m, double v, double lo, double hi) {
  if (m->kind != DLT_ART_CONTOUR || m->nlevels < 2) return (v - lo) / (hi - lo);
  int n = m->nlevels, i = 0;
  while (i < n - 2 && v > m->levels[i + 1]) i++;
  double span = m->levels[i + 1] - m->levels[i];
  return (i + (span > 0 ? (v - m->levels[i]) / span : 0)) / (n - 1);
}

/* the colorbar's colours in the box (x, y, w, h), lo at the bottom and hi at the top:
 * a band per level pair for filled contours, a line per level for contour lines,
 * else the colormap as a one-pixel-wide image */
static void colorbar_colors(cairo_t *cr, const dlt_figure *f, const dlt_artist *m, double x, double y,
                            double w, double h, double lo, double hi) {
  int contour = m->kind == DLT_ART_CONTOUR;
  if (contour && m->filled) {
    /* unantialiased as matplotlib's pcolormesh of the bands: no seams between them */
    cairo_antialias_t aa = cairo_get_antialias(cr);
    cairo_set_antialias(cr, CAIRO_ANTIALIAS_NONE);
    for (int i = 0; i + 1 < m->nlevels; i++) {
      double y0 = y + h * (1 - (double)i / (m->nlevels - 1));
      double y1 = y + h * (1 - (double)(i + 1) / (m->nlevels - 1));
      cairo_rectangle(cr, x, y1, w, y0 - y1);
      src(cr, level_color(m, i), m->alpha);
      cairo_fill(cr);
    }
    cairo_set_antialias(cr, aa);
  } else if (contour) {
    cairo_set_line_width(cr, dlt_pt(f, m->ls.width));
    for (int i = 0; i < m->nlevels; i++) {
      double yy = y + h * (1 - (double)i / (m->nlevels - 1));
      cairo_move_to(cr, x, yy), cairo_line_to(cr, x + w, yy);
      src(cr, level_color(m, i), m->alpha);
      cairo_stroke(cr);
    }
  } else {
    int n = m->cmap.t->n;
    cairo_surface_t *img = cairo_image_surface_create(CAIRO_FORMAT_ARGB32, 1, n);
    if (cairo_surface_status(img) == CAIRO_STATUS_SUCCESS) {
      cairo_surface_flush(img);
      unsigned char *data = cairo_image_surface_get_data(img);
      int stride = cairo_image_surface_get_stride(img);
      for (int i = 0; i < n; i++)
        *(uint32_t *)(data + (size_t)(n - 1 - i) * stride) = argb(dlt_cmap_eval(m->cmap, (i + 0.5) / n), m->alpha);
      cairo_surface_mark_dirty(img);
      draw_pixels(cr, img, 1, n, x, y, x + w, y + h);
    }
    cairo_surface_destroy(img);
  }
}

/* the colorbar of ax's mappable in ax->cb: colours, outline, ticks, label */
void dlt_render_colorbar(dlt_axes *ax, cairo_t *cr, int draw, dlt_box *tight) {
  const dlt_figure *f = ax->fig;
  const dlt_artist *m = ax->cbar;
  double x = ax->cb[0], y = ax->cb[1], w = ax->cb[2], h = ax->cb[3];
  int contour = m->kind == DLT_ART_CONTOUR;
  double lo = contour ? m->levels[0] : m->vmin, hi = contour ? m->levels[m->nlevels - 1] : m->vmax;
  if (!(hi > lo)) hi = lo + 1;
  dlt_box b = {x, y, x + w, y + h};
  dlt_box_union(tight, b);
  if (draw) {
    colorbar_colors(cr, f, m, x, y, w, h, lo, hi);
    draw_frame(cr, f, x, y, w, h);
  }
  /* ticks: FixedLocator(levels, nbins=10) for contour sets, else AutoLocator */
  double t[DLT_MAXTICKS], raw[DLT_MAXTICKS];
  char lab[DLT_MAXTICKS][40];
  int n = 0;
  if (contour) {
    int step = (m->nlevels + 9) / 10;
    for (int i = 0; i < m->nlevels && n < DLT_MAXTICKS; i += step) t[n++] = m->levels[i];
  } else {
    int space = dlt_tick_space(h * 72.0 / f->dpi, f->st.font_size, 1);
    int nr = dlt_ticks_maxn(lo, hi, space < 1 ? 1 : space > 9 ? 9
                                                              : space,
                            2, 1, raw);
    for (int i = 0; i < nr; i++)
      if (raw[i] >= lo - 1e-10 * (hi - lo) && raw[i] <= hi + 1e-10 * (hi - lo)) t[n++] = raw[i];
  }
  dlt_ticks_format(t, n, lo, hi, lab);
  /* the ticks as the style draws them (seaborn's whitegrid: none); labels clear the
   * part of a tick outside the bar */
  const dlt_style *st = &f->st;
  double fs = dlt_pt(f, st->font_size), tl = dlt_pt(f, st->tick_len), tw = dlt_pt(f, st->tick_width);
  double t_in = st->tick_dir == DLT_TICK_IN ? tl : st->tick_dir == DLT_TICK_INOUT ? tl / 2
                                                                                  : 0,
         t_out = tl - t_in;
  double off = dlt_pt(f, st->tick_pad) + t_out;
  dlt_box lb = {x + w, y, x + w, y + h};
  for (int i = 0; i < n; i++) {
    double yy = y + h * (1 - cbar_frac(m, t[i], lo, hi));
    if (draw && tl > 0 && tw > 0) {
      cairo_set_line_width(cr, tw);
      double ys = snap_y(yy, tw, f->h * f->dpi);
      cairo_move_to(cr, x + w - t_in, ys), cairo_line_to(cr, x + w + t_out, ys);
      src(cr, st->tick_color, 1);
      cairo_stroke(cr);
    }
    dlt_box_union(&lb, dlt_text(cr, lab[i], x + w + off, yy, fs, DLT_HA_LEFT, DLT_VA_CENTER_BASELINE, 0,
                                f->st.tick_color, draw));
  }
  dlt_box_union(tight, lb);
  if (ax->cbar_label)
    dlt_box_union(tight, dlt_text(cr, ax->cbar_label, lb.x1 + dlt_pt(f, f->st.label_pad), y + h / 2, fs,
                                  DLT_HA_CENTER, DLT_VA_TOP, 1, f->st.label_color, draw));
}

int dlt_render_layout(dlt_figure *f, cairo_t *cr) {
  if (dlt_text_init() != 0) return -1;
  if (f->tight && dlt_layout_tight(f, cr) != 0) return -1;
  dlt_layout_figure(f);
  return 0;
}

/* Only reads the figure (and the font made by dlt_text_init): savefig draws two bands of
 * rows of one image at once, from two threads. */
int dlt_render_draw(dlt_figure *f, cairo_t *cr, const dlt_contours *contours) {
  given = contours;
  double W = f->w * f->dpi, H = f->h * f->dpi;
  cairo_set_source_rgba(cr, f->st.fig_face.r, f->st.fig_face.g, f->st.fig_face.b, f->st.fig_face.a);
  cairo_paint(cr);
  cairo_translate(cr, -f->crop[0], -f->crop[1]); /* savefig's bbox_inches 'tight' */
  for (int i = 0; i < f->nax; i++) {
    dlt_axes *ax = f->ax[i];
    dlt_box t = {0, 0, 0, 0};
    dlt_render_axes(ax, cr, 1, &t);
    if (ax->cbar) dlt_render_colorbar(ax, cr, 1, &t);
  }
  if (f->suptitle)
    dlt_text(cr, f->suptitle, W / 2, 0.02 * H, dlt_pt(f, f->suptitle_size), DLT_HA_CENTER, DLT_VA_TOP, 0,
             f->st.label_color, 1);
  if (cairo_status(cr) != CAIRO_STATUS_SUCCESS)
    return given = NULL, dlt_failn("savefig: drawing failed: %s", cairo_status_to_string(cairo_status(cr)));
  given = NULL;
  return 0;
}

int dlt_render(dlt_figure *f, cairo_t *cr) { return dlt_render_layout(f, cr) != 0 ? -1 : dlt_render_draw(f, cr, NULL); }
