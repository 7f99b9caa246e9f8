#!/usr/bin/env bash
# Checks the manual pages in docs/man: each renders without a warning (groff -ww, and `man -l` as an operator
# reads it), and shopify-sync(8) names every subcommand and every option that the built binary's --help
# lists (shopify-simulator(1) every option), so the pages cannot fall behind the argument parser. Needs the
# debug build (make test's).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
swift=${SWIFT:-swift}
status=0

for page in "$top"/docs/man/*.[1-9]; do
    warnings=$(groff -mandoc -ww -z "$page" 2>&1)
    warnings+=$(MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
    if [ -n "$warnings" ]; then
        echo "check-man: $(basename "$page") renders with warnings:" >&2
        printf '%s\n' "$warnings" >&2
        status=1
    fi
done

page="$top/docs/man/shopify-sync.8"
bin="$(cd "$top" && "$swift" build --show-bin-path)/shopify-sync"
subcommands=$("$bin" --help | sed -n '/^SUBCOMMANDS:/,/^$/p' | awk 'NR > 1 && /^  [a-z]/ { print $1 }')
if [ -z "$subcommands" ]; then
    echo "check-man: $bin --help lists no subcommands" >&2
    exit 1
fi
count=0
for sub in $subcommands; do
    count=$((count + 1))
    if ! grep -qx "\.It Em $sub" "$page"; then
        echo "check-man: shopify-sync.8 does not name the subcommand $sub" >&2
        status=1
        continue
    fi
    # The options the parser has for it must be listed in its block (up to the next subcommand).
    block=$(awk -v sub_="$sub" '$0 == ".It Em " sub_ { inside = 1; next } inside && /^\.It Em / { exit } inside' "$page")
    for option in $("$bin" "$sub" --help | grep -oE -- '(^|[[ ])--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+' | sort -u); do
        if ! grep -qE "(Fl|,) -${option#--}( |$)" <<<"$block"; then
            echo "check-man: shopify-sync.8 does not list $sub $option" >&2
            status=1
        fi
    done
done
# shopify-simulator(1) has no subcommands: every option its --help lists must be in the page.
simulator="$(dirname "$bin")/shopify-simulator"
for option in $("$simulator" --help | grep -oE -- '(^|[[ ])--[a-z][a-z-]*' | grep -oE -- '--[a-z-]+' | sort -u); do
    if ! grep -qE "(Fl|,) -${option#--}( |$)" "$top/docs/man/shopify-simulator.1"; then
        echo "check-man: shopify-simulator.1 does not list $option" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "check-man: $(ls "$top"/docs/man/*.[1-9] | wc -l) pages render cleanly; shopify-sync.8 names all $count subcommands and their options"
exit $status
