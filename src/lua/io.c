/* io.c: dlt.save / dlt.load (safetensors), dlt.save_npy / dlt.load_npy, and the CSV and
 * IDX readers behind dlt.data.load_csv and dlt.data.read_idx (dlt._load_csv, dlt._read_idx). */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/io.h"
#include "lua/common.h"
#include "lua/tensor_priv.h"

/* a path argument: a string without embedded NULs (which C would silently cut) */
static const char *checkpath(lua_State *L, int idx, const char *fn) {
  if (lua_type(L, idx) != LUA_TSTRING) dlt_lua_fail(L, "%s: expected a path (string), got %s", fn, luaL_typename(L, idx));
  size_t n;
  const char *p = lua_tolstring(L, idx, &n);
  if (strlen(p) != n) dlt_lua_fail(L, "%s: path contains a NUL byte", fn);
  return p;
}

/* a string key or value of a table argument, checked the same way */
static const char *checkname(lua_State *L, int idx, const char *fn, const char *what) {
  if (lua_type(L, idx) != LUA_TSTRING) {
    if (lua_type(L, idx) == LUA_TNUMBER) return dlt_lua_fail(L, "%s: %s %s is a number, expected a string", fn, what, lua_tostring(L, idx)), NULL;
    return dlt_lua_fail(L, "%s: %s is a %s, expected a string", fn, what, luaL_typename(L, idx)), NULL;
  }
  size_t n;
  const char *s = lua_tolstring(L, idx, &n);
  if (strlen(s) != n) dlt_lua_fail(L, "%s: %s '%s' contains a NUL byte", fn, what, s);
  return s;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(const char *const *)a, *(const char *const *)b); }

/* save(path, {name = tensor, ...}[, {key = "value", ...}]): names sorted, so files repeat */
static int io_save(lua_State *L) {
  const char *path = checkpath(L, 1, "save");
  luaL_argexpected(L, lua_istable(L, 2) && !dlt_lua_testtensor(L, 2), 2, "table of tensors by name");
  int hasmeta = !lua_isnoneornil(L, 3);
  if (hasmeta) luaL_argexpected(L, lua_istable(L, 3), 3, "metadata table");
  int n = 0, nm = 0;
  for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) n++;
  for (lua_pushnil(L); hasmeta && lua_next(L, 3); lua_pop(L, 1)) nm++;
  /* scratch arrays as userdata, so an error below frees them */
  const char **names = lua_newuserdatauv(L, sizeof(char *) * (size_t)(n + 2 * nm + 1), 0);
  const char **mk = names + n, **mv = names + n + nm;
  int i = 0;
  for (lua_pushnil(L); lua_next(L, 2); lua_pop(L, 1)) {
    names[i] = checkname(L, -2, "save", "tensor name");
    if (!dlt_lua_testtensor(L, -1))
      return dlt_lua_fail(L, "save: value of '%s' is a %s, expected a tensor", names[i], luaL_typename(L, -1));
    i++;
  }
  qsort(names, (size_t)n, sizeof *names, cmp_str);
  dlt_tensor **ts = lua_newuserdatauv(L, sizeof(dlt_tensor *) * (size_t)(n + 1), 0);
  for (i = 0; i < n; i++) {
    dlt_lua_rawfield(L, 2, names[i]); /* the table holds it, so the borrowed pointer stays valid */
    ts[i] = dlt_lua_checktensor(L, -1);
    lua_pop(L, 1);
  }
  i = 0;
  for (lua_pushnil(L); hasmeta && lua_next(L, 3); lua_pop(L, 1), i++) {
    mk[i] = checkname(L, -2, "save", "metadata key");
    mv[i] = checkname(L, -1, "save", "metadata value");
  }
  if (dlt_save_safetensors(path, n, names, ts, nm, mk, mv) < 0) return dlt_lua_error(L);
  return 0;
}

/* a box whose __gc frees what a loader returned, should pushing the results fail */
typedef struct {
  dlt_tensor_dict *dict;
  dlt_csv *csv;
} io_box;

static int box_gc(lua_State *L) {
  io_box *b = luaL_testudata(L, 1, "dlt.io_box");
  if (!b) return 0;
  dlt_tensor_dict_free(b->dict);
  dlt_csv_free(b->csv);
  b->dict = NULL;
  b->csv = NULL;
  return 0;
}

static io_box *newbox(lua_State *L) {
  io_box *b = lua_newuserdatauv(L, sizeof *b, 0);
  b->dict = NULL;
  b->csv = NULL;
  if (luaL_newmetatable(L, "dlt.io_box")) {
    lua_pushcfunction(L, box_gc);
    lua_setfield(L, -2, "__gc");
  }
  lua_setmetatable(L, -2);
  return b;
}

