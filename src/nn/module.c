/* module.c: what every C module does through the table of kinds (layers.c): defaults,
 * checks and setup, forward, dtype conversion and PyTorch's printout. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/ops.h"
#include "nn/module.h"

const char *dlt_module_name(dlt_module_kind kind) { return dlt_module_kind_of(kind)->name; }
bool dlt_module_is_loss(dlt_module_kind kind) { return dlt_module_kind_of(kind)->flags & DLT_K_LOSS; }
bool dlt_module_is_batchnorm(dlt_module_kind kind) { return kind == DLT_M_BATCHNORM1D || kind == DLT_M_BATCHNORM2D; }

static const char *slot_names[DLT_P_N] = {"weight", "bias", "running_mean", "running_var", "num_batches_tracked"};
const char *dlt_module_slot_name(int k) { return slot_names[k]; }
bool dlt_module_slot_is_param(int k) { return k <= DLT_P_BIAS; }

const dlt_module_field *dlt_module_field_of(dlt_module_kind kind, const char *name) {
  for (const dlt_module_field *f = dlt_module_kind_of(kind)->fields; f->name; f++)
    if (!strcmp(f->name, name)) return f;
  return NULL;
}

/* stores a field's default (the table gives every default as a double) */
static void set_default(dlt_module *m, const dlt_module_field *f) {
  char *at = (char *)m + f->offset;
  switch (f->type) {
  case DLT_FT_INT: *(int64_t *)at = (int64_t)f->def; break;
  case DLT_FT_NUMBER:
  case DLT_FT_NUMBER_OR_NONE: *(double *)at = f->def; break;
  case DLT_FT_BOOL: *(bool *)at = f->def != 0; break;
  case DLT_FT_DIM:
  case DLT_FT_ENUM: *(int *)at = (int)f->def; break;
  case DLT_FT_SHAPE: break; /* no default shape */
  }
}

void dlt_module_init(dlt_module *m, dlt_module_kind kind) {
  memset(m, 0, sizeof *m);
  m->kind = kind;
  m->training = true;
  for (const dlt_module_field *f = dlt_module_kind_of(kind)->fields; f->name; f++) set_default(m, f);
}

int dlt_module_check(const dlt_module *m) {
  const dlt_module_kind_info *k = dlt_module_kind_of(m->kind);
  return k->check ? k->check(m) : 0;
}

int dlt_module_setup(dlt_module *m, dlt_dtype dt) {
  const dlt_module_kind_info *k = dlt_module_kind_of(m->kind);
  if (dlt_module_check(m)) return -1;
  if ((k->flags & DLT_K_BUFS) && !(m->bufs = dlt_bufset_new())) return -1;
  int rc = k->setup ? k->setup(m, dt) : 0;
  if (rc) dlt_module_clear(m);
  return rc;
}

void dlt_module_clear(dlt_module *m) {
  for (int k = 0; k < DLT_P_N; k++) {
    dlt_release(m->t[k]);
    m->t[k] = NULL;
  }
  dlt_bufset_drop(m->bufs);
  m->bufs = NULL;
  free(m->kids);
  m->kids = NULL;
  m->nkids = 0;
  m->kids_epoch = 0;
}

dlt_tensor *dlt_module_forward(dlt_module *m, dlt_tensor *x) {
  const dlt_module_kind_info *k = dlt_module_kind_of(m->kind);
  if (!k->forward) return dlt_fail("%s: this module takes an input and a target", k->name);
  return k->forward(m, x, NULL);
}

dlt_tensor *dlt_module_loss(dlt_module *m, dlt_tensor *x, dlt_tensor *t) {
  const dlt_module_kind_info *k = dlt_module_kind_of(m->kind);
  if (!k->loss) return dlt_fail("%s: not a loss", k->name);
  return k->loss(m, x, t);
}

int dlt_tensor_convert_(dlt_tensor *t, dlt_dtype dt) {
  if (t->dtype == dt) return 0;
  dlt_tensor *c = dlt_to_dtype(t, dt);
  if (!c) return -1;
  /* t takes c's elements: the same object (and Lua userdata) now holds dt values, as
   * PyTorch's module.double() keeps each Parameter; c leaves with the old storage */
  dlt_storage *old = t->storage;
  t->storage = c->storage;
  c->storage = old;
  /* a conversion modifies t: graphs saved aliases of the old storage, so its version
   * moves and their backward refuses (the grad they would write has the old dtype) */
  old->version++;
  t->dtype = dt;
  t->offset = 0;
  memcpy(t->stride, c->stride, sizeof t->stride);
  dlt_release(c);
  dlt_release(t->grad);
  t->grad = NULL;
  return 0;
}

int dlt_module_to(dlt_module *m, dlt_dtype dt) {
  for (int k = 0; k < DLT_P_NUM_BATCHES; k++)
    if (m->t[k] && dlt_tensor_convert_(m->t[k], dt)) return -1;
  return 0;
}

char *dlt_py_float(double v, char *buf, size_t n) {
  if (isnan(v)) {
    snprintf(buf, n, "nan");
    return buf;
  }
  if (isinf(v)) {
    snprintf(buf, n, v < 0 ? "-inf" : "inf");
    return buf;
  }
  int prec = 1;
  for (; prec < 17; prec++) {
    snprintf(buf, n, "%.*g", prec, v);
    if (strtod(buf, NULL) == v) break;
  }
  snprintf(buf, n, "%.*g", prec, v);
  char *e = strchr(buf, 'e');
  int exp10 = e ? atoi(e + 1) : 0;
  if (e && exp10 >= -4 && exp10 < 16) { /* Python writes these positionally */
    snprintf(buf, n, "%.*f", prec - 1 - exp10 > 0 ? prec - 1 - exp10 : 0, v);
    e = NULL;
  }
  if (!e && !strchr(buf, '.')) strncat(buf, ".0", n - strlen(buf) - 1);
  return buf;
}

char *dlt_module_extra_repr(const dlt_module *m, char *buf, size_t n) {
  const dlt_module_kind_info *k = dlt_module_kind_of(m->kind);
  buf[0] = 0;
  if (k->extra_repr) k->extra_repr(m, buf, n);
  return buf;
}
