/* clabel.c: contour labels placed as matplotlib's ContourLabeler does: on each path
 * long enough, in the block of label-width vertices closest to a straight line and not
 * within 1.2 label widths of an earlier label, turned along the line (never upside
 * down), the line broken under the label with inline_spacing pixels each side. */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

void dlt_clabel_free(dlt_clabel *c) {
  if (!c) return;
  for (int i = 0; c->text && i < c->nlevels; i++) free(c->text[i]);
  free(c->text), free(c);
}

static int put(dlt_paths *p, double x, double y) {
  if (p->npts == p->cap) {
    int cap = p->cap ? 2 * p->cap : 256;
    double *nx = realloc(p->x, (size_t)cap * sizeof *nx);
    if (!nx) return -1;
    p->x = nx;
    double *ny = realloc(p->y, (size_t)cap * sizeof *ny);
    if (!ny) return -1;
    p->y = ny, p->cap = cap;
  }
  p->x[p->npts] = x, p->y[p->npts] = y, p->npts++;
  return 0;
}

/* ends the path begun at start[n] (dropped when it has fewer than 2 points) */
static int end_path(dlt_paths *p, int closed) {
  if (p->n + 2 > p->pcap) {
    int cap = p->pcap ? 2 * p->pcap : 16;
    int *ns = realloc(p->start, (size_t)cap * sizeof *ns);
    if (!ns) return -1;
    p->start = ns;
    int *nc = realloc(p->closed, (size_t)cap * sizeof *nc);
    if (!nc) return -1;
    p->closed = nc, p->pcap = cap;
    if (p->n == 0) p->start[0] = 0;
  }
  if (p->npts - p->start[p->n] < 2) {
    p->npts = p->start[p->n];
    return 0;
  }
  p->closed[p->n] = closed;
  p->start[++p->n] = p->npts;
  return 0;
}

/* np.interp(v, xp, fp) for increasing xp of n values; outside: left/right (NAN: the ends) */
static double interp(double v, const double *xp, const double *fp, int n, double out) {
  if (v < xp[0]) return isnan(out) ? fp[0] : out;
  if (v > xp[n - 1]) return isnan(out) ? fp[n - 1] : out;
  int lo = 0, hi = n - 1;
  while (hi - lo > 1) {
    int m = (lo + hi) / 2;
    if (xp[m] <= v) lo = m;
    else hi = m;
  }
  if (xp[hi] == xp[lo]) return fp[hi];
  return fp[lo] + (fp[hi] - fp[lo]) * (v - xp[lo]) / (xp[hi] - xp[lo]);
}

typedef struct {
  double *x, *y;
  int n;
} labels_at; /* placed labels, pixels */

static int too_close(const labels_at *l, double x, double y, double lw) {
  for (int i = 0; i < l->n; i++)
    if ((x - l->x[i]) * (x - l->x[i]) + (y - l->y[i]) * (y - l->y[i]) < 1.44 * lw * lw) return 1;
  return 0;
}

typedef struct {
  double d;
  int i;
} dist_ix;
static int by_dist(const void *p, const void *q) {
  const dist_ix *a = p, *b = q;
  int an = isnan(a->d), bn = isnan(b->d); /* NaN last, as numpy's argsort */
  if (an || bn) return an - bn ? an - bn : (a->i > b->i) - (a->i < b->i);
  return a->d < b->d ? -1 : a->d > b->d ? 1
                                        : (a->i > b->i) - (a->i < b->i);
}

/* locate_label: the vertex index of the label on the path of n pixel points sx, sy */
static int locate(const double *sx, const double *sy, int n, double lw, const labels_at *l, dist_ix *d) {
  int nb = lw > 1 ? (int)ceil(n / lw) : 1, bs = nb == 1 ? n : (int)lw;
  for (int b = 0; b < nb; b++) {
    int f = (b * bs) % n, e = (b * bs + bs - 1) % n;
    double xf = sx[f], yf = sy[f], xl = sx[e], yl = sy[e], len = hypot(xl - xf, yl - yf), sum = 0;
    for (int j = 0; j < bs; j++) {
      int k = (b * bs + j) % n;
      sum += fabs((yf - sy[k]) * (xl - xf) - (xf - sx[k]) * (yl - yf));
    }
    d[b].d = len > 0 ? sum / len : sum > 0 ? INFINITY
                                           : NAN,
    d[b].i = b;
  }
  qsort(d, (size_t)nb, sizeof *d, by_dist);
  int h = bs / 2, pick = d[0].i;
  for (int k = 0; k < nb; k++) {
    int idx = (d[k].i * bs + h) % n;
    if (!too_close(l, sx[idx], sy[idx], lw)) {
      pick = d[k].i;
      break;
    }
  }
  return (pick * bs + h) % n;
}

