/* imread.c: reads a PNG into a float32 tensor as matplotlib's imread does: (H,W) for
 * grey, (H,W,2) grey and alpha, (H,W,3) RGB, (H,W,4) RGBA, values in [0, 1]. libpng
 * decodes (its simplified API: any bit depth, palettes, interlacing); samples come out
 * as 8-bit sRGB, so a 16-bit file is read to 1/255. */
#include <png.h>
#include <stdlib.h>
#include <string.h>

#include "plot/plot.h"

dlt_tensor *dlt_imread(const char *path) {
  png_image img;
  memset(&img, 0, sizeof img);
  img.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_file(&img, path))
    return dlt_fail("imread: cannot read '%s': %s", path, img.message);
  int alpha = (img.format & PNG_FORMAT_FLAG_ALPHA) != 0, colour = (img.format & PNG_FORMAT_FLAG_COLOR) != 0;
  /* 8-bit samples as stored (the linear 16-bit format would be gamma-decoded and
   * premultiplied) */
  img.format = (colour ? PNG_FORMAT_FLAG_COLOR : 0) | (alpha ? PNG_FORMAT_FLAG_ALPHA : 0);
  int ch = PNG_IMAGE_SAMPLE_CHANNELS(img.format);
  int64_t shape[3] = {img.height, img.width, ch};
  dlt_tensor *t = dlt_empty(ch == 1 ? 2 : 3, shape, DLT_FLOAT32);
  size_t bytes = PNG_IMAGE_SIZE(img);
  void *buf = t ? dlt_malloc(bytes ? bytes : 1) : NULL;
  if (!buf) {
    png_image_free(&img);
    dlt_release(t);
    return NULL;
  }
  if (!png_image_finish_read(&img, NULL, buf, 0, NULL)) {
    dlt_fail("imread: cannot decode '%s': %s", path, img.message);
    free(buf);
    dlt_release(t);
    return NULL;
  }
  float *out = dlt_data(t);
  size_t n = (size_t)img.width * img.height * (size_t)ch;
  const png_byte *s = buf;
  for (size_t i = 0; i < n; i++) out[i] = s[i] / 255.0f;
  free(buf);
  return t;
}
