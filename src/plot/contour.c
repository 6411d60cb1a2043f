/* contour.c: marching squares on a rows x cols grid. Lines: one or two segments per
 * cell (saddles decided by the mean of the four corners), chained into polylines
 * through the grid edges they cross. Bands: each cell clipped to lo <= z <= hi. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

void dlt_paths_free(dlt_paths *p) {
  free(p->start), free(p->x), free(p->y), free(p->closed);
  memset(p, 0, sizeof *p);
}

static int paths_point(dlt_paths *p, double x, double y) {
  if (p->npts == p->cap) {
    int cap = p->cap ? 2 * p->cap : 1024;
    double *nx = realloc(p->x, (size_t)cap * sizeof *nx);
    if (!nx) return dlt_failn("contour: cannot allocate %d points", cap);
    p->x = nx;
    double *ny = realloc(p->y, (size_t)cap * sizeof *ny);
    if (!ny) return dlt_failn("contour: cannot allocate %d points", cap);
    p->y = ny, p->cap = cap;
  }
  p->x[p->npts] = x, p->y[p->npts] = y, p->npts++;
  return 0;
}

/* ends the current path (its points are start[n]..npts-1) and opens the next */
static int paths_close(dlt_paths *p, int closed) {
  if (p->n + 2 > p->pcap) {
    int cap = p->pcap ? 2 * p->pcap : 64;
    int *ns = realloc(p->start, (size_t)cap * sizeof *ns);
    if (!ns) return dlt_failn("contour: cannot allocate %d paths", cap);
    p->start = ns;
    int *nc = realloc(p->closed, (size_t)cap * sizeof *nc);
    if (!nc) return dlt_failn("contour: cannot allocate %d paths", cap);
    p->closed = nc, p->pcap = cap;
  }
  if (p->n == 0) p->start[0] = 0;
  p->closed[p->n] = closed;
  p->n++;
  p->start[p->n] = p->npts;
  return 0;
}

/* empties p, keeping its buffers */
static int paths_begin(dlt_paths *p) {
  p->n = 0, p->npts = 0;
  if (!p->start && paths_close(p, 0) != 0) return -1;
  p->n = 0, p->start[0] = 0;
  return 0;
}

/* ---- lines ---- */
/* Edge ids: horizontal edge (i,j)-(i,j+1) is i*(cols-1)+j; vertical edge
 * (i,j)-(i+1,j) is H + i*cols + j with H = rows*(cols-1). */
typedef struct { int e[2]; } seg;

static void edge_point(const double *X, const double *Y, const double *Z, int cols, int H,
                       int e, double level, double *px, double *py) {
  int a, b;
  if (e < H) { int i = e / (cols - 1), j = e % (cols - 1); a = i * cols + j, b = a + 1; }
  else { a = e - H, b = a + cols; }
  double t = (level - Z[a]) / (Z[b] - Z[a]);
  *px = X[a] + t * (X[b] - X[a]);
  *py = Y[a] + t * (Y[b] - Y[a]);
}

/* The level's crossing of cell (i,j) as edge pairs, one pair per segment: returns
 * 0, 2 or 4 entries of pairs (none for a cell with a NaN or infinite corner). */
static int cell_segments(const double *Z, int cols, int H, int i, int j, double level, int pairs[4]) {
  int a = i * cols + j;
  double z0 = Z[a], z1 = Z[a + 1], z2 = Z[a + cols + 1], z3 = Z[a + cols];
  if (isnan(z0) || isnan(z1) || isnan(z2) || isnan(z3) || !isfinite(z0 + z1 + z2 + z3)) return 0;
  /* corners counterclockwise in index space: 0=(i,j) 1=(i,j+1) 2=(i+1,j+1) 3=(i+1,j) */
  int c = (z0 >= level) | (z1 >= level) << 1 | (z2 >= level) << 2 | (z3 >= level) << 3;
  /* the cell's edges: bottom (0-1), right (1-2), top (3-2), left (0-3) */
  int eb = i * (cols - 1) + j, et = (i + 1) * (cols - 1) + j;
  int el = H + i * cols + j, er = el + 1;
  switch (c) {
    case 1: case 14: pairs[0] = el, pairs[1] = eb; return 2;
    case 2: case 13: pairs[0] = eb, pairs[1] = er; return 2;
    case 3: case 12: pairs[0] = el, pairs[1] = er; return 2;
    case 4: case 11: pairs[0] = er, pairs[1] = et; return 2;
    case 6: case 9: pairs[0] = eb, pairs[1] = et; return 2;
    case 7: case 8: pairs[0] = el, pairs[1] = et; return 2;
    case 5: case 10: {
      /* saddle: if the centre is on the side of corner 0, corners 0 and 2 join */
      int centre = (z0 + z1 + z2 + z3) / 4 >= level;
      int join02 = centre == (c == 5);
      if (join02) { pairs[0] = el, pairs[1] = et, pairs[2] = eb, pairs[3] = er; }
      else { pairs[0] = el, pairs[1] = eb, pairs[2] = er, pairs[3] = et; }
      return 4;
    }
    default: return 0;  /* 0 and 15: the cell is all above or all below */
  }
}