/* load(path) -> {name = tensor, ...}, metadata table or nil */
static int io_load(lua_State *L) {
  const char *path = checkpath(L, 1, "load");
  io_box *b = newbox(L);
  b->dict = dlt_load_safetensors(path);
  if (!b->dict) return dlt_lua_error(L);
  lua_createtable(L, 0, b->dict->n);
  for (int i = 0; i < b->dict->n; i++) {
    dlt_lua_pushtensor(L, dlt_retain(b->dict->tensors[i]));
    lua_setfield(L, -2, b->dict->names[i]);
  }
  if (b->dict->nmeta > 0) {
    lua_createtable(L, 0, b->dict->nmeta);
    for (int i = 0; i < b->dict->nmeta; i++) {
      lua_pushstring(L, b->dict->meta_values[i]);
      lua_setfield(L, -2, b->dict->meta_keys[i]);
    }
  } else {
    lua_pushnil(L);
  }
  return 2;
}

static int io_save_npy(lua_State *L) {
  const char *path = checkpath(L, 1, "save_npy");
  dlt_tensor *t = dlt_lua_checktensor(L, 2);
  if (dlt_save_npy(path, t) < 0) return dlt_lua_error(L);
  return 0;
}

static int io_load_npy(lua_State *L) {
  const char *path = checkpath(L, 1, "load_npy");
  dlt_lua_pushtensor(L, dlt_load_npy(path));
  return 1;
}

/* _read_idx(path[, dtype]) -> tensor; dlt.data.read_idx checks the options and calls this.
 * Without a dtype, float data read as float32 and every other type as float64. */
static int io_read_idx(lua_State *L) {
  const char *path = checkpath(L, 1, "read_idx");
  int dt = lua_isnoneornil(L, 2) ? -1 : (int)dlt_lua_checkdtype(L, 2, "read_idx");
  dlt_lua_pushtensor(L, dlt_load_idx(path, dt));
  return 1;
}

/* _load_csv(path, header, dtype) -> tensor, names or nil; header nil means "detect";
 * dlt.data.load_csv checks the options and calls this */
static int io_load_csv(lua_State *L) {
  const char *path = checkpath(L, 1, "load_csv");
  int header = DLT_CSV_HEADER_AUTO;
  if (!lua_isnoneornil(L, 2)) {
    if (!lua_isboolean(L, 2)) return dlt_lua_fail(L, "load_csv: option 'header' must be a boolean, got %s", luaL_typename(L, 2));
    header = lua_toboolean(L, 2) ? DLT_CSV_HEADER : DLT_CSV_NO_HEADER;
  }
  dlt_dtype dt = lua_isnoneornil(L, 3) ? dlt_default_dtype() : dlt_lua_checkdtype(L, 3, "load_csv");
  io_box *b = newbox(L);
  b->csv = dlt_load_csv(path, header, dt);
  if (!b->csv) return dlt_lua_error(L);
  dlt_lua_pushtensor(L, dlt_retain(b->csv->data));
  if (b->csv->colnames) {
    lua_createtable(L, b->csv->ncols, 0);
    for (int i = 0; i < b->csv->ncols; i++) {
      lua_pushstring(L, b->csv->colnames[i]);
      lua_rawseti(L, -2, i + 1);
    }
  } else {
    lua_pushnil(L);
  }
  return 2;
}

/* ---------------------------------------------------------------- byte images */

/* The pixels of an IDX image file at one byte each, as the file has them (torchvision
 * keeps uint8 too): a data set turns the rows of each batch into floats when it is taken,
 * so 60,000 images take 47 MB instead of 188 MB as float32. */
#define BYTES_MT "dlt.ByteImages"
typedef struct {
  uint8_t *data;
  int ndim;
  int64_t shape[DLT_MAXDIM];
  size_t n;
} byte_images;

static byte_images *checkbytes(lua_State *L, int idx) {
  byte_images *b = luaL_checkudata(L, idx, BYTES_MT);
  if (!b->data) dlt_lua_fail(L, "ByteImages: used after it was freed");
  return b;
}

static int bytes_gc(lua_State *L) {
  byte_images *b = luaL_checkudata(L, 1, BYTES_MT);
  free(b->data);
  b->data = NULL;
  return 0;
}

/* _read_idx_bytes(path) -> ByteImages of an IDX file of unsigned bytes */
static int io_read_idx_bytes(lua_State *L) {
  const char *path = checkpath(L, 1, "read_idx");
  byte_images *b = lua_newuserdatauv(L, sizeof *b, 0);
  memset(b, 0, sizeof *b);
  luaL_setmetatable(L, BYTES_MT);
  b->data = dlt_load_idx_bytes(path, &b->ndim, b->shape, &b->n);
  if (!b->data) return dlt_lua_error(L);
  dlt_lua_gc_account(L, b->n);
  return 1;
}

