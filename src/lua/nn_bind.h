/* nn_bind.h: what the nn binding files (nn.c, nn_functional.c) share. */
#ifndef DLT_LUA_NN_BIND_H
#define DLT_LUA_NN_BIND_H

#include "lua/common.h"

/* fills nn.functional, nn.init and nn.utils into the nn table at index nn */
void dlt_nn_open_functional(lua_State *L, int nn);
/* adds the convolutions and pooling (nn_conv.c) to nn.functional */
void dlt_nn_open_conv(lua_State *L, int nn);
/* "mean", "sum" or "none" at the options table idx (key reduction), as 0..2 of dlt_reduction */
int dlt_nn_optreduction(lua_State *L, int idx, const char *fn);

#endif
