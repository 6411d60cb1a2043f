#!/bin/sh
# format.sh: formats the C sources with the repository's .clang-format (clang-format 14).
#   tools/format.sh            rewrites every tracked .c, .h and .inc file in place
#   tools/format.sh --check    changes nothing; lists the files that would change and
#                              exits 1 when there is one
#   tools/format.sh [--check] FILE...   the same for the given files only
set -eu
cd "$(dirname "$0")/.."
check=0
if [ "${1:-}" = "--check" ]; then check=1; shift; fi
command -v clang-format >/dev/null || { echo "format.sh: clang-format is not installed (apt-get install clang-format)" >&2; exit 2; }
if [ $# -eq 0 ]; then
  set -- $(git ls-files '*.c' '*.h' '*.inc')
fi
bad=0
for f in "$@"; do
  if [ $check -eq 1 ]; then
    # .inc files are C: name them so for the style's language
    if ! clang-format --style=file --assume-filename="${f%.inc}.c" < "$f" | cmp -s - "$f"; then
      echo "$f"
      bad=1
    fi
  else
    tmp="$f.format.$$"
    clang-format --style=file --assume-filename="${f%.inc}.c" < "$f" > "$tmp" && mv "$tmp" "$f"
  fi
done
exit $bad