/* b:rows(idx, mean, std, dtype) -> (k, d2, ...) tensor of (byte / 255 - mean) / std, in
 * dtype's arithmetic (ToTensor then Normalize); idx a tensor of 1-based rows, or nil for all */
static int bytes_rows(lua_State *L) {
  byte_images *b = checkbytes(L, 1);
  dlt_tensor *idx = lua_isnil(L, 2) ? NULL : dlt_lua_checktensor(L, 2);
  double mean = luaL_checknumber(L, 3), std = luaL_checknumber(L, 4);
  dlt_dtype dt = dlt_lua_checkdtype(L, 5, "ByteImages:rows");
  luaL_argcheck(L, std != 0, 4, "std must not be 0");
  int64_t rows = b->shape[0], k = idx ? dlt_numel(idx) : rows;
  size_t per = rows ? b->n / (size_t)rows : 0;
  for (int64_t j = 0; idx && j < k; j++) {
    double r = dlt_get_flat(idx, j);
    if (!(r >= 1 && r <= (double)rows && r == (int64_t)r))
      return dlt_lua_fail(L, "ByteImages:rows: row %.17g out of range 1..%lld", r, (long long)rows);
  }
  int64_t shape[DLT_MAXDIM];
  memcpy(shape, b->shape, sizeof shape);
  shape[0] = k;
  dlt_tensor *t = dlt_empty(b->ndim, shape, dt);
  if (!t) return dlt_lua_error(L);
  for (int64_t j = 0; j < k; j++) {
    const uint8_t *src = b->data + (size_t)(idx ? (int64_t)dlt_get_flat(idx, j) - 1 : j) * per;
    if (dt == DLT_FLOAT32) {
      float *o = (float *)dlt_data(t) + (size_t)j * per, m = (float)mean, s = (float)std;
      for (size_t i = 0; i < per; i++) o[i] = ((float)src[i] / 255.0f - m) / s;
    } else {
      double *o = (double *)dlt_data(t) + (size_t)j * per;
      for (size_t i = 0; i < per; i++) o[i] = ((double)src[i] / 255.0 - mean) / std;
    }
  }
  dlt_lua_pushtensor(L, t);
  return 1;
}

/* b:stats() -> mean, std (unbiased) of every byte / 255, summed in double */
static int bytes_stats(lua_State *L) {
  byte_images *b = checkbytes(L, 1);
  double s = 0, ss = 0;
  for (size_t i = 0; i < b->n; i++) s += b->data[i];
  double mean = b->n ? s / (double)b->n : 0;
  for (size_t i = 0; i < b->n; i++) {
    double d = b->data[i] - mean;
    ss += d * d;
  }
  lua_pushnumber(L, mean / 255);
  lua_pushnumber(L, b->n > 1 ? sqrt(ss / (double)(b->n - 1)) / 255 : 0);
  return 2;
}

/* b:shape() -> {N, d2, ...} */
static int bytes_shape(lua_State *L) {
  byte_images *b = checkbytes(L, 1);
  lua_createtable(L, b->ndim, 0);
  for (int d = 0; d < b->ndim; d++) {
    lua_pushinteger(L, b->shape[d]);
    lua_rawseti(L, -2, d + 1);
  }
  return 1;
}

static int bytes_len(lua_State *L) {
  lua_pushinteger(L, checkbytes(L, 1)->shape[0]);
  return 1;
}

static int bytes_tostring(lua_State *L) {
  byte_images *b = luaL_checkudata(L, 1, BYTES_MT);
  lua_pushfstring(L, "ByteImages(%I images)", (lua_Integer)(b->data ? b->shape[0] : 0));
  return 1;
}

static const luaL_Reg bytes_methods[] = {
  {"rows", bytes_rows},
  {"stats", bytes_stats},
  {"shape", bytes_shape},
  {NULL, NULL},
};

static const luaL_Reg bytes_meta[] = {
  {"__gc", bytes_gc},
  {"__len", bytes_len},
  {"__tostring", bytes_tostring},
  {NULL, NULL},
};

static const luaL_Reg io_funcs[] = {
  {"save", io_save},
  {"load", io_load},
  {"save_npy", io_save_npy},
  {"load_npy", io_load_npy},
  {"_load_csv", io_load_csv},
  {"_read_idx", io_read_idx},
  {"_read_idx_bytes", io_read_idx_bytes},
  {NULL, NULL},
};

void dlt_open_io(lua_State *L, int dlt) {
  dlt_lua_newclass(L, BYTES_MT, bytes_meta, bytes_methods);
  lua_pushvalue(L, dlt);
  luaL_setfuncs(L, io_funcs, 0);
  lua_pop(L, 1);
}
