/* stroke.c: a long polyline stroked by our own rasterizer: cut into the pieces its
 * stroke is made of (a rectangle a segment, a round wedge a join, the caps, the
 * dashes), each piece's signed area accumulated into cells as Agg's scanline
 * rasterizer does (coverage = the summed area, at most 1: the non-zero rule of
 * matplotlib's Agg backend), then the source painted through that mask once. Cairo's
 * own stroker, and its fill of the same pieces, take seconds on a line that doubles
 * back on itself thousands of times (a noisy line of 10^5 points); this takes time
 * linear in the pixels the edges cross. */
#include <cairo.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

/* the cells of the region being drawn: w+2 a row (a column each side for what
 * falls beyond), h rows; (ox, oy) the region's top-left corner in user space */
typedef struct {
  float *cell;
  int w, h;
  double ox, oy;
} raster;

typedef struct {
  raster *ra;
  double r; /* half the line width */
  cairo_line_cap_t cap;
  double step;        /* the angle between vertices of a round join or cap */
  const double *dash; /* on, off, on, ... lengths; NULL: solid */
  int ndash;
  double dash_offset;
  int di; /* the dash being walked, and the length left of it */
  double left;
  int in;    /* inside a drawn piece (a dash, or the whole subpath) */
  int drawn; /* the subpath has a line_to, maybe of length 0 */
  int seg;   /* the piece has a segment: (lx, ly) its end, (ux, uy) its direction */
  double lx, ly, ux, uy;
  double sx, sy; /* the piece's first point */
} stroker;

/* The signed area under the edge (x0, y0)-(x1, y1) (region pixels) added to the cells
 * it crosses, row by row: within a row the edge covers dy of height, and the part of
 * each cell right of it gets dy times the fraction of the cell it leaves to its right;
 * a row's running sum of its cells is then the winding-weighted coverage. x is
 * clamped to the region (what lies left of it covers it whole, right of it not at
 * all), y to its rows. */
static void edge(raster *ra, double x0, double y0, double x1, double y1) {
  if (y0 == y1) return;
  double dir = 1;
  if (y0 > y1) {
    double t = x0;
    x0 = x1, x1 = t;
    t = y0;
    y0 = y1, y1 = t;
    dir = -1;
  }
  if (y1 <= 0 || y0 >= ra->h) return;
  double dxdy = (x1 - x0) / (y1 - y0), W = ra->w;
  int r0 = y0 < 0 ? 0 : (int)y0, r1 = y1 > ra->h ? ra->h : (int)ceil(y1);
  for (int r = r0; r < r1; r++) {
    double ya = y0 > r ? y0 : r, yb = y1 < r + 1.0 ? y1 : r + 1.0, d = (yb - ya) * dir;
    double xa = x0 + (ya - y0) * dxdy, xb = x0 + (yb - y0) * dxdy;
    xa = xa < 0 ? 0 : xa > W ? W
                             : xa,
    xb = xb < 0 ? 0 : xb > W ? W
                             : xb;
    if (xa > xb) {
      double t = xa;
      xa = xb, xb = t;
    }
    float *c = ra->cell + (size_t)r * (ra->w + 2);
    int ia = (int)xa, ib = (int)xb;
    if (ia == ib || xb == xa) {
      /* within one cell: it keeps the part right of the edge's mean x */
      double f = (xa + xb) / 2 - ia;
      c[ia] += (float)(d * (1 - f)), c[ia + 1] += (float)(d * f);
      continue;
    }
    /* across cells ia..ib, x spread evenly over [xa, xb]: the coverage of pixel i is d
     * times the mean over x of clamp(i + 1 - x, 0, 1), the part of the edge left of
     * the pixel counting whole; cell i gets its increase over pixel i - 1 */
    double s = d / (xb - xa), done = 0, x = xa;
    for (int i = ia; i <= ib && i <= ra->w; i++) {
      double xe = xb < i + 1.0 ? xb : i + 1.0;
      double part = s * (xe - x) * ((i + 1.0) - (x + xe) / 2) + s * (x - xa);
      c[i] += (float)(part - done);
      done = part;
      x = xe;
    }
    c[ib + 1] += (float)(d - done);
  }
}

/* the polygon (x, y)[0..n) (user space), turned counter-clockwise (positive area in
 * Cairo's y-down space) so that pieces overlapping add up and never cancel */
static void polygon(raster *ra, const double *x, const double *y, int n) {
  double a = 0;
  for (int i = 0; i < n; i++) a += x[i] * y[(i + 1) % n] - x[(i + 1) % n] * y[i];
  if (!(a != 0)) return;
  for (int i = 0; i < n; i++) {
    int j = (i + 1) % n;
    if (a > 0) edge(ra, x[i] - ra->ox, y[i] - ra->oy, x[j] - ra->ox, y[j] - ra->oy);
    else edge(ra, x[j] - ra->ox, y[j] - ra->oy, x[i] - ra->ox, y[i] - ra->oy);
  }
}

