/* print.c: tensors printed exactly as PyTorch 1.13 prints them (torch/_tensor_str.py):
 * precision 4, fixed/integer/scientific mode chosen from the values, one width for all
 * elements, 80-column lines, summarized with "..." (3 edge items) above 1000 elements. */
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"

enum { PRECISION = 4,
       THRESHOLD = 1000,
       EDGE = 3,
       LINEWIDTH = 80 };

typedef struct {
  char *s;
  size_t len, cap;
  bool oom;
} sbuf;

static void sb_add(sbuf *b, const char *s, size_t n) {
  if (b->oom) return;
  if (b->len + n + 1 > b->cap) {
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + n + 1) cap *= 2;
    char *p = realloc(b->s, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->s = p;
    b->cap = cap;
  }
  memcpy(b->s + b->len, s, n);
  b->len += n;
  b->s[b->len] = 0;
}
static void sb_puts(sbuf *b, const char *s) { sb_add(b, s, strlen(s)); }
static void sb_spaces(sbuf *b, int n) {
  for (int i = 0; i < n; i++) sb_add(b, " ", 1);
}

typedef struct {
  bool int_mode, sci_mode;
  int width;
  bool summarize;
  dlt_dtype dtype; /* int64 prints as Python ints, bool as True/False */
} fmt;

/* Python's "{:.Nf}"/"{:.Ne}" of v; nan prints unsigned, infinities as inf/-inf */
static int num_str(char *buf, size_t n, double v, char kind, int prec) {
  if (v != v) return snprintf(buf, n, "nan");
  if (isinf(v)) return snprintf(buf, n, v > 0 ? "inf" : "-inf");
  return kind == 'e' ? snprintf(buf, n, "%.*e", prec, v) : snprintf(buf, n, "%.*f", prec, v);
}

/* the element text, left-padded to the common width */
static void format_value(const fmt *f, double v, char *out, size_t n) {
  char s[64];
  if (f->dtype == DLT_INT64) snprintf(s, sizeof s, "%lld", (long long)v);
  else if (f->dtype == DLT_BOOL) snprintf(s, sizeof s, v != 0 ? "True" : "False");
  else if (f->sci_mode) num_str(s, sizeof s, v, 'e', PRECISION);
  else if (f->int_mode) {
    num_str(s, sizeof s, v, 'f', 0);
    if (isfinite(v)) strcat(s, ".");
  } else num_str(s, sizeof s, v, 'f', PRECISION);
  int pad = f->width - (int)strlen(s);
  snprintf(out, n, "%*s%s", pad > 0 ? pad : 0, "", s);
}

/* values the formatter looks at: all, or only the edge items of each dim when summarizing */
static void collect(const dlt_tensor *t, int d, int64_t *idx, bool summarize, double *out, int64_t *n) {
  if (d == t->ndim) {
    out[(*n)++] = dlt_get(t, idx);
    return;
  }
  int64_t size = t->shape[d];
  for (int64_t i = 0; i < size; i++) {
    if (summarize && size > 2 * EDGE && i == EDGE) i = size - EDGE;
    idx[d] = i;
    collect(t, d + 1, idx, summarize, out, n);
  }
}

static void init_fmt(fmt *f, const double *v, int64_t n) {
  f->int_mode = true;
  f->sci_mode = false;
  f->width = 1;
  if (!dlt_is_floating(f->dtype)) { /* the widest str(value), as PyTorch's formatter */
    char s[64];
    for (int64_t i = 0; i < n; i++) {
      int w = f->dtype == DLT_BOOL ? (v[i] != 0 ? 4 : 5) : snprintf(s, sizeof s, "%lld", (long long)v[i]);
      if (w > f->width) f->width = w;
    }
    return;
  }
  double mx = 0, mn = INFINITY;
  int64_t cnt = 0;
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i]) || v[i] == 0) continue;
    double a = fabs(v[i]);
    mx = a > mx ? a : mx;
    mn = a < mn ? a : mn;
    if (v[i] != ceil(v[i])) f->int_mode = false;
    cnt++;
  }
  if (cnt == 0) return;
  f->sci_mode = mx / mn > 1000.0 || mx > 1.0e8 || (!f->int_mode && mn < 1.0e-4);
  char s[64];
  for (int64_t i = 0; i < n; i++) {
    if (!isfinite(v[i]) || v[i] == 0) continue;
    int w = f->sci_mode   ? num_str(s, sizeof s, v[i], 'e', PRECISION)
            : f->int_mode ? num_str(s, sizeof s, v[i], 'f', 0) + 1
                          : num_str(s, sizeof s, v[i], 'f', PRECISION);
    if (w > f->width) f->width = w;
  }
}