/* Chains segments s[0..ns) into polylines through the edges they share (use[2e],
 * use[2e+1]: the segments at edge e, -1 for none): first from the edges used once
 * (open ends), then whatever is left (closed rings). */
static int chain_segments(const seg *s, size_t ns, const int *use, const double *X, const double *Y,
                          const double *Z, int cols, int H, double level, dlt_paths *out) {
  char *done = calloc(ns ? ns : 1, 1);
  int rc = done ? 0 : dlt_failn("contour: cannot allocate segments");
  for (int pass = 0; pass < 2 && rc == 0; pass++)
    for (size_t k = 0; k < ns && rc == 0; k++) {
      if (done[k]) continue;
      int e = s[k].e[0];
      if (pass == 0) {
        int open0 = use[2 * s[k].e[0] + 1] < 0, open1 = use[2 * s[k].e[1] + 1] < 0;
        if (!open0 && !open1) continue;
        e = open0 ? s[k].e[0] : s[k].e[1];
      }
      int start_e = e, cur = (int)k;
      double px, py;
      edge_point(X, Y, Z, cols, H, e, level, &px, &py);
      rc |= paths_point(out, px, py);
      while (cur >= 0 && !done[cur] && rc == 0) {
        done[cur] = 1;
        e = s[cur].e[0] == e ? s[cur].e[1] : s[cur].e[0];
        edge_point(X, Y, Z, cols, H, e, level, &px, &py);
        rc |= paths_point(out, px, py);
        cur = use[2 * e] == cur ? use[2 * e + 1] : use[2 * e];
      }
      if (rc == 0) rc = paths_close(out, pass == 1 && e == start_e);
    }
  free(done);
  return rc;
}

int dlt_contour_lines(const double *X, const double *Y, const double *Z, int rows, int cols,
                      double level, dlt_paths *out) {
  if (paths_begin(out) != 0) return -1;
  if (rows < 2 || cols < 2) return 0;
  int H = rows * (cols - 1), E = H + (rows - 1) * cols;
  size_t cap = 256, ns = 0;
  seg *s = malloc(cap * sizeof *s);
  int *use = malloc((size_t)E * 2 * sizeof *use);  /* up to 2 segments per edge */
  if (!s || !use) { free(s), free(use); return dlt_failn("contour: cannot allocate edges for %dx%d", rows, cols); }
  for (int k = 0; k < 2 * E; k++) use[k] = -1;
  for (int i = 0; i + 1 < rows; i++)
    for (int j = 0; j + 1 < cols; j++) {
      int pairs[4], np = cell_segments(Z, cols, H, i, j, level, pairs);
      for (int k = 0; k < np; k += 2) {
        if (ns == cap) {
          seg *n2 = realloc(s, 2 * cap * sizeof *s);
          if (!n2) { free(s), free(use); return dlt_failn("contour: cannot allocate segments"); }
          s = n2, cap *= 2;
        }
        s[ns].e[0] = pairs[k], s[ns].e[1] = pairs[k + 1];
        for (int q = 0; q < 2; q++) {
          int e = pairs[k + q];
          use[2 * e + (use[2 * e] >= 0)] = (int)ns;
        }
        ns++;
      }
    }
  int rc = chain_segments(s, ns, use, X, Y, Z, cols, H, level, out);
  free(s), free(use);
  return rc;
}

/* ---- bands ---- */
typedef struct { double x, y, z; } vtx;

/* Sutherland-Hodgman against z >= v (sign 1) or z <= v (sign -1), z linear on edges */
static int clip(const vtx *in, int n, vtx *out, double v, int sign) {
  int m = 0;
  for (int k = 0; k < n; k++) {
    vtx a = in[k], b = in[(k + 1) % n];
    int ia = sign * (a.z - v) >= 0, ib = sign * (b.z - v) >= 0;
    if (ia) out[m++] = a;
    if (ia != ib) {
      double t = (v - a.z) / (b.z - a.z);
      out[m++] = (vtx){a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), v};
    }
  }
  return m;
}

static int emit(dlt_paths *out, const vtx *p, int n) {
  if (n < 3) return 0;
  for (int k = 0; k < n; k++)
    if (paths_point(out, p[k].x, p[k].y) != 0) return -1;
  return paths_close(out, 1);
}

