#!/usr/bin/env bash
# Checks that the C++ sources (src/, test/unit/) are formatted as the
# repository's .clang-format says, with clang-format 14 (what Debian 12
# ships): lists every file and line that `clang-format -i` would change and
# fails if there is any. Fix with: clang-format-14 -i FILE...
set -euo pipefail
cd "$(dirname "$0")/../.."
clang_format=${CLANG_FORMAT:-$(command -v clang-format-14 || command -v clang-format || true)}
if [ -z "$clang_format" ]; then
    echo "format-check: clang-format 14 not found (apt-get install clang-format)" >&2
    exit 1
fi
version=$("$clang_format" --version)
case "$version" in
*"version 14."*) ;;
*)
    echo "format-check: needs clang-format 14, found: $version" >&2
    exit 1
    ;;
esac
mapfile -t files < <(find src test/unit -type f \( -name '*.cpp' -o -name '*.hpp' -o -name '*.h' \) | sort)
if "$clang_format" --dry-run -Werror "${files[@]}"; then
    echo "format-check: ${#files[@]} files formatted as .clang-format says"
else
    echo "format-check: FAILED; run: $clang_format -i FILE..." >&2
    exit 1
fi