/* one path (pixels sx, sy; data dx, dy; n points, the last equal to the first when
 * closed): its label at ind, the rotation, and what is left of the path into out */
static int label_path(double *sx, double *sy, double *dx, double *dy, int n, int ind, int closed, double lw,
                      double spacing, int inl, double *rot, dlt_paths *out, double *pl) {
  if (closed) { /* rotated so that the label is at the start: slc[ind:-1] + slc[:ind+1] */
    double *arr[4] = {sx, sy, dx, dy};
    for (int a = 0; a < 4; a++) {
      double *v = arr[a], *t = pl; /* pl as scratch */
      int m = 0;
      for (int k = ind; k < n - 1; k++) t[m++] = v[k];
      for (int k = 0; k <= ind; k++) t[m++] = v[k];
      memcpy(v, t, (size_t)n * sizeof *v);
    }
    ind = 0;
  }
  pl[0] = 0;
  for (int k = 1; k < n; k++) pl[k] = pl[k - 1] + hypot(sx[k] - sx[k - 1], sy[k] - sy[k - 1]);
  double base = pl[ind];
  for (int k = 0; k < n; k++) pl[k] -= base;
  double h = lw / 2, d0 = closed ? pl[n - 1] : 0;
  double ax = interp(d0 - h, pl, sx, n, NAN), ay = interp(d0 - h, pl, sy, n, NAN);
  double bx = interp(h, pl, sx, n, NAN), by = interp(h, pl, sy, n, NAN);
  double r = atan2(-(by - ay), bx - ax) * 180 / M_PI; /* y up, as matplotlib measures */
  r = fmod(r + 90, 180);
  if (r < 0) r += 180;
  *rot = r - 90;
  if (!inl) return 0;
  double x0 = d0 - h - spacing, x1 = h + spacing;
  int i0 = -1, i1 = -1;
  if (x0 >= pl[0] && x0 <= pl[n - 1]) {
    int lo = 0;
    while (lo + 1 < n && pl[lo + 1] <= x0) lo++;
    i0 = lo; /* floor of the fractional index */
  }
  if (x1 >= pl[0] && x1 <= pl[n - 1]) {
    int hi = n - 1;
    while (hi > 0 && pl[hi - 1] >= x1) hi--;
    i1 = hi; /* its ceiling */
  }
  double p1x = 0, p1y = 0, p2x = 0, p2y = 0;
  if (i0 != -1) p1x = interp(x0, pl, dx, n, NAN), p1y = interp(x0, pl, dy, n, NAN);
  if (i1 != -1) p2x = interp(x1, pl, dx, n, NAN), p2y = interp(x1, pl, dy, n, NAN);
  int rc = 0;
  if (closed) {
    if (i0 != -1 && i1 != -1) {
      rc |= put(out, p2x, p2y);
      for (int k = i1; k <= i0; k++) rc |= put(out, dx[k], dy[k]);
      rc |= put(out, p1x, p1y);
      rc |= end_path(out, 0);
    }
  } else {
    if (i0 != -1) {
      for (int k = 0; k <= i0; k++) rc |= put(out, dx[k], dy[k]);
      rc |= put(out, p1x, p1y);
      rc |= end_path(out, 0);
    }
    if (i1 != -1) {
      rc |= put(out, p2x, p2y);
      for (int k = i1; k < n; k++) rc |= put(out, dx[k], dy[k]);
      rc |= end_path(out, 0);
    }
  }
  return rc;
}

