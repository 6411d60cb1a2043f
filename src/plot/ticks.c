/* ticks.c: tick positions and labels as matplotlib 3.6 computes them: MaxNLocator
 * with steps (1, 2, 2.5, 5, 10) (AutoLocator), LogLocator(base 10), ScalarFormatter
 * and LogFormatterSciNotation. */
#include <float.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "plot/plot.h"

/* mtransforms.nonsingular(expander=1e-13, tiny=1e-14): widen a degenerate range */
static void nonsingular(double *vmin, double *vmax, double expander, double tiny) {
  if (!isfinite(*vmin) || !isfinite(*vmax)) {
    *vmin = -expander, *vmax = expander;
    return;
  }
  int swapped = 0;
  if (*vmax < *vmin) {
    double t = *vmin;
    *vmin = *vmax;
    *vmax = t;
    swapped = 1;
  }
  double maxabs = fmax(fabs(*vmin), fabs(*vmax));
  if (maxabs < (1e6 * 2.2250738585072014e-308)) {
    *vmin = -expander, *vmax = expander;
  } else if (*vmax - *vmin <= maxabs * tiny) {
    if (*vmax == 0 && *vmin == 0) *vmin = -expander, *vmax = expander;
    else *vmin -= expander * fabs(*vmin), *vmax += expander * fabs(*vmax);
  }
  if (swapped) {
    double t = *vmin;
    *vmin = *vmax;
    *vmax = t;
  }
}

/* ticker.scale_range */
static void scale_range(double vmin, double vmax, int n, double *scale, double *offset) {
  double dv = fabs(vmax - vmin), meanv = (vmax + vmin) / 2;
  *offset = 0;
  if (fabs(meanv) / dv >= 100) *offset = copysign(pow(10, floor(log10(fabs(meanv)))), meanv);
  *scale = pow(10, floor(log10(dv / n)));
}

/* ticker._Edge_integer: floor/ceil of x/step that forgives rounding error */
static int closeto(double ms, double edge, double step, double offset) {
  double tol = 1e-10;
  if (offset > 0) {
    tol = fmax(1e-10, pow(10, log10(offset / step) - 12));
    tol = fmin(0.4999, tol);
  }
  return fabs(ms - edge) < tol;
}

static double edge_le(double x, double step, double offset) {
  double d = floor(x / step), m = x - d * step;
  return closeto(m / step, 1, step, offset) ? d + 1 : d;
}

static double edge_ge(double x, double step, double offset) {
  double d = floor(x / step), m = x - d * step;
  return closeto(m / step, 0, step, offset) ? d : d + 1;
}

/* _staircase(steps): 0.1 * steps[:-1], steps, 10 * steps[1] */
static const double auto_steps[] = {0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10, 20};
static const double maxn_steps[] = {0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1,
                                    1.5, 2, 2.5, 3, 4, 5, 6, 8, 10, 15};

int dlt_ticks_maxn(double vmin, double vmax, int nbins, int min_n, int autolocator, double *out) {
  nonsingular(&vmin, &vmax, 1e-13, 1e-14);
  if (vmax < vmin) {
    double t = vmin;
    vmin = vmax;
    vmax = t;
  }
  const double *base = autolocator ? auto_steps : maxn_steps;
  int nsteps = autolocator ? 10 : 20;
  double scale, offset;
  scale_range(vmin, vmax, nbins, &scale, &offset);
  double lo = vmin - offset, hi = vmax - offset, raw = (hi - lo) / nbins;
  int istep = 0;
  while (istep < nsteps - 1 && base[istep] * scale < raw) istep++;
  int n = 0;
  for (; istep < nsteps; istep++) {
    double step = base[istep] * scale;
    double best = floor(lo / step) * step;
    double low = edge_le(lo - best, step, fabs(offset));
    double high = edge_ge(hi - best, step, fabs(offset));
    n = 0;
    int inside = 0;
    for (double k = low; k <= high && n < DLT_MAXTICKS; k++) {
      double t = k * step + best;
      out[n++] = t + offset;
      if (t <= hi && t >= lo) inside++;
    }
    if (inside >= min_n) break;
  }
  return n;
}

