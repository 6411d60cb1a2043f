/* sgd.c: SGD with momentum, dampening, weight decay and Nesterov momentum, as
 * torch.optim.SGD: d = g + wd*p; buf = m*buf + (1-damp)*d (buf = d at first);
 * d = nesterov ? d + m*buf : buf; p -= lr*d. Each rounding as PyTorch's ops do. */
#include "optim/optim.h"

/* p, g, buf are (n,) of type T; buf NULL when momentum is 0 */
#define SGD_KERNEL(T, NAME)                                                        \
  static void NAME(T *p, const T *g, T *buf, int64_t n, bool first,               \
                   const dlt_sgd_opts *o) {                                       \
    const T wd = (T)o->weight_decay, m = (T)o->momentum;                          \
    const T keep = (T)(1 - o->dampening), neglr = (T)(-o->lr);                    \
    for (int64_t i = 0; i < n; i++) {                                              \
      T d = o->maximize ? -g[i] : g[i];                                            \
      if (o->weight_decay != 0) d = d + wd * p[i];                                 \
      if (buf) {                                                                   \
        T b = first ? d : buf[i] * m;                                              \
        if (!first) b = b + keep * d;                                              \
        buf[i] = b;                                                                \
        d = o->nesterov ? d + m * b : b;                                           \
      }                                                                            \
      p[i] = p[i] + neglr * d;                                                     \
    }                                                                              \
  }

SGD_KERNEL(float, sgd_f32)
SGD_KERNEL(double, sgd_f64)

int dlt_sgd_step(dlt_tensor *p, const dlt_tensor *g, dlt_tensor *buf, bool first,
                 const dlt_sgd_opts *o) {
  dlt_optim_io io;
  if (dlt_optim_begin("SGD.step", p, g, &buf, 1, &io) < 0) return -1;
  void *b = buf ? dlt_data(buf) : NULL;
  if (p->dtype == DLT_FLOAT64) sgd_f64(io.pd, io.gd, b, io.n, first, o);
  else sgd_f32(io.pd, io.gd, b, io.n, first, o);
  dlt_optim_end(&io);
  return 0;
}
