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
typedef struct {
  int e[2];
} seg;

static void edge_point(const double *X, const double *Y, const double *Z, int cols, int H,
                       int e, double level, double *px, double *py) {
  int a, b;
  if (e < H) {
    int i = e / (cols - 1), j = e % (cols - 1);
    a = i * cols + j, b = a + 1;
  } else {
    a = e - H, b = a + cols;
  }
  double t = (level - Z[a]) / (Z[b] - Z[a]);
  *px = X[a] + t * (X[b] - X[a]);
  *py = Y[a] + t * (Y[b] - Y[a]);
}

/* The level's crossing of cell (i,j), whose corners are on the sides c says (bit k:
 * corner k at or above the level, counterclockwise in index space: 0=(i,j) 1=(i,j+1)
 * 2=(i+1,j+1) 3=(i+1,j)), as edge pairs, one pair per segment: returns 0, 2 or 4
 * entries of pairs (none where the corners' sum overflows). */
static int cell_segments(const double *Z, int cols, int H, int i, int j, double level, int c, int pairs[4]) {
  int a = i * cols + j;
  double z0 = Z[a], z1 = Z[a + 1], z2 = Z[a + cols + 1], z3 = Z[a + cols];
  if (!isfinite(z0 + z1 + z2 + z3)) return 0;
  /* the cell's edges: bottom (0-1), right (1-2), top (3-2), left (0-3) */
  int eb = i * (cols - 1) + j, et = (i + 1) * (cols - 1) + j;
  int el = H + i * cols + j, er = el + 1;
  switch (c) {
  case 1:
  case 14: pairs[0] = el, pairs[1] = eb; return 2;
  case 2:
  case 13: pairs[0] = eb, pairs[1] = er; return 2;
  case 3:
  case 12: pairs[0] = el, pairs[1] = er; return 2;
  case 4:
  case 11: pairs[0] = er, pairs[1] = et; return 2;
  case 6:
  case 9: pairs[0] = eb, pairs[1] = et; return 2;
  case 7:
  case 8: pairs[0] = el, pairs[1] = et; return 2;
  case 5:
  case 10: {
    /* saddle: if the centre is on the side of corner 0, corners 0 and 2 join */
    int centre = (z0 + z1 + z2 + z3) / 4 >= level;
    int join02 = centre == (c == 5);
    if (join02) {
      pairs[0] = el, pairs[1] = et, pairs[2] = eb, pairs[3] = er;
    } else {
      pairs[0] = el, pairs[1] = eb, pairs[2] = er, pairs[3] = et;
    }
    return 4;
  }
  default: return 0; /* 0 and 15: the cell is all above or all below */
  }
}

