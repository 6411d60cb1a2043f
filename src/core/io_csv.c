/* io_csv.c: comma-separated numbers into a (rows, cols) tensor, with an optional
 * header row of column names (dlt.data.load_csv). Errors name the line and column. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"

/* one line split into cells: their decoded text lies NUL-separated in text */
typedef struct {
  char *text;
  size_t cap;
  size_t *start; /* offset of each cell in text */
  size_t *len;
  int n, ncap;
} cells;

static void cells_free(cells *c) {
  free(c->text);
  free(c->start);
  free(c->len);
}

static int cells_reserve(cells *c, size_t textlen) {
  if (textlen > c->cap) {
    char *t = realloc(c->text, textlen);
    if (!t) return dlt_failn("load_csv: cannot allocate %zu bytes", textlen);
    c->text = t;
    c->cap = textlen;
  }
  return 0;
}

static int cells_push(cells *c, size_t start, size_t len) {
  if (c->n == c->ncap) {
    if (c->ncap > (1 << 24)) return dlt_failn("load_csv: more than %d columns", 1 << 24);
    int nc = c->ncap ? c->ncap * 2 : 16;
    size_t *s = realloc(c->start, sizeof(size_t) * (size_t)nc);
    if (s) c->start = s;
    size_t *l = realloc(c->len, sizeof(size_t) * (size_t)nc);
    if (l) c->len = l;
    if (!s || !l) return dlt_failn("load_csv: cannot allocate %d columns", nc);
    c->ncap = nc;
  }
  c->start[c->n] = start;
  c->len[c->n] = len;
  c->n++;
  return 0;
}

static int is_space(char ch) { return ch == ' ' || ch == '\t'; }

/* splits s[0..n) at commas; a cell may be "quoted", with "" for a quote inside */
static int split_line(const char *what, long line, const char *s, size_t n, cells *c) {
  c->n = 0;
  if (cells_reserve(c, n + 1) < 0) return -1;
  size_t i = 0, o = 0;
  for (;;) {
    while (i < n && is_space(s[i])) i++;
    size_t start = o;
    if (i < n && s[i] == '"') {
      for (i++;; i++) {
        if (i >= n) return dlt_failn("load_csv: '%s' line %ld, column %d: unterminated quote", what, line, c->n + 1);
        if (s[i] == '"' && i + 1 < n && s[i + 1] == '"') c->text[o++] = s[i++];
        else if (s[i] == '"') break;
        else c->text[o++] = s[i];
      }
      i++;
      while (i < n && is_space(s[i])) i++;
      if (i < n && s[i] != ',') return dlt_failn("load_csv: '%s' line %ld, column %d: text after a closing quote", what, line, c->n + 1);
    } else {
      while (i < n && s[i] != ',') c->text[o++] = s[i++];
      while (o > start && is_space(c->text[o - 1])) o--;
    }
    if (cells_push(c, start, o - start) < 0) return -1;
    c->text[o++] = 0;
    if (i >= n) return 0;
    i++; /* the comma */
  }
}

/* the whole cell as a decimal number (inf and nan included, hex refused); 0 if not */
static int cell_number(const cells *c, int k, double *v) {
  const char *s = c->text + c->start[k];
  size_t n = c->len[k];
  if (n == 0 || memchr(s, 0, n) || memchr(s, 'x', n) || memchr(s, 'X', n)) return 0;
  char *end;
  *v = strtod(s, &end); /* out of range gives +-inf or 0, as NumPy's loadtxt */
  return end == s + n;
}

void dlt_csv_free(dlt_csv *c) {
  if (!c) return;
  dlt_release(c->data);
  if (c->colnames)
    for (int i = 0; i < c->ncols; i++) free(c->colnames[i]);
  free(c->colnames);
  free(c);
}

