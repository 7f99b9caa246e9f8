#!/usr/bin/env bash
# Checks that Package.swift declares only dependencies the code uses: every package has a product that a
# target names, and every product a target names is imported by some file of the sources or tests.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
manifest="$top/Package.swift"
status=0

# .package(url: "https://github.com/OWNER/NAME", from: "VERSION")  ->  NAME
for package in $(sed -n 's|.*\.package(url: "[^"]*/\([^"/]*\)", from: "[^"]*").*|\1|p' "$manifest"); do
    if ! grep -q "package: \"$package\"" "$manifest"; then
        echo "check-dependencies: package $package is declared but no target uses a product of it" >&2
        status=1
    fi
done
# .product(name: "PRODUCT", package: "NAME")  ->  PRODUCT must be imported somewhere.
for product in $(sed -n 's|.*\.product(name: "\([^"]*\)", package: "[^"]*").*|\1|p' "$manifest" | sort -u); do
    if ! grep -rqE "^(@testable )?import $product\$" "$top/Sources" "$top/Tests"; then
        echo "check-dependencies: product $product is a dependency but nothing imports it" >&2
        status=1
    fi
done
[ $status -eq 0 ] && echo "check-dependencies: every package in Package.swift is used and every product imported"
exit $status