int dlt_clabel_layout(const dlt_axes *ax, cairo_t *cr, const dlt_artist *a, const dlt_paths *in, dlt_paths *out,
                      dlt_clabel_pos **pos, int *npos) {
  const dlt_clabel *c = a->clabel;
  double size = dlt_pt(ax->fig, c->fontsize);
  labels_at l = {0};
  int cap = 0, rc = 0, maxn = 0;
  *pos = NULL, *npos = 0;
  for (int i = 0; i < a->nlevels; i++)
    for (int k = 0; k < in[i].n; k++) maxn = fmax(maxn, in[i].start[k + 1] - in[i].start[k] + 1);
  double *buf = malloc((size_t)(maxn ? maxn : 1) * 5 * sizeof *buf);
  dist_ix *d = malloc((size_t)(maxn ? maxn : 1) * sizeof *d);
  if (!buf || !d) {
    free(buf), free(d);
    return -1;
  }
  for (int i = 0; i < a->nlevels && rc == 0; i++) {
    out[i] = (dlt_paths){0};
    const dlt_paths *p = &in[i];
    const char *text = c->text[i];
    dlt_box tb = text ? dlt_text(cr, text, 0, 0, size, DLT_HA_CENTER, DLT_VA_CENTER, 0, (dlt_rgba){0, 0, 0, 1}, 0)
                      : (dlt_box){0, 0, 0, 0};
    double lw = tb.x1 - tb.x0;
    for (int k = 0; k < p->n && rc == 0; k++) {
      int s = p->start[k], n = p->start[k + 1] - s, closed = p->closed[k] && n > 1;
      double *sx = buf, *sy = sx + maxn, *dx = sy + maxn, *dy = dx + maxn, *pl = dy + maxn;
      for (int j = 0; j < n; j++) {
        dx[j] = p->x[s + j], dy[j] = p->y[s + j];
        sx[j] = dlt_data_px(ax, 0, dx[j]), sy[j] = dlt_data_px(ax, 1, dy[j]);
      }
      if (closed) dx[n] = dx[0], dy[n] = dy[0], sx[n] = sx[0], sy[n] = sy[0], n++;
      double x0 = INFINITY, x1 = -INFINITY, y0 = INFINITY, y1 = -INFINITY;
      for (int j = 0; j < n; j++) x0 = fmin(x0, sx[j]), x1 = fmax(x1, sx[j]), y0 = fmin(y0, sy[j]), y1 = fmax(y1, sy[j]);
      int fits = text && n > 1 && (n > 10 * lw || x1 - x0 > 1.2 * lw || y1 - y0 > 1.2 * lw);
      if (!fits) { /* kept whole */
        for (int j = 0; j < p->start[k + 1] - s; j++) rc |= put(&out[i], p->x[s + j], p->y[s + j]);
        rc |= end_path(&out[i], p->closed[k]);
        continue;
      }
      int ind = locate(sx, sy, n, lw, &l, d);
      double lx = sx[ind], ly = sy[ind], rot;
      rc |= label_path(sx, sy, dx, dy, n, ind, closed, lw, c->spacing, c->inl, &rot, &out[i], pl);
      if (!c->inl) {
        for (int j = 0; j < p->start[k + 1] - s; j++) rc |= put(&out[i], p->x[s + j], p->y[s + j]);
        rc |= end_path(&out[i], p->closed[k]);
      }
      if (*npos == cap) {
        cap = cap ? 2 * cap : 16;
        dlt_clabel_pos *np = realloc(*pos, (size_t)cap * sizeof *np);
        double *nx = realloc(l.x, (size_t)cap * sizeof *nx), *ny = nx ? realloc(l.y, (size_t)cap * sizeof *ny) : NULL;
        if (np) *pos = np;
        if (nx) l.x = nx;
        if (ny) l.y = ny;
        if (!np || !nx || !ny) {
          rc = -1;
          break;
        }
      }
      (*pos)[*npos] = (dlt_clabel_pos){lx, ly, rot, i};
      l.x[l.n] = lx, l.y[l.n] = ly, l.n++;
      ++*npos;
    }
  }
  free(buf), free(d), free(l.x), free(l.y);
  return rc;
}