static int take_header(dlt_csv *out, const cells *c) {
  out->colnames = dlt_calloc((size_t)c->n, sizeof(char *));
  if (!out->colnames) return -1;
  for (int k = 0; k < c->n; k++) {
    out->colnames[k] = dlt_malloc(c->len[k] + 1);
    if (!out->colnames[k]) return -1;
    memcpy(out->colnames[k], c->text + c->start[k], c->len[k] + 1);
  }
  return 0;
}

/* appends one data row to vals (grown by doubling) */
static int take_row(const char *what, long line, const cells *c, double **vals, size_t *nv, size_t *cap) {
  if (*nv + (size_t)c->n > *cap) {
    size_t nc = (*cap ? *cap * 2 : 1024) + (size_t)c->n, bytes;
    if (!dlt_mul_size(nc, sizeof(double), &bytes)) return -1;
    double *v = realloc(*vals, bytes);
    if (!v) return dlt_failn("load_csv: cannot allocate %zu bytes for '%s'", bytes, what);
    *vals = v;
    *cap = nc;
  }
  for (int k = 0; k < c->n; k++)
    if (!cell_number(c, k, *vals + *nv + k)) {
      if (c->len[k] == 0) return dlt_failn("load_csv: '%s' line %ld, column %d: empty cell", what, line, k + 1);
      return dlt_failn("load_csv: '%s' line %ld, column %d: cannot read '%.40s' as a number", what, line, k + 1, c->text + c->start[k]);
    }
  *nv += (size_t)c->n;
  return 0;
}

dlt_csv *dlt_parse_csv(const char *buf, size_t len, int header, dlt_dtype dtype, const char *what) {
  dlt_csv *out = dlt_calloc(1, sizeof *out);
  if (!out) return NULL;
  cells c = {0};
  double *vals = NULL;
  size_t nv = 0, cap = 0;
  long line = 0, rows = 0;
  int first = 1, rc = 0;
  out->ncols = -1;
  size_t pos = len >= 3 && memcmp(buf, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0; /* a UTF-8 BOM, as spreadsheets write */
  while (rc == 0 && pos < len) {
    const char *s = buf + pos, *nl = memchr(s, '\n', len - pos);
    size_t n = nl ? (size_t)(nl - s) : len - pos;
    pos += n + (nl != NULL);
    line++;
    if (n && s[n - 1] == '\r') n--;
    size_t k = 0;
    while (k < n && is_space(s[k])) k++;
    if (k == n) continue; /* blank lines are skipped */
    if ((rc = split_line(what, line, s, n, &c)) < 0) break;
    if (out->ncols >= 0 && c.n != out->ncols) {
      rc = dlt_failn("load_csv: '%s' line %ld has %d columns, expected %d", what, line, c.n, out->ncols);
      break;
    }
    out->ncols = c.n;
    if (first) {
      first = 0;
      int is_header = header == DLT_CSV_HEADER;
      double v;
      /* an empty cell is missing data, not a name: "1,,2" is a data row (and an error) */
      for (int j = 0; header == DLT_CSV_HEADER_AUTO && j < c.n; j++)
        if (c.len[j] > 0 && !cell_number(&c, j, &v)) is_header = 1;
      if (is_header) {
        rc = take_header(out, &c);
        continue;
      }
    }
    rc = take_row(what, line, &c, &vals, &nv, &cap);
    rows++;
  }
  if (rc == 0 && out->ncols < 0) rc = dlt_failn("load_csv: '%s' holds no rows", what);
  if (rc == 0) {
    int64_t shape[2] = {rows, out->ncols};
    out->data = dlt_from_doubles(vals ? vals : (double[1]){0}, 2, shape, dtype);
    if (!out->data) rc = -1;
  }
  free(vals);
  cells_free(&c);
  if (rc < 0) {
    dlt_csv_free(out);
    return NULL;
  }
  return out;
}

dlt_csv *dlt_load_csv(const char *path, int header, dlt_dtype dtype) {
  size_t len;
  char *buf = dlt_read_file("load_csv", path, &len);
  if (!buf) return NULL;
  dlt_csv *c = dlt_parse_csv(buf, len, header, dtype, path);
  free(buf);
  return c;
}
