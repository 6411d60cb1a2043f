/* color.c: matplotlib colour specifications to RGBA: single letters, tab: and CSS4
 * names (generated table), "#rrggbb[aa]", "C0".."C9" and grey levels "0.8". */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

static const char *const tab10[10] = {"#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd",
                                      "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"};

static int hexval(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  c = (char)tolower((unsigned char)c);
  return c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1;
}

static int parse_hex(const char *s, dlt_rgba *out) {
  size_t n = strlen(s);
  if (n != 7 && n != 9) return -1;
  int v[4] = {0, 0, 0, 255};
  for (size_t i = 0; i < (n - 1) / 2; i++) {
    int hi = hexval(s[1 + 2 * i]), lo = hexval(s[2 + 2 * i]);
    if (hi < 0 || lo < 0) return -1;
    v[i] = hi * 16 + lo;
  }
  *out = (dlt_rgba){v[0] / 255.0, v[1] / 255.0, v[2] / 255.0, v[3] / 255.0};
  return 0;
}

dlt_rgba dlt_color_cycle(int i) {
  dlt_rgba c;
  parse_hex(tab10[((i % 10) + 10) % 10], &c);
  return c;
}

dlt_rgba dlt_rgba_alpha(dlt_rgba c, double alpha) {
  if (alpha >= 0) c.a = alpha;
  return c;
}

int dlt_color_parse(const char *fn, const char *s, dlt_rgba *out) {
  if (s[0] == '#' && parse_hex(s, out) == 0) return 0;
  if (s[0] == 'C' && isdigit((unsigned char)s[1]) && s[2] == 0) {
    *out = dlt_color_cycle(s[1] - '0');
    return 0;
  }
  char *end;
  double g = strtod(s, &end); /* a grey level as a string, "0.8" or ".8" */
  if (end != s && *end == 0 && (isdigit((unsigned char)s[0]) || s[0] == '.')) {
    if (g < 0 || g > 1) return dlt_failn("%s: grey level '%s' is not between 0 and 1", fn, s);
    *out = (dlt_rgba){g, g, g, 1};
    return 0;
  }
  char low[64];
  size_t n = strlen(s);
  if (n < sizeof low) {
    for (size_t i = 0; i <= n; i++) low[i] = (char)(n == 1 ? s[i] : tolower((unsigned char)s[i]));
    for (int i = 0; dlt_named_colors[i].name; i++)
      if (strcmp(dlt_named_colors[i].name, low) == 0) return parse_hex(dlt_named_colors[i].hex, out);
  }
  return dlt_failn("%s: unknown colour '%s'", fn, s);
}
