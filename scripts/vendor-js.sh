#!/usr/bin/env bash
# Vendors the admin panel's JavaScript libraries into static/vendor/ at pinned versions, with
# their licences. The result is committed: running the site needs no build step and no npm.
# Run it again only to change a version (edit the table below), then commit static/vendor/.
#
#   scripts/vendor-js.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$(readlink -f "${BASH_SOURCE[0]}")")/.." && pwd -P)"
DEST="$ROOT/static/vendor"

# package@version   file inside the package        name in static/vendor/
PACKAGES=(
  "sortablejs@1.15.7 Sortable.min.js sortable.min.js"
  "htmx.org@2.0.11 dist/htmx.min.js htmx.min.js"
)

command -v npm >/dev/null || { echo "vendor-js: npm is needed (apt-get install npm)" >&2; exit 1; }
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
rm -rf "$DEST"
mkdir -p "$DEST"
{
  echo "# Vendored JavaScript"
  echo
  echo "Written by \`scripts/vendor-js.sh\`; do not edit by hand. Each library keeps its licence."
  echo
  echo "| file | package | version | licence |"
  echo "|---|---|---|---|"
} >"$DEST/README.md"
for row in "${PACKAGES[@]}"; do
  read -r spec file name <<<"$row"
  pkg="${spec%@*}"
  version="${spec##*@}"
  (cd "$work" && npm pack --silent "$spec" >/dev/null)
  tarball="$(ls "$work"/*.tgz)"
  mkdir -p "$work/x"
  tar -xzf "$tarball" -C "$work/x"
  cp "$work/x/package/$file" "$DEST/$name"
  licence_file="$(ls "$work/x/package" | grep -iE '^(licen[cs]e|copying)' | head -n1 || true)"
  [[ -n "$licence_file" ]] || { echo "vendor-js: $spec ships no licence file" >&2; exit 1; }
  cp "$work/x/package/$licence_file" "$DEST/${name%%.*}.LICENSE.txt"
  licence="$(node -e "console.log(require('$work/x/package/package.json').license)")"
  echo "| \`$name\` | $pkg | $version | $licence (\`${name%%.*}.LICENSE.txt\`) |" >>"$DEST/README.md"
  rm -rf "$work/x" "$tarball"
  echo "vendored $spec -> static/vendor/$name"
done
