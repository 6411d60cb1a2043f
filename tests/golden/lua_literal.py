"""lua_literal.py: a Python value as a Lua literal, for the fixture generators beside it
(gen_optim.py, gen_sched.py): numbers with 17 digits (exact round trip), infinities as
math.huge, lists as sequences, dicts as records with sorted keys."""
import math


def lua(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (int, float)):
        if isinstance(v, float) and math.isinf(v):
            return "math.huge" if v > 0 else "-math.huge"
        return "%.17g" % v
    if isinstance(v, str):
        return '"%s"' % v
    if isinstance(v, (list, tuple)):
        return "{" + ", ".join(lua(x) for x in v) + "}"
    if isinstance(v, dict):
        return "{" + ", ".join("%s = %s" % (k, lua(v[k])) for k in sorted(v)) + "}"
    raise TypeError(type(v))
