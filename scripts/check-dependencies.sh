#!/usr/bin/env bash
# Checks that Package.swift is an honest build graph: every package declared has a product that a target names,
# and each target declares exactly the modules its files import (scripts/check-imports.swift, which also checks
# that the unit suites build without the simulator and the HTTP stack).
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
manifest="$top/Package.swift"
swift=${SWIFT:-swift}
status=0

# .package(url: "https://github.com/OWNER/NAME", from: "VERSION")  ->  NAME
for package in $(sed -n 's|.*\.package(url: "[^"]*/\([^"/]*\)", from: "[^"]*").*|\1|p' "$manifest"); do
    if ! grep -q "package: \"$package\"" "$manifest"; then
        echo "check-dependencies: package $package is declared but no target uses a product of it" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "check-dependencies: every package in Package.swift is used"
(cd "$top" && "$swift" package dump-package) | "$swift" "$top/scripts/check-imports.swift" "$top" || status=1
exit $status