/* the rectangle of width 2r along (x0, y0)-(x1, y1), whose direction is (ux, uy) */
static void band(const stroker *s, double x0, double y0, double x1, double y1, double ux, double uy) {
  double nx = -uy * s->r, ny = ux * s->r;
  double x[4] = {x0 + nx, x1 + nx, x1 - nx, x0 - nx}, y[4] = {y0 + ny, y1 + ny, y1 - ny, y0 - ny};
  polygon(s->ra, x, y, 4);
}

/* the circle's sector about (cx, cy) from angle a0 turning by da (|da| <= pi): the
 * centre and the arc at most `step` apart, as Cairo's pen approximates a circle */
#define ARC_MAX 64
static void sector(const stroker *s, double cx, double cy, double a0, double da) {
  int m = (int)ceil(fabs(da) / s->step - 1e-9);
  if (m < 1) m = 1;
  if (m > ARC_MAX) m = ARC_MAX;
  double x[ARC_MAX + 2], y[ARC_MAX + 2];
  x[0] = cx, y[0] = cy;
  for (int j = 0; j <= m; j++) {
    double a = a0 + da * j / m;
    x[j + 1] = cx + s->r * cos(a), y[j + 1] = cy + s->r * sin(a);
  }
  polygon(s->ra, x, y, m + 2);
}

/* the cap at (x, y) of a piece leaving it in direction (ux, uy) (pointing out of the piece) */
static void cap(const stroker *s, double x, double y, double ux, double uy) {
  if (s->cap == CAIRO_LINE_CAP_SQUARE) band(s, x, y, x + ux * s->r, y + uy * s->r, ux, uy);
  else if (s->drawn && s->cap == CAIRO_LINE_CAP_ROUND) sector(s, x, y, atan2(uy, ux) - M_PI / 2, M_PI);
}

static void piece_begin(stroker *s, double x, double y) {
  s->in = 1, s->seg = 0;
  s->sx = s->lx = x, s->sy = s->ly = y;
}

/* the piece goes on to (x, y) in direction (ux, uy): the join's outer wedge, the segment */
static void piece_to(stroker *s, double x, double y, double ux, double uy) {
  if (!s->seg) {
    cap(s, s->lx, s->ly, -ux, -uy);
  } else {
    double cross = s->ux * uy - s->uy * ux, dot = s->ux * ux + s->uy * uy;
    if (cross != 0 || dot < 0) {
      /* the outer normals turn with the path by the angle between the segments */
      double turn = cross != 0 ? atan2(cross, dot) : -M_PI, side = cross > 0 ? -1 : 1;
      sector(s, s->lx, s->ly, atan2(s->ux * side, -s->uy * side), turn);
    }
  }
  band(s, s->lx, s->ly, x, y, ux, uy);
  s->seg = 1, s->lx = x, s->ly = y, s->ux = ux, s->uy = uy;
}

static void piece_end(stroker *s) {
  if (s->seg) cap(s, s->lx, s->ly, s->ux, s->uy);
  else if (s->drawn && s->cap == CAIRO_LINE_CAP_ROUND) sector(s, s->sx, s->sy, 0, M_PI), sector(s, s->sx, s->sy, M_PI, M_PI);
  s->in = 0;
}

/* a subpath starts at (x, y): the dash pattern starts again, moved by its offset */
static void subpath_begin(stroker *s, double x, double y) {
  if (s->in) piece_end(s);
  if (s->dash) {
    double period = 0, off = s->dash_offset;
    for (int i = 0; i < s->ndash; i++) period += s->dash[i];
    off = fmod(off, period);
    if (off < 0) off += period;
    s->di = 0, s->left = s->dash[0];
    while (off >= s->left) off -= s->left, s->di = (s->di + 1) % s->ndash, s->left = s->dash[s->di];
    s->left -= off;
  }
  s->lx = x, s->ly = y, s->drawn = 0;
  if (!s->dash || s->di % 2 == 0) piece_begin(s, x, y);
  else s->in = 0;
}

/* the subpath goes on from the last point to (x, y) */
static void subpath_to(stroker *s, double x, double y) {
  s->drawn = 1;
  double x0 = s->lx, y0 = s->ly, dx = x - x0, dy = y - y0, len = sqrt(dx * dx + dy * dy);
  if (!(len > 0)) return;
  double ux = dx / len, uy = dy / len;
  if (!s->dash) {
    piece_to(s, x, y, ux, uy);
    return;
  }
  for (double t = 0; t < len;) {
    double d = fmin(s->left, len - t);
    t += d, s->left -= d;
    double px = t < len ? x0 + ux * t : x, py = t < len ? y0 + uy * t : y;
    if (s->in) piece_to(s, px, py, ux, uy);
    else s->lx = px, s->ly = py;
    if (s->left <= 0) { /* a dash ends here and the next starts */
      if (s->in) piece_end(s);
      s->di = (s->di + 1) % s->ndash, s->left = s->dash[s->di];
      if (s->di % 2 == 0) piece_begin(s, px, py);
    }
  }
}