static int band_poly(dlt_paths *out, const vtx *p, int n, double lo, double hi) {
  vtx a[16], b[16];
  int m = clip(p, n, a, lo, 1);
  m = clip(a, m, b, hi, -1);
  return emit(out, b, m);
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* the cell's polygon(s) within [lo, hi]: a saddle for either boundary is split into
 * four triangles about the centre, whose value is the corners' mean */
static int cell_band(dlt_paths *out, const vtx *c, double lo, double hi) {
  int saddle = 0;
  for (int L = 0; L < 2; L++) {
    double v = L ? hi : lo;
    int s0 = c[0].z >= v, s1 = c[1].z >= v, s2 = c[2].z >= v, s3 = c[3].z >= v;
    if (s0 == s2 && s1 == s3 && s0 != s1) saddle = 1;
  }
  if (!saddle) return band_poly(out, c, 4, lo, hi);
  vtx m = {(c[0].x + c[1].x + c[2].x + c[3].x) / 4, (c[0].y + c[1].y + c[2].y + c[3].y) / 4,
           (c[0].z + c[1].z + c[2].z + c[3].z) / 4};
  for (int k = 0; k < 4; k++) {
    vtx t[3] = {c[k], c[(k + 1) % 4], m};
    if (band_poly(out, t, 3, lo, hi) != 0) return -1;
  }
  return 0;
}

/* the band k with levels[k] <= v < levels[k+1], -1 below, nlevels-1 at or above the top */
static int band_of(const double *levels, int nlevels, double v) {
  int lo = -1, hi = nlevels - 1;  /* levels[lo] <= v < levels[hi], lo = -1 meaning -inf */
  if (v >= levels[nlevels - 1]) return nlevels - 1;
  while (hi - lo > 1) {
    int m = (lo + hi) / 2;
    if (v >= levels[m]) lo = m;
    else hi = m;
  }
  return lo;
}

int dlt_contour_bands(const double *X, const double *Y, const double *Z, int rows, int cols,
                      const double *levels, int nlevels, dlt_paths *out) {
  int nb = nlevels - 1;
  for (int b = 0; b < nb; b++)
    if (paths_begin(&out[b]) != 0) return -1;
  int rect = 1;  /* rectilinear grid: runs of cells inside one band merge into one quad */
  for (int i = 0; i < rows && rect; i++)
    for (int j = 0; j < cols && rect; j++)
      rect = X[i * cols + j] == X[j] && Y[i * cols + j] == Y[i * cols];
  for (int i = 0; i + 1 < rows; i++) {
    int run = -1, run_band = -1;
    for (int j = 0; j + 1 <= cols; j++) {
      int a = i * cols + j, whole = -1, b0 = 0, b1 = -1;
      if (j + 1 < cols) {
        double z0 = Z[a], z1 = Z[a + 1], z2 = Z[a + cols + 1], z3 = Z[a + cols];
        if (isfinite(z0) && isfinite(z1) && isfinite(z2) && isfinite(z3)) {
          double zmin = MIN(MIN(z0, z1), MIN(z2, z3)), zmax = MAX(MAX(z0, z1), MAX(z2, z3));
          b0 = band_of(levels, nlevels, zmin), b1 = band_of(levels, nlevels, zmax);
          /* the top level closes the last band */
          if (b1 == nb && zmax == levels[nb]) b1 = nb - 1;
          if (b0 == nb && zmin == levels[nb]) b0 = nb - 1;
          if (b0 == b1 && b0 >= 0 && b0 < nb) whole = b0;
          b0 = MAX(b0, 0), b1 = MIN(b1, nb - 1);
        }
      }
      if (whole >= 0 && rect && whole == run_band) continue;
      if (run >= 0) {  /* one quad for the finished run */
        int q0 = i * cols + run, q1 = i * cols + j;
        vtx q[4] = {{X[q0], Y[q0], 0}, {X[q1], Y[q1], 0}, {X[q1 + cols], Y[q1 + cols], 0},
                    {X[q0 + cols], Y[q0 + cols], 0}};
        if (emit(&out[run_band], q, 4) != 0) return -1;
        run = -1, run_band = -1;
      }
      if (whole >= 0 && rect) { run = j, run_band = whole; continue; }
      if (b1 < b0) continue;
      vtx c[4] = {{X[a], Y[a], Z[a]}, {X[a + 1], Y[a + 1], Z[a + 1]},
                  {X[a + cols + 1], Y[a + cols + 1], Z[a + cols + 1]},
                  {X[a + cols], Y[a + cols], Z[a + cols]}};
      for (int b = b0; b <= b1; b++)
        if (cell_band(&out[b], c, levels[b], levels[b + 1]) != 0) return -1;
    }
  }
  return 0;
}

int dlt_contour_band(const double *X, const double *Y, const double *Z, int rows, int cols,
                     double lo, double hi, dlt_paths *out) {
  double lev[2] = {lo, hi};
  return dlt_contour_bands(X, Y, Z, rows, cols, lev, 2, out);
}

int dlt_contour_autolevels(double zmin, double zmax, int n, double *out) {
  double lev[DLT_MAXTICKS];
  if (n < 1) n = 1;
  if (n + 1 > DLT_MAXTICKS - 2) n = DLT_MAXTICKS - 3;
  int m = dlt_ticks_maxn(zmin, zmax, n + 1, 1, 0, lev);
  /* trim the locator's excess levels below zmin and above zmax */
  int i0 = 0, i1 = m;
  for (int k = 0; k < m; k++) if (lev[k] < zmin) i0 = k;
  for (int k = m - 1; k >= 0; k--) if (lev[k] > zmax) i1 = k + 1;
  if (i1 - i0 < 3) i0 = 0, i1 = m;
  for (int k = i0; k < i1; k++) out[k - i0] = lev[k];
  return i1 - i0;
}
