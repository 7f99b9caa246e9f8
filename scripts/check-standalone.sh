#!/usr/bin/env bash
# Checks that the repository stands on its own, as a user who clones it alone gets it.
#
# Clones the committed HEAD into an empty temporary folder (nothing beside it), then:
#   1. no tracked file names a path outside the repository (the team's old shared folder, /work, /opt);
#   2. the clone builds, and the suites that read the vendored Shopify material (vendor/shopify) and the
#      example files pass there: ShopifySyncCoreTests, ShopifyAPITests, ShopifySimulatorTests.
# Step 2 is a second full debug build (a few minutes on two cores); STANDALONE_SUITES narrows or widens it.
set -euo pipefail

repo=$(cd "$(dirname "$0")/.." && pwd)
suites=${STANDALONE_SUITES:-ShopifySyncCoreTests|ShopifyAPITests|ShopifySimulatorTests}
swift=${SWIFT:-swift}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

git clone -q --no-hardlinks "$repo" "$tmp/repo"
cd "$tmp/repo"
echo "standalone: a clone of $(git rev-parse --short HEAD) in $tmp/repo"

# The patterns are split so that this script does not match itself.
outside='\.\./'"shared|/wo"'rk/|/opt/'"swift-packages"
if git grep -n -I -E "$outside" -- . ':(exclude)vendor/shopify/*.graphql'; then
    echo "standalone: the files above refer to a path outside the repository" >&2
    exit 1
fi

"$swift" build --build-tests -Xswiftc -warnings-as-errors
"$swift" test --skip-build --filter "$suites"