/* the cells summed along each row into an A8 mask: coverage |sum| at most 1 */
static void to_mask(const raster *ra, cairo_surface_t *mask) {
  cairo_surface_flush(mask);
  unsigned char *m = cairo_image_surface_get_data(mask);
  int stride = cairo_image_surface_get_stride(mask);
  for (int r = 0; r < ra->h; r++) {
    const float *c = ra->cell + (size_t)r * (ra->w + 2);
    unsigned char *o = m + (size_t)r * stride;
    float sum = 0;
    for (int i = 0; i < ra->w; i++) {
      sum += c[i];
      float v = fabsf(sum);
      o[i] = (unsigned char)(v >= 1 ? 255 : (int)(v * 255 + 0.5f));
    }
  }
  cairo_surface_mark_dirty(mask);
}

/* the pieces of the stroke of cr's current path (lines only) into ra */
static void pieces(cairo_t *cr, raster *ra) {
  cairo_path_t *path = cairo_copy_path(cr);
  int nd = cairo_get_dash_count(cr);
  double *dash = nd > 0 ? malloc((size_t)nd * 2 * sizeof *dash) : NULL, off = 0;
  if (path->status == CAIRO_STATUS_SUCCESS && (nd == 0 || dash)) {
    if (dash) {
      cairo_get_dash(cr, dash, &off);
      if (nd % 2) memcpy(dash + nd, dash, (size_t)nd * sizeof *dash), nd *= 2; /* an odd pattern repeats swapped */
    }
    double r = cairo_get_line_width(cr) / 2, tol = cairo_get_tolerance(cr);
    /* Cairo's pen: a regular polygon whose sides stay within the tolerance of the circle */
    double step = tol >= r ? M_PI / 2 : 2 * M_PI / ceil(2 * M_PI / acos(1 - tol / r));
    stroker s = {.ra = ra, .r = r, .cap = cairo_get_line_cap(cr), .step = step, .dash = dash, .ndash = nd, .dash_offset = off};
    for (int i = 0; i < path->num_data; i += path->data[i].header.length) {
      const cairo_path_data_t *d = &path->data[i];
      if (d->header.type == CAIRO_PATH_MOVE_TO) subpath_begin(&s, d[1].point.x, d[1].point.y);
      else if (d->header.type == CAIRO_PATH_LINE_TO) subpath_to(&s, d[1].point.x, d[1].point.y);
    }
    if (s.in) piece_end(&s);
  }
  cairo_path_destroy(path);
  free(dash);
}

/* Paints cr's source where cairo_stroke would (round joins; cr's line width, cap and
 * dashes) for cr's current path of lines, within the clip, and clears the path. Cairo
 * strokes it itself when user space is not its image's pixels moved, or memory is short. */
void dlt_stroke_fill(cairo_t *cr) {
  cairo_matrix_t m;
  cairo_get_matrix(cr, &m);
  cairo_surface_t *target = cairo_get_target(cr);
  if (m.xx != 1 || m.yy != 1 || m.xy != 0 || m.yx != 0 || cairo_surface_get_type(target) != CAIRO_SURFACE_TYPE_IMAGE) {
    cairo_stroke(cr);
    return;
  }
  /* the region: the clip within the image, in whole pixels of user space */
  double x0, y0, x1, y1;
  cairo_clip_extents(cr, &x0, &y0, &x1, &y1);
  x0 = fmax(x0, -m.x0), y0 = fmax(y0, -m.y0);
  x1 = fmin(x1, cairo_image_surface_get_width(target) - m.x0), y1 = fmin(y1, cairo_image_surface_get_height(target) - m.y0);
  raster ra = {.ox = floor(x0), .oy = floor(y0)};
  if (!(x1 > x0 && y1 > y0)) {
    cairo_new_path(cr);
    return;
  }
  ra.w = (int)(ceil(x1) - ra.ox), ra.h = (int)(ceil(y1) - ra.oy);
  ra.cell = calloc((size_t)(ra.w + 2) * ra.h, sizeof *ra.cell);
  cairo_surface_t *mask = cairo_image_surface_create(CAIRO_FORMAT_A8, ra.w, ra.h);
  if (!ra.cell || cairo_surface_status(mask) != CAIRO_STATUS_SUCCESS) {
    free(ra.cell);
    cairo_surface_destroy(mask);
    cairo_stroke(cr);
    return;
  }
  pieces(cr, &ra);
  cairo_new_path(cr);
  to_mask(&ra, mask);
  cairo_mask_surface(cr, mask, ra.ox, ra.oy);
  free(ra.cell);
  cairo_surface_destroy(mask);
}