static void vector_str(sbuf *b, const dlt_tensor *t, int64_t *idx, int indent, const fmt *f) {
  int d = t->ndim - 1;
  int64_t size = t->shape[d];
  int per_line = (int)floor((double)(LINEWIDTH - indent) / (double)(f->width + 2));
  if (per_line < 1) per_line = 1;
  sb_puts(b, "[");
  int on_line = 0;
  char s[96];
  for (int64_t i = 0; i < size; i++) {
    bool dots = f->summarize && size > 2 * EDGE && i == EDGE;
    if (dots) {
      strcpy(s, " ...");
      i = size - EDGE - 1;
    } else {
      idx[d] = i;
      format_value(f, dlt_get(t, idx), s, sizeof s);
    }
    if (on_line == per_line) {
      sb_puts(b, ",\n");
      sb_spaces(b, indent + 1);
      on_line = 0;
    } else if (on_line > 0) {
      sb_puts(b, ", ");
    }
    sb_puts(b, s);
    on_line++;
  }
  sb_puts(b, "]");
}

static void tensor_str(sbuf *b, const dlt_tensor *t, int d, int64_t *idx, int indent, const fmt *f) {
  if (d == t->ndim - 1) {
    vector_str(b, t, idx, indent, f);
    return;
  }
  int64_t size = t->shape[d];
  int dims_left = t->ndim - d;
  sb_puts(b, "[");
  for (int64_t i = 0; i < size; i++) {
    if (i > 0) {
      sb_puts(b, ",");
      for (int k = 0; k < dims_left - 1; k++) sb_puts(b, "\n");
      sb_spaces(b, indent + 1);
    }
    if (f->summarize && size > 2 * EDGE && i == EDGE) {
      sb_puts(b, "...");
      i = size - EDGE - 1;
      continue;
    }
    idx[d] = i;
    tensor_str(b, t, d + 1, idx, indent + 1, f);
  }
  sb_puts(b, "]");
}

/* ", suffix" on the same line while it fits in 80 columns, else on a new indented line */
static void add_suffix(sbuf *b, int *last_len, const char *suffix, int indent) {
  int n = (int)strlen(suffix);
  if (*last_len + n + 2 > LINEWIDTH) {
    sb_puts(b, ",\n");
    sb_spaces(b, indent);
    *last_len = indent + n;
  } else {
    sb_puts(b, ", ");
    *last_len += n + 2;
  }
  sb_puts(b, suffix);
}

char *dlt_format(const dlt_tensor *t) {
  const int indent = 7; /* strlen("tensor(") */
  sbuf b = {0};
  int64_t n = dlt_numel(t), idx[DLT_MAXDIM] = {0};
  sb_puts(&b, "tensor(");
  char suffixes[4][96];
  int ns = 0;
  if (n == 0) {
    sb_puts(&b, "[]");
    if (t->ndim != 1) { /* Python's tuple repr of the shape */
      size_t k = (size_t)snprintf(suffixes[ns], sizeof suffixes[ns], "size=(");
      for (int i = 0; i < t->ndim && k < sizeof suffixes[ns]; i++)
        k += (size_t)snprintf(suffixes[ns] + k, sizeof suffixes[ns] - k, i ? ", %lld" : "%lld", (long long)t->shape[i]);
      if (k < sizeof suffixes[ns]) snprintf(suffixes[ns] + k, sizeof suffixes[ns] - k, t->ndim == 1 ? ",)" : ")");
      ns++;
    }
  } else {
    fmt f = {.summarize = n > THRESHOLD, .dtype = t->dtype};
    int64_t cap = 1; /* at most 2*EDGE items per dim are looked at when summarizing */
    for (int i = 0; i < t->ndim; i++) cap *= f.summarize && t->shape[i] > 2 * EDGE ? 2 * EDGE : t->shape[i];
    double *vals = malloc(sizeof(double) * (size_t)cap);
    if (!vals) {
      free(b.s);
      return NULL;
    }
    int64_t cnt = 0;
    collect(t, 0, idx, f.summarize, vals, &cnt);
    init_fmt(&f, vals, cnt);
    free(vals);
    if (t->ndim == 0) {
      char s[96];
      format_value(&f, dlt_item(t), s, sizeof s);
      sb_puts(&b, s);
    } else {
      tensor_str(&b, t, 0, idx, indent, &f);
    }
  }
  /* int64 and bool are shown by their values, except in an empty tensor */
  bool shown = t->dtype == dlt_default_dtype() || (n > 0 && !dlt_is_floating(t->dtype));
  if (!shown) snprintf(suffixes[ns++], sizeof suffixes[0], "dtype=torch.%s", dlt_dtype_name(t->dtype));
  if (t->grad_fn) {
    const char *name = dlt_node_name(t->grad_fn);
    size_t len = strlen(name);
    bool numbered = len > 0 && name[len - 1] >= '0' && name[len - 1] <= '9';
    snprintf(suffixes[ns++], sizeof suffixes[0], "grad_fn=<%s%s>", name, numbered ? "" : "0");
  } else if (t->requires_grad) {
    snprintf(suffixes[ns++], sizeof suffixes[0], "requires_grad=True");
  }
  if (!b.oom) {
    const char *nl = strrchr(b.s, '\n');
    int last_len = nl ? (int)(b.len - (size_t)(nl - b.s)) + 1 : (int)b.len + 2;
    for (int i = 0; i < ns; i++) add_suffix(&b, &last_len, suffixes[i], indent);
    sb_puts(&b, ")");
  }
  if (b.oom) {
    free(b.s);
    return dlt_fail("cannot allocate memory to print a tensor");
  }
  return b.s;
}
