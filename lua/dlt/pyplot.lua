-- pyplot.lua: matplotlib.pyplot's functions that act on the current axes or figure.
-- Each calls the Axes or Figure method by name, so that an error is the method's own
-- ("bad argument #1 to 'set_title'"), raised where it happens; the bindings place it at
-- the user's line that called the pyplot function, past this file's frames.
local plt = require("dlt").plot

-- the method's results, returned through a call that is not a tail call: Lua names a
-- function from its caller's frame, which a tail call discards
local function pass(...) return ... end

function plt.plot(...) return pass(plt.gca():plot(...)) end
function plt.semilogx(...) return pass(plt.gca():semilogx(...)) end
function plt.semilogy(...) return pass(plt.gca():semilogy(...)) end
function plt.loglog(...) return pass(plt.gca():loglog(...)) end
function plt.errorbar(...) return pass(plt.gca():errorbar(...)) end
function plt.twinx(ax) return pass((ax or plt.gca()):twinx()) end
function plt.twiny(ax) return pass((ax or plt.gca()):twiny()) end
function plt.annotate(...) return pass(plt.gca():annotate(...)) end
function plt.clabel(...) return pass(plt.gca():clabel(...)) end
function plt.scatter(...) return pass(plt.gca():scatter(...)) end
function plt.hist(...) return pass(plt.gca():hist(...)) end
function plt.bar(...) return pass(plt.gca():bar(...)) end
function plt.fill_between(...) return pass(plt.gca():fill_between(...)) end
function plt.contour(...) return pass(plt.gca():contour(...)) end
function plt.contourf(...) return pass(plt.gca():contourf(...)) end
function plt.imshow(...) return pass(plt.gca():imshow(...)) end
function plt.axhline(...) return pass(plt.gca():axhline(...)) end
function plt.axvline(...) return pass(plt.gca():axvline(...)) end
function plt.axvspan(...) return pass(plt.gca():axvspan(...)) end
function plt.text(...) return pass(plt.gca():text(...)) end
function plt.title(...) return pass(plt.gca():set_title(...)) end
function plt.xlabel(...) return pass(plt.gca():set_xlabel(...)) end
function plt.ylabel(...) return pass(plt.gca():set_ylabel(...)) end
function plt.xlim(...) return pass(plt.gca():set_xlim(...)) end
function plt.ylim(...) return pass(plt.gca():set_ylim(...)) end
function plt.xscale(...) return pass(plt.gca():set_xscale(...)) end
function plt.yscale(...) return pass(plt.gca():set_yscale(...)) end
function plt.legend(...) return pass(plt.gca():legend(...)) end
function plt.grid(...) return pass(plt.gca():grid(...)) end
function plt.axis(...) return pass(plt.gca():axis(...)) end
function plt.suptitle(...) return pass(plt.gcf():suptitle(...)) end
function plt.tight_layout(...) return pass(plt.gcf():tight_layout(...)) end

return plt
