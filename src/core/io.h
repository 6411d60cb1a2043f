/* io.h: tensors to and from files: safetensors (dlt.save/dlt.load), NumPy .npy, CSV, IDX.
 * Loaders validate every byte they use and never read past the input; savers write a
 * temporary file beside the target and rename it, so a failed save leaves nothing. */
#ifndef DLT_IO_H
#define DLT_IO_H

#include <stddef.h>
#include <stdio.h>

#include "core/tensor.h"

/* Named tensors, in file order, plus the optional string metadata of safetensors. */
typedef struct {
  int n;
  char **names;         /* n NUL-terminated names */
  dlt_tensor **tensors; /* n owned references */
  int nmeta;
  char **meta_keys; /* "__metadata__" entries, nmeta each */
  char **meta_values;
} dlt_tensor_dict;

void dlt_tensor_dict_free(dlt_tensor_dict *d);

/* safetensors: F32/F64 tensors are written as such; n may be 0. Names must be unique
 * and not "__metadata__". Metadata may be NULL with nmeta 0. */
int dlt_save_safetensors(const char *path, int n, const char *const *names,
                         dlt_tensor *const *ts, int nmeta, const char *const *meta_keys,
                         const char *const *meta_values);
dlt_tensor_dict *dlt_load_safetensors(const char *path);
/* parses a whole safetensors file held in memory; what names it in messages */
dlt_tensor_dict *dlt_parse_safetensors(const void *buf, size_t len, const char *what);

/* NumPy .npy: writes version 1.0 ('<f4' or '<f8', C order); reads 1.0/2.0/3.0,
 * either byte order, C or Fortran order, floats, ints and bools (converted). */
int dlt_save_npy(const char *path, const dlt_tensor *t);
dlt_tensor *dlt_load_npy(const char *path);
dlt_tensor *dlt_parse_npy(const void *buf, size_t len, const char *what);

/* CSV of numbers, comma separated, optional header row. */
enum { DLT_CSV_HEADER_AUTO = -1,
       DLT_CSV_NO_HEADER = 0,
       DLT_CSV_HEADER = 1 };
typedef struct {
  dlt_tensor *data; /* (rows, cols), owned */
  int ncols;
  char **colnames; /* ncols names when the file had a header row, else NULL */
} dlt_csv;
/* header: one of the enum above; AUTO takes the first row as a header when any of its
 * cells is not a number. Messages start with "load_csv:". */
dlt_csv *dlt_load_csv(const char *path, int header, dlt_dtype dtype);
dlt_csv *dlt_parse_csv(const char *buf, size_t len, int header, dlt_dtype dtype, const char *what);
void dlt_csv_free(dlt_csv *c);

/* IDX (MNIST, Fashion-MNIST), plain or gzip-compressed, into a tensor of its declared
 * shape. dtype < 0 picks one: float32 for float data, float64 for the rest (exact for
 * every IDX integer). Sizes are checked against the file before anything is allocated.
 * Messages start with "read_idx:" and name the file (what, for the parser). */
dlt_tensor *dlt_load_idx(const char *path, int dtype);
dlt_tensor *dlt_parse_idx(const void *buf, size_t len, int dtype, const char *what);
/* An IDX file of unsigned bytes (images) as they are: a malloc'd buffer of *n bytes and
 * its shape (ndim <= DLT_MAXDIM), for data sets that keep images at one byte a pixel. */
uint8_t *dlt_load_idx_bytes(const char *path, int *ndim, int64_t *shape, size_t *n);

/* Shared by the formats (file.c). A whole regular file into a malloc'd buffer (devices,
 * FIFOs and directories are refused, nothing past the size it had when opened is read);
 * fn and path name the failure. */
void *dlt_read_file(const char *fn, const char *path, size_t *len);
/* out = the folder of the executable or shared library holding code, then file (beside.c);
 * -1 when that cannot be found or does not fit in cap bytes */
int dlt_path_beside(const void *code, const char *file, char *out, size_t cap);
/* Writes a file atomically, the one way dlt writes files (file.c): fill(f, ctx) writes a
 * temporary file with a random name beside path (created exclusively, never through a
 * symlink), which is fsynced and renamed onto path; on any failure the temporary is
 * removed and path untouched. The directory is not fsynced: a crash after the rename
 * leaves the old file or the whole new one (the rename is atomic, the data was synced
 * before it), never half of one, and a directory sync cost a figure 0.3-23 ms here. fill returns 0, -1 for a write error (errno names it), or
 * DLT_WRITE_FAILED when it set the error message itself (dlt_fail). */
#define DLT_WRITE_FAILED (-2)
int dlt_write_atomic(const char *fn, const char *path, int (*fill)(FILE *f, void *ctx), void *ctx);
/* The little-endian number at p as a double: kind 'f' (IEEE half, single or double by
 * size), 'g' (bfloat16), 'i' or 'u' (1, 2, 4 or 8 bytes), 'b' (bool): the element reader
 * of the .npy and safetensors loaders. */
double dlt_decode_number(char kind, int size, const unsigned char *p);
/* writes t's elements in row-major order as little-endian values of its dtype */
int dlt_write_tensor_data(FILE *f, const dlt_tensor *t);

#endif