/* the points of one grid row: 1 if z >= level, 2 if z is NaN or infinite */
static void row_sides(const double *z, int cols, double level, unsigned char *st) {
  for (int j = 0; j < cols; j++) st[j] = (unsigned char)((z[j] >= level) | !isfinite(z[j]) << 1);
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

/* the segments of the level, cell by cell (a cell with a NaN or infinite corner has
 * none); *ns of them in *s */
static int level_segments(const double *Z, int rows, int cols, int H, double level, seg **s, size_t *ns) {
  size_t cap = 256;
  unsigned char *st = malloc(2 * (size_t)cols);
  *s = malloc(cap * sizeof **s), *ns = 0;
  if (!st || !*s) {
    free(st), free(*s), *s = NULL;
    return dlt_failn("contour: cannot allocate segments");
  }
  row_sides(Z, cols, level, st);
  for (int i = 0; i + 1 < rows; i++) {
    const unsigned char *lo = st + (size_t)(i & 1) * cols;
    unsigned char *hi = st + (size_t)((i + 1) & 1) * cols;
    row_sides(Z + (size_t)(i + 1) * cols, cols, level, hi);
    for (int j = 0; j + 1 < cols; j++) {
      unsigned s0 = lo[j], s1 = lo[j + 1], s2 = hi[j + 1], s3 = hi[j];
      unsigned c = (s0 & 1) | (s1 & 1) << 1 | (s2 & 1) << 2 | (s3 & 1) << 3;
      if (c == 0 || c == 15 || ((s0 | s1 | s2 | s3) & 2)) continue; /* all below, all above, not finite */
      int pairs[4], np = cell_segments(Z, cols, H, i, j, level, (int)c, pairs);
      for (int k = 0; k < np; k += 2) {
        if (*ns == cap) {
          seg *n2 = realloc(*s, 2 * cap * sizeof **s);
          if (!n2) {
            free(st), free(*s), *s = NULL;
            return dlt_failn("contour: cannot allocate segments");
          }
          *s = n2, cap *= 2;
        }
        (*s)[*ns].e[0] = pairs[k], (*s)[*ns].e[1] = pairs[k + 1], ++*ns;
      }
    }
  }
  free(st);
  return 0;
}

/* one level's lines with use, 2 ints an edge (only the edges crossed are read) */
static int lines_with(const double *X, const double *Y, const double *Z, int rows, int cols, double level,
                      int *use, dlt_paths *out) {
  if (paths_begin(out) != 0) return -1;
  if (rows < 2 || cols < 2) return 0;
  int H = rows * (cols - 1);
  seg *s;
  size_t ns;
  if (level_segments(Z, rows, cols, H, level, &s, &ns) != 0) return -1;
  for (size_t k = 0; k < ns; k++) use[2 * s[k].e[0]] = use[2 * s[k].e[0] + 1] = use[2 * s[k].e[1]] = use[2 * s[k].e[1] + 1] = -1;
  for (size_t k = 0; k < ns; k++)
    for (int q = 0; q < 2; q++) {
      int e = s[k].e[q];
      use[2 * e + (use[2 * e] >= 0)] = (int)k;
    }
  int rc = chain_segments(s, ns, use, X, Y, Z, cols, H, level, out);
  free(s);
  return rc;
}

/* room for the edges of a rows x cols grid (at least 2 x 2), 2 ints each: 640 KB at
 * 200 x 200, so made once for many levels (fresh pages cost a fault each) */
static int *edge_use(int rows, int cols) {
  size_t E = (size_t)rows * (cols - 1) + (size_t)(rows - 1) * cols;
  int *use = malloc(E * 2 * sizeof *use);
  if (!use) dlt_failn("contour: cannot allocate edges for %dx%d", rows, cols);
  return use;
}

int dlt_contour_lines(const double *X, const double *Y, const double *Z, int rows, int cols,
                      double level, dlt_paths *out) {
  return dlt_contour_lines_range(X, Y, Z, rows, cols, &level, 0, 1, out) == 1 ? 0 : -1;
}

int dlt_contour_lines_range(const double *X, const double *Y, const double *Z, int rows, int cols,
                            const double *levels, int i0, int i1, dlt_paths *out) {
  if (rows < 2 || cols < 2) {
    for (int i = i0; i < i1; i++)
      if (paths_begin(&out[i]) != 0) return i;
    return i1;
  }
  int *use = edge_use(rows, cols), i = i0;
  while (use && i < i1 && lines_with(X, Y, Z, rows, cols, levels[i], use, &out[i]) == 0) i++;
  free(use);
  return use ? i : i0;
}

/* ---- bands ----
 * Each cell's part of a band is the cell clipped to lo <= z <= hi (a saddle for
 * either level is split into four triangles about the centre). The parts of one row
 * of cells are then merged: their vertices are named (a grid point, the crossing of
 * level lo or hi on a grid edge or on a saddle's diagonal, a saddle's centre), so an
 * edge two neighbouring parts share comes once each way and both go. What is left
 * is chained into closed outlines: the row's band without the inner edges between
 * cells, which cost the rasteriser as much as the outline itself. */
typedef struct {
  double x, y, z;
  int id, lab;
} vtx; /* lab: the line of the edge to the next vertex */

/* Sutherland-Hodgman against z >= v (sign 1) or z <= v (sign -1), z linear on edges;
 * a crossing is named after its edge's line plus s (0 for lo, 1 for hi); the new
 * edge from a leaving crossing to an entering one runs inside the cell (lab -1) */
static int clip(const vtx *in, int n, vtx *out, double v, int sign, int s) {
  int m = 0;
  for (int k = 0; k < n; k++) {
    vtx a = in[k], b = in[(k + 1) % n];
    int ia = sign * (a.z - v) >= 0, ib = sign * (b.z - v) >= 0;
    if (ia) out[m++] = a;
    if (ia != ib) {
      double t = (v - a.z) / (b.z - a.z);
      out[m++] = (vtx){a.x + t * (b.x - a.x), a.y + t * (b.y - a.y), v, a.lab + s, ia ? -1 : a.lab};
    }
  }
  return m;
}

#define MIN(a, b) ((a) < (b) ? (a) : (b))
#define MAX(a, b) ((a) > (b) ? (a) : (b))

/* The vertex names of one row of cells (c = cols - 1 of them) for one band:
 *   grid points (i, j): j, (i+1, j): C + j                          (C = cols)
 *   crossings on the bottom edge of cell j: H0 + 2j + s, top: H1 + 2j + s
 *   crossings on the vertical edge at column j: V + 2j + s
 *   the centre of saddle cell j: M + j; crossings on its diagonal k: D + 2(4j + k) + s */
typedef struct {
  int C, H0, H1, V, M, D, n;
} names;

static names row_names(int cols) {
  names m;
  int c = cols - 1;
  m.C = cols, m.H0 = 2 * cols, m.H1 = m.H0 + 2 * c, m.V = m.H1 + 2 * c, m.M = m.V + 2 * cols, m.D = m.M + c;
  m.n = m.D + 8 * c;
  return m;
}

typedef struct {
  int a, b, next, alive;
  double x, y;
} bedge; /* a -> b, leaving (x, y) */

/* a row's edges of one band, cancelled in pairs as they come, then chained */
typedef struct {
  bedge *e;
  int ne, cap;
  int *head, *gen;
  int stamp; /* per vertex name: first outgoing edge, valid if gen == stamp */
} merger;

static int merger_edge(merger *g, const vtx *p, const vtx *q) {
  int a = p->id, b = q->id;
  if (a == b) return 0;
  if (g->gen[b] == g->stamp) /* the same edge the other way: both go */
    for (int k = g->head[b]; k >= 0; k = g->e[k].next)
      if (g->e[k].alive && g->e[k].b == a) {
        g->e[k].alive = 0;
        return 0;
      }
  if (g->ne == g->cap) {
    int cap = g->cap ? 2 * g->cap : 1024;
    bedge *n = realloc(g->e, (size_t)cap * sizeof *n);
    if (!n) return dlt_failn("contourf: cannot allocate %d edges", cap);
    g->e = n, g->cap = cap;
  }
  if (g->gen[a] != g->stamp) g->gen[a] = g->stamp, g->head[a] = -1;
  g->e[g->ne] = (bedge){a, b, g->head[a], 1, p->x, p->y};
  g->head[a] = g->ne++;
  return 0;
}

static int merger_poly(merger *g, const vtx *p, int n) {
  if (n < 3) return 0;
  for (int k = 0; k < n; k++)
    if (merger_edge(g, &p[k], &p[(k + 1) % n]) != 0) return -1;
  return 0;
}

/* the edges left, chained into closed outlines in out; then the merger is empty */
static int merger_flush(merger *g, dlt_paths *out) {
  int rc = 0;
  for (int k0 = 0; k0 < g->ne && rc == 0; k0++) {
    if (!g->e[k0].alive) continue;
    int k = k0;
    do {
      g->e[k].alive = 0;
      rc |= paths_point(out, g->e[k].x, g->e[k].y);
      int v = g->e[k].b;
      k = -1;
      if (v != g->e[k0].a && g->gen[v] == g->stamp)
        for (int q = g->head[v]; q >= 0; q = g->e[q].next)
          if (g->e[q].alive) {
            k = q;
            break;
          }
    } while (k >= 0 && rc == 0);
    if (rc == 0) rc = paths_close(out, 1);
  }
  g->ne = 0, g->stamp++;
  return rc;
}

static int band_poly(merger *g, const vtx *p, int n, double lo, double hi) {
  vtx a[16], b[16];
  int m = clip(p, n, a, lo, 1, 0);
  m = clip(a, m, b, hi, -1, 1);
  return merger_poly(g, b, m);
}

/* cell j's part of [lo, hi]; c holds its corners counterclockwise (index space) */
static int cell_band(merger *g, const names *nm, int j, const vtx *c, double lo, double hi) {
  int saddle = 0;
  for (int L = 0; L < 2; L++) {
    double v = L ? hi : lo;
    int s0 = c[0].z >= v, s1 = c[1].z >= v, s2 = c[2].z >= v, s3 = c[3].z >= v;
    if (s0 == s2 && s1 == s3 && s0 != s1) saddle = 1;
  }
  if (!saddle) return band_poly(g, c, 4, lo, hi);
  vtx m = {(c[0].x + c[1].x + c[2].x + c[3].x) / 4, (c[0].y + c[1].y + c[2].y + c[3].y) / 4,
           (c[0].z + c[1].z + c[2].z + c[3].z) / 4, nm->M + j, 0};
  for (int k = 0; k < 4; k++) {
    /* corner k, corner k+1, centre: a grid edge, then the diagonals k+1 (out) and k (in) */
    vtx t[3] = {c[k], c[(k + 1) % 4], m};
    t[1].lab = nm->D + 2 * (4 * j + (k + 1) % 4), t[2].lab = nm->D + 2 * (4 * j + k);
    if (band_poly(g, t, 3, lo, hi) != 0) return -1;
  }
  return 0;
}

/* the band k with levels[k] <= v < levels[k+1], -1 below, nlevels-1 at or above the
 * top. guess (levels[0] <= v < levels[nb]): the band if the levels were evenly spaced,
 * from scale = nb / (levels[nb] - levels[0]); it or a neighbour holds v when they
 * nearly are (contourf's automatic levels), else a binary search finds it. */
static int band_of(const double *levels, int nlevels, double scale, double v) {
  int nb = nlevels - 1, lo = -1, hi = nb; /* levels[lo] <= v < levels[hi], lo = -1 meaning -inf */
  if (v >= levels[nb]) return nb;
  if (v < levels[0]) return -1;
  double g = (v - levels[0]) * scale;
  if (g >= 0 && g < nb) {
    int k = (int)g;
    for (int d = 0; d < 3; d++) {
      int c = k + (d == 1 ? 1 : d == 2 ? -1
                                       : 0);
      if (c >= 0 && c < nb && v >= levels[c] && v < levels[c + 1]) return c;
    }
  }
  while (hi - lo > 1) {
    int m = (lo + hi) / 2;
    if (v >= levels[m]) lo = m;
    else hi = m;
  }
  return lo;
}

/* cell (i, j): the bands *b0..*b1 it touches (*b0 > *b1: none, a NaN or infinite
 * corner), and the band holding all of it or -1 */
static int cell_bands(const double *Z, int cols, int i, int j, const double *levels, int nlevels, double scale,
                      int *b0, int *b1) {
  int nb = nlevels - 1, a = i * cols + j;
  double z0 = Z[a], z1 = Z[a + 1], z2 = Z[a + cols + 1], z3 = Z[a + cols];
  *b0 = 0, *b1 = -1;
  if (!(isfinite(z0) && isfinite(z1) && isfinite(z2) && isfinite(z3))) return -1;
  double zmin = MIN(MIN(z0, z1), MIN(z2, z3)), zmax = MAX(MAX(z0, z1), MAX(z2, z3));
  int lo = band_of(levels, nlevels, scale, zmin), hi = band_of(levels, nlevels, scale, zmax);
  /* the top level closes the last band */
  if (hi == nb && zmax == levels[nb]) hi = nb - 1;
  if (lo == nb && zmin == levels[nb]) lo = nb - 1;
  *b0 = MAX(lo, 0), *b1 = MIN(hi, nb - 1);
  return lo == hi && lo >= 0 && lo < nb ? lo : -1;
}

/* one row's cells by band: the cells of band b are cell[first[b] .. first[b+1]-1], in
 * column order, whole[j] the band holding all of cell j or -1 */
typedef struct {
  int *first, *cell, *whole, *b0, *b1, ncell, capcell;
} row_index;

static int index_row(row_index *r, const double *Z, int cols, int i, const double *levels, int nlevels) {
  int nb = nlevels - 1, total = 0;
  double scale = nb / (levels[nb] - levels[0]);
  if (!isfinite(scale)) scale = 0;
  memset(r->first, 0, (size_t)(nb + 1) * sizeof *r->first);
  for (int j = 0; j + 1 < cols; j++) {
    r->whole[j] = cell_bands(Z, cols, i, j, levels, nlevels, scale, &r->b0[j], &r->b1[j]);
    for (int b = r->b0[j]; b <= r->b1[j]; b++) r->first[b + 1]++, total++;
  }
  if (total > r->capcell) {
    int *n = realloc(r->cell, (size_t)total * sizeof *n);
    if (!n) return dlt_failn("contourf: cannot allocate %d cells", total);
    r->cell = n, r->capcell = total;
  }
  for (int b = 0; b < nb; b++) r->first[b + 1] += r->first[b];
  for (int j = 0; j + 1 < cols; j++) /* first[b] moves along band b's range as it fills */
    for (int b = r->b0[j]; b <= r->b1[j]; b++) r->cell[r->first[b]++] = j;
  for (int b = nb; b > 0; b--) r->first[b] = r->first[b - 1];
  r->first[0] = 0;
  return 0;
}

/* band b of row i into out: runs of whole cells as one quad on a rectilinear grid */
static int row_band(merger *g, const names *nm, const double *X, const double *Y, const double *Z, int cols, int i,
                    const row_index *r, int rect, const double *levels, int b, dlt_paths *out) {
  const int *cell = r->cell + r->first[b];
  int n = r->first[b + 1] - r->first[b];
  for (int k = 0; k < n; k++) {
    int j = cell[k], a = i * cols + j;
    if (rect && r->whole[j] == b) { /* one quad for the run of whole cells from j */
      int end = j + 1;
      while (k + 1 < n && cell[k + 1] == end && r->whole[end] == b) k++, end++;
      int q1 = i * cols + end;
      vtx q[4] = {{X[a], Y[a], 0, j, 0}, {X[q1], Y[q1], 0, end, 0}, {X[q1 + cols], Y[q1 + cols], 0, nm->C + end, 0}, {X[a + cols], Y[a + cols], 0, nm->C + j, 0}};
      if (merger_poly(g, q, 4) != 0) return -1;
      continue;
    }
    vtx q[4] = {{X[a], Y[a], Z[a], j, nm->H0 + 2 * j},
                {X[a + 1], Y[a + 1], Z[a + 1], j + 1, nm->V + 2 * (j + 1)},
                {X[a + cols + 1], Y[a + cols + 1], Z[a + cols + 1], nm->C + j + 1, nm->H1 + 2 * j},
                {X[a + cols], Y[a + cols], Z[a + cols], nm->C + j, nm->V + 2 * j}};
    if (cell_band(g, nm, j, q, levels[b], levels[b + 1]) != 0) return -1;
  }
  return merger_flush(g, out);
}

int dlt_contour_bands_rows(const double *X, const double *Y, const double *Z, int rows, int cols,
                           const double *levels, int nlevels, int i0, int i1, dlt_paths *out) {
  int nb = nlevels - 1;
  for (int b = 0; b < nb; b++)
    if (paths_begin(&out[b]) != 0) return -1;
  if (rows < 2 || cols < 2 || nb < 1) return 0;
  int rect = 1; /* rectilinear grid: runs of cells inside one band merge into one quad */
  for (int i = 0; i < rows && rect; i++)
    for (int j = 0; j < cols && rect; j++)
      rect = X[i * cols + j] == X[j] && Y[i * cols + j] == Y[i * cols];
  names nm = row_names(cols);
  merger g = {0};
  g.head = malloc((size_t)nm.n * sizeof *g.head), g.gen = calloc((size_t)nm.n, sizeof *g.gen), g.stamp = 1;
  row_index r = {malloc((size_t)(nb + 1) * sizeof(int)), NULL, malloc(3 * (size_t)cols * sizeof(int)), NULL, NULL, 0, 0};
  r.b0 = r.whole ? r.whole + cols : NULL, r.b1 = r.whole ? r.whole + 2 * cols : NULL;
  int rc = g.head && g.gen && r.first && r.whole ? 0 : dlt_failn("contourf: cannot allocate a %dx%d grid", rows, cols);
  for (int i = i0 < 0 ? 0 : i0; i < i1 && i + 1 < rows && rc == 0; i++) {
    rc = index_row(&r, Z, cols, i, levels, nlevels);
    for (int b = 0; b < nb && rc == 0; b++)
      if (r.first[b + 1] > r.first[b]) rc = row_band(&g, &nm, X, Y, Z, cols, i, &r, rect, levels, b, &out[b]);
  }
  free(g.e), free(g.head), free(g.gen), free(r.first), free(r.cell), free(r.whole);
  return rc;
}

int dlt_contour_bands(const double *X, const double *Y, const double *Z, int rows, int cols,
                      const double *levels, int nlevels, dlt_paths *out) {
  return dlt_contour_bands_rows(X, Y, Z, rows, cols, levels, nlevels, 0, rows - 1, out);
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
  for (int k = 0; k < m; k++)
    if (lev[k] < zmin) i0 = k;
  for (int k = m - 1; k >= 0; k--)
    if (lev[k] > zmax) i1 = k + 1;
  if (i1 - i0 < 3) i0 = 0, i1 = m;
  for (int k = i0; k < i1; k++) out[k - i0] = lev[k];
  return i1 - i0;
}