int dlt_ticks_log(double vmin, double vmax, int numticks, double *out) {
  if (vmax < vmin) {
    double t = vmin;
    vmin = vmax;
    vmax = t;
  }
  if (!(vmin > 0) || !isfinite(vmax) || numticks < 2) return 0;
  /* math.log(v) / math.log(10), not log10: matplotlib's rounding decides the stride */
  double lmin = log(vmin) / log(10.0), lmax = log(vmax) / log(10.0);
  int numdec = (int)(floor(lmax) - ceil(lmin));
  int stride = (numdec + 1) / numticks + 1;
  if (stride >= numdec) stride = numdec - 1 > 1 ? numdec - 1 : 1;
  int n = 0;
  double d0 = floor(lmin) - stride, d1 = ceil(lmax) + 2 * stride;
  for (double d = d0; d < d1 && n < DLT_MAXTICKS; d += stride) out[n++] = pow(10, d);
  return n;
}

int dlt_tick_space(double length_pt, double fontsize_pt, int vertical) {
  /* matplotlib assumes tick text no wider than 3:1 (x) and 2 label heights (y) */
  double size = fontsize_pt * (vertical ? 2 : 3);
  int n = (int)floor(length_pt / size);
  return n;
}

/* U+2212 minus sign for negative numbers, as axes.unicode_minus */
static void fix_minus(char *s, int cap) {
  if (s[0] != '-') return;
  size_t n = strlen(s);
  if ((int)n + 3 > cap) return;
  memmove(s + 3, s + 1, n);
  s[0] = (char)0xE2, s[1] = (char)0x88, s[2] = (char)0x92;
}

int dlt_ticks_format(const double *locs, int n, double vmin, double vmax, char (*labels)[40]) {
  if (vmax < vmin) {
    double t = vmin;
    vmin = vmax;
    vmax = t;
  }
  /* order of magnitude (powerlimits -5, 6) from the visible ticks */
  double amax = 0;
  for (int i = 0; i < n; i++)
    if (locs[i] >= vmin && locs[i] <= vmax && fabs(locs[i]) > amax) amax = fabs(locs[i]);
  int oom = amax == 0 ? 0 : (int)floor(log10(amax));
  if (oom > -5 && oom < 6) oom = 0;
  double sc = pow(10, oom), lo = INFINITY, hi = -INFINITY, mx = 0;
  double ext[2] = {vmin, vmax};
  const double *src = n >= 2 ? locs : ext;
  int ns = n >= 2 ? n : 2;
  for (int i = 0; i < ns; i++) {
    double v = src[i] / sc;
    lo = fmin(lo, v), hi = fmax(hi, v), mx = fmax(mx, fabs(v));
  }
  double range = hi - lo;
  if (range == 0) range = mx;
  if (range == 0) range = 1;
  if (!isfinite(range)) range = DBL_MAX; /* limits (-1e308, 1e308): hi - lo overflows */
  int rng_oom = (int)floor(log10(range));
  int sig = 3 - rng_oom > 0 ? 3 - rng_oom : 0;
  double thresh = 1e-3 * pow(10, rng_oom);
  while (sig >= 0) {
    double worst = 0, p = pow(10, sig);
    for (int i = 0; i < n; i++) {
      double v = locs[i] / sc;
      worst = fmax(worst, fabs(v - round(v * p) / p));
    }
    if (worst < thresh) sig--;
    else break;
  }
  sig++;
  for (int i = 0; i < n; i++) {
    double v = locs[i] / sc;
    snprintf(labels[i], 40, "%.*f", sig, v);
    /* "-0.0" prints as "0.0" */
    int zero = 1;
    for (const char *c = labels[i]; *c; c++)
      if (*c >= '1' && *c <= '9') zero = 0;
    if (zero && labels[i][0] == '-') memmove(labels[i], labels[i] + 1, strlen(labels[i]));
    fix_minus(labels[i], 40);
  }
  return oom;
}

void dlt_ticks_format_log(double loc, char *label, int cap) {
  double e = log10(loc);
  double r = round(e);
  if (fabs(e - r) < 1e-10) {
    char num[16];
    snprintf(num, sizeof num, "%d", (int)r);
    fix_minus(num, sizeof num);
    snprintf(label, (size_t)cap, "10^{%s}", num);
  } else {
    /* a non-decade tick: coefficient x 10^k */
    double k = floor(e), c = loc / pow(10, k);
    char num[16];
    snprintf(num, sizeof num, "%d", (int)k);
    fix_minus(num, sizeof num);
    snprintf(label, (size_t)cap,
             "%g\xc3\x97"
             "10^{%s}",
             c, num);
  }
}
