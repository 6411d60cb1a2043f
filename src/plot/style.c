/* style.c: the rcParams the engine reads, parsed from the generated styles table for
 * "default" and "seaborn-v0_8-whitegrid". The current style is process-wide, as
 * matplotlib's rcParams; a figure copies it when it is created. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

static dlt_style current;
static int loaded;

static const char *value(const char *key, int seaborn) {
  for (int i = 0; dlt_style_rows[i].key; i++)
    if (strcmp(dlt_style_rows[i].key, key) == 0)
      return seaborn && dlt_style_rows[i].seaborn ? dlt_style_rows[i].seaborn
                                                  : dlt_style_rows[i].def;
  return NULL;
}

static double num(const char *key, int sb, double def) {
  const char *v = value(key, sb);
  return v ? strtod(v, NULL) : def;
}

static dlt_rgba color(const char *key, int sb, const char *def) {
  const char *v = value(key, sb);
  dlt_rgba c = {0, 0, 0, 1};
  if (!v || dlt_color_parse("style", v, &c) != 0) dlt_color_parse("style", def, &c);
  return c;
}

static int flag(const char *key, int sb) {
  const char *v = value(key, sb);
  return v && strcmp(v, "True") == 0;
}

/* font sizes relative to font.size, as matplotlib's font_scalings */
static double scale(const char *key, int sb) {
  static const struct {
    const char *n;
    double s;
  } sc[] = {
    {"xx-small", 0.579}, {"x-small", 0.694}, {"small", 0.833}, {"medium", 1.0}, {"large", 1.2}, {"x-large", 1.44}, {"xx-large", 1.728}};
  const char *v = value(key, sb);
  for (size_t i = 0; v && i < sizeof sc / sizeof sc[0]; i++)
    if (strcmp(sc[i].n, v) == 0) return sc[i].s;
  return 1.0;
}

static void load(dlt_style *s, int sb) {
  memset(s, 0, sizeof *s);
  const char *fs = value("figure.figsize", sb);
  s->figw = 6.4, s->figh = 4.8;
  if (fs) sscanf(fs, "[%lf, %lf]", &s->figw, &s->figh);
  s->dpi = num("figure.dpi", sb, 100);
  s->font_size = num("font.size", sb, 10);
  s->fig_face = color("figure.facecolor", sb, "white");
  s->axes_face = color("axes.facecolor", sb, "white");
  s->axes_edge = color("axes.edgecolor", sb, "black");
  s->grid_color = color("grid.color", sb, "#b0b0b0");
  s->label_color = color("axes.labelcolor", sb, "black");
  s->tick_color = color("xtick.color", sb, "black");
  s->axes_lw = num("axes.linewidth", sb, 0.8);
  s->grid_lw = num("grid.linewidth", sb, 0.8);
  s->grid_alpha = num("grid.alpha", sb, 1.0);
  s->lines_lw = num("lines.linewidth", sb, 1.5);
  s->markersize = num("lines.markersize", sb, 6);
  s->patch_lw = num("patch.linewidth", sb, 1);
  s->tick_len = num("xtick.major.size", sb, 3.5);
  s->tick_pad = num("xtick.major.pad", sb, 3.5);
  s->tick_width = num("xtick.major.width", sb, 0.8);
  const char *dir = value("xtick.direction", sb);
  s->tick_dir = !dir ? DLT_TICK_OUT : strcmp(dir, "in") == 0    ? DLT_TICK_IN
                                    : strcmp(dir, "inout") == 0 ? DLT_TICK_INOUT
                                                                : DLT_TICK_OUT;
  s->label_pad = num("axes.labelpad", sb, 4);
  s->title_pad = num("axes.titlepad", sb, 6);
  s->title_scale = scale("axes.titlesize", sb);
  s->figtitle_scale = scale("figure.titlesize", sb);
  s->xmargin = num("axes.xmargin", sb, 0.05);
  s->ymargin = num("axes.ymargin", sb, 0.05);
  s->simplify_threshold = num("path.simplify_threshold", sb, 1.0 / 9);
  const char *below = value("axes.axisbelow", sb);
  s->grid_zorder = !below || strcmp(below, "line") == 0 ? 1.5 : strcmp(below, "True") == 0 ? 0.5
                                                                                           : 2.5;
  s->dash[0] = 3.7, s->dash[1] = 1.6;
  const char *d = value("lines.dashed_pattern", sb);
  if (d) sscanf(d, "[%lf, %lf]", &s->dash[0], &s->dash[1]);
  s->legend_borderpad = num("legend.borderpad", sb, 0.4);
  s->legend_labelspacing = num("legend.labelspacing", sb, 0.5);
  s->legend_handlelength = num("legend.handlelength", sb, 2);
  s->legend_handletextpad = num("legend.handletextpad", sb, 0.8);
  s->legend_borderaxespad = num("legend.borderaxespad", sb, 0.5);
  s->legend_framealpha = num("legend.framealpha", sb, 0.8);
  s->grid = flag("axes.grid", sb);
  s->legend_frame = flag("legend.frameon", sb);
  const char *cap = value("lines.solid_capstyle", sb);
  s->round_caps = cap && strstr(cap, "round") != NULL;
  s->hist_bins = (int)num("hist.bins", sb, 10);
  s->sub_left = num("figure.subplot.left", sb, 0.125);
  s->sub_right = num("figure.subplot.right", sb, 0.9);
  s->sub_bottom = num("figure.subplot.bottom", sb, 0.11);
  s->sub_top = num("figure.subplot.top", sb, 0.88);
  s->sub_wspace = num("figure.subplot.wspace", sb, 0.2);
  s->sub_hspace = num("figure.subplot.hspace", sb, 0.2);
  const char *cm = value("image.cmap", sb);
  snprintf(s->cmap, sizeof s->cmap, "%s", cm ? cm : "viridis");
}

int dlt_style_use(const char *name) {
  int sb;
  if (strcmp(name, "default") == 0 || strcmp(name, "classic") == 0) sb = 0;
  else if (strcmp(name, "seaborn-v0_8-whitegrid") == 0 || strcmp(name, "seaborn-whitegrid") == 0) sb = 1;
  else return dlt_failn("style.use: unknown style '%s' (known: 'default', 'seaborn-v0_8-whitegrid')", name);
  load(&current, sb);
  loaded = 1;
  return 0;
}

const dlt_style *dlt_style_current(void) {
  if (!loaded) dlt_style_use("default");
  return &current;
}
