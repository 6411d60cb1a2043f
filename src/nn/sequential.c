/* sequential.c: the engine's part of a Sequential: which runs of children become one
 * fused node (the plan), and running its C children one after another. */
#include "core/ops.h"
#include "nn/module.h"

bool dlt_module_runs_in_c(const dlt_module *m) {
  return m && !(dlt_module_kind_of(m->kind)->flags & (DLT_K_CONTAINER | DLT_K_LOSS));
}

static bool kind_at(dlt_module *const *kids, int64_t i, int64_t n, dlt_module_kind kind) {
  return i < n && kids[i] && kids[i]->kind == kind;
}

int dlt_plan_fusion(dlt_module *const *kids, int64_t i, int64_t n, dlt_fusion_plan *plan) {
  unsigned fl = dlt_module_kind_of(kids[i]->kind)->flags;
  plan->act = DLT_ACT_NONE;
  plan->p = 0;
  plan->inplace = false;
  if (!(fl & DLT_K_FUSE_RELU) || !kind_at(kids, i + 1, n, DLT_M_RELU)) return 1;
  plan->act = DLT_ACT_RELU;
  if ((fl & DLT_K_FUSE_DROPOUT) && kind_at(kids, i + 2, n, DLT_M_DROPOUT)) {
    const dlt_module *d = kids[i + 2];
    plan->p = d->training ? d->p : 0;
    return 3;
  }
  return 2;
}

dlt_tensor *dlt_sequential_run(dlt_module *const *kids, int64_t n, int64_t *i, dlt_tensor *x, bool owned) {
  dlt_tensor *cur = owned ? x : NULL; /* the intermediate this function holds */
  while (*i < n && dlt_module_runs_in_c(kids[*i])) {
    dlt_fusion_plan plan;
    int span = dlt_plan_fusion(kids, *i, n, &plan);
    /* an intermediate no one else holds, under no_grad: batch norm may overwrite it */
    plan.inplace = cur && cur->refcount == 1 && cur->storage->refcount == 1 && !dlt_grad_enabled() &&
                   dlt_is_contiguous(cur);
    dlt_module *c = kids[*i];
    dlt_tensor *y = dlt_module_kind_of(c->kind)->forward(c, cur ? cur : x, &plan);
    dlt_release(cur);
    if (!y) return NULL;
    cur = y;
    *i += span;
  }
  return cur ? cur : dlt_retain(x);
}
