# notebook_twin.py: runs the Python notebook that scripts/*.lua port, as a Jupyter
# kernel would, for bench/bench_notebook.sh to time against the Lua scripts.
# The code cells of the six sections (everything before "## Exercises") are cut
# out of the notebook text and run in one namespace with matplotlib's Agg backend;
# plt.show() saves each open figure as PNG at 100 dpi and closes it, as the Lua
# scripts save theirs.
# Usage: /usr/bin/python3 bench/notebook_twin.py NOTEBOOK.txt OUTDIR [--list]
import os
import sys


def code_cells(text):
    """The code of each 'In [...]:' cell: the longest run of its blank-line-separated
    paragraphs that compiles, minus trailing comment-only paragraphs (the markdown
    that follows a cell never compiles, or is a heading that reads as a comment)."""
    text = text.split("\n## Exercises", 1)[0]
    chunks = text.split("\nIn [None]:\n")[1:]
    cells = []
    for chunk in chunks:
        paras = chunk.split("\n\n")
        best = None
        for k in range(1, len(paras) + 1):
            src = "\n\n".join(paras[:k])
            src = "\n".join(l for l in src.split("\n") if not l.startswith("%"))
            try:
                compile(src, "<cell>", "exec")
                best = k
            except SyntaxError:
                pass
        if best is None:
            raise SystemExit("notebook_twin: a cell does not compile:\n" + chunk[:300])
        while best > 1 and all(l.strip() == "" or l.lstrip().startswith("#")
                               for l in paras[best - 1].split("\n")):
            best -= 1
        src = "\n\n".join(paras[:best])
        cells.append("\n".join(l for l in src.split("\n") if not l.startswith("%")))
    return cells


def main():
    if len(sys.argv) < 3:
        raise SystemExit("usage: notebook_twin.py NOTEBOOK.txt OUTDIR [--list]")
    with open(sys.argv[1], encoding="utf-8") as f:
        cells = code_cells(f.read())
    if "--list" in sys.argv[3:]:
        for i, c in enumerate(cells):
            print("# ---- cell %d\n%s\n" % (i + 1, c))
        return
    outdir = sys.argv[2]
    os.makedirs(outdir, exist_ok=True)

    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    count = [0]

    def show(*args, **kwargs):
        for num in plt.get_fignums():
            count[0] += 1
            plt.figure(num).savefig(os.path.join(outdir, "figure_%02d.png" % count[0]), dpi=100)
        plt.close("all")

    plt.show = show
    namespace = {"__name__": "__main__"}
    for cell in cells:
        exec(compile(cell, "<notebook cell>", "exec"), namespace)
        show()   # the inline backend closes every figure at the end of a cell
    print("notebook_twin: %d cells, %d figures" % (len(cells), count[0]), file=sys.stderr)


if __name__ == "__main__":
    main()
