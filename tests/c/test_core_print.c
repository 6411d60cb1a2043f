/* test_core_print.c: dlt_format against PyTorch 1.13's own printouts (fixtures_core.h):
 * integer-valued, fixed and scientific modes, nan/inf, wrapping at 80 columns,
 * summarization above 1000 elements, nesting, 0-D, empty, dtype and autograd suffixes. */
#include <stdlib.h>

#include "autograd/node.h"
#include "fixtures_core.h"
#include "test_core_util.h"

Test(core_print, matches_torch_for_each_fixture) {
  for (int k = 0; k < N_FMT_CASES; k++) {
    const fmt_case *c = &fmt_cases[k];
    dlt_tensor *t = mk(c->float64 ? DLT_FLOAT64 : DLT_FLOAT32, c->data, c->ndim, c->shape);
    dlt_node node = {.refcount = 1, .name = c->grad_fn};
    t->requires_grad = c->requires_grad || c->grad_fn;
    if (c->grad_fn) t->grad_fn = &node;
    dlt_tensor *shown = c->transpose ? dlt_transpose(t, 0, 1) : dlt_retain(t);
    shown->requires_grad = t->requires_grad;
    shown->grad_fn = t->grad_fn;
    char *s = dlt_format(shown);
    cr_assert(s, "%s: %s", c->name, dlt_error());
    cr_expect_str_eq(s, c->expected, "%s:\ngot:\n%s\nwant:\n%s", c->name, s, c->expected);
    free(s);
    shown->grad_fn = t->grad_fn = NULL; /* the node lives on the stack */
    dlt_release(shown);
    dlt_release(t);
  }
}

Test(core_print, default_dtype_decides_the_suffix) {
  dlt_tensor *t = dlt_full(1, (int64_t[]){2}, 0.5, DLT_FLOAT32);
  dlt_set_default_dtype(DLT_FLOAT64);
  char *s = dlt_format(t);
  dlt_set_default_dtype(DLT_FLOAT32);
  cr_assert_str_eq(s, "tensor([0.5000, 0.5000], dtype=torch.float32)");
  free(s);
  dlt_release(t);
}
