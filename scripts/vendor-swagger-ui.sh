#!/usr/bin/env bash
# Vendor Swagger UI (swagger-ui-dist: the browser bundle and its stylesheet) into
# static/vendor/swagger-ui/, for the self-hosted API docs page at /docs.
#
#   scripts/vendor-swagger-ui.sh          fetch swagger-ui-dist@$SWAGGER_UI_VERSION via `npm pack`, verify, install
#   scripts/vendor-swagger-ui.sh --check  verify the committed files only (no network)
#
# To upgrade: change SWAGGER_UI_VERSION, run the script, paste the "actual" hashes it
# prints into the *_SHA256 variables after reviewing the release, and run it again.
set -euo pipefail

SWAGGER_UI_VERSION="5.35.0"
BUNDLE_SHA256="e6a898692f2d768e807c3ba4626068a69a2c5dd960dd6c76f3e4d3a3de180af2"
CSS_SHA256="5ed08757e53da3e026d6cbecc61fe5d43585c9560b302d534ad56692519a273d"
LICENSE_SHA256="cfc7749b96f63bd31c3c42b5c471bf756814053e847c10f3eb003417bc523d30"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor/swagger-ui"
# name in the package (and in $DEST) and its expected sha256
FILES=(
  "swagger-ui-bundle.js $BUNDLE_SHA256"
  "swagger-ui.css $CSS_SHA256"
  "LICENSE $LICENSE_SHA256"
)

die() { echo "vendor-swagger-ui: $*" >&2; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

version_text() {
  local entry name expected
  printf 'swagger-ui-dist %s\n' "$SWAGGER_UI_VERSION"
  for entry in "${FILES[@]}"; do
    read -r name expected <<<"$entry"
    printf 'sha256 %s  %s\n' "$expected" "$name"
  done
}

check() {
  local entry name expected actual
  for entry in "${FILES[@]}"; do
    read -r name expected <<<"$entry"
    [ -s "$DEST/$name" ] || die "missing $DEST/$name (run scripts/vendor-swagger-ui.sh)"
    actual="$(sha256_of "$DEST/$name")"
    [ "$actual" = "$expected" ] ||
      die "sha256 mismatch for $DEST/$name: expected $expected, actual $actual"
  done
  [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$(version_text)" ] ||
    die "$DEST/VERSION does not match SWAGGER_UI_VERSION=$SWAGGER_UI_VERSION / the *_SHA256 values (run scripts/vendor-swagger-ui.sh)"
  echo "vendor-swagger-ui: OK swagger-ui-dist $SWAGGER_UI_VERSION"
}

case "${1:-}" in
  --check) check; exit 0 ;;
  "") ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) die "unknown argument: $1 (usage: $0 [--check])" ;;
esac

command -v npm >/dev/null 2>&1 || die "npm not found"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# npm pack downloads the tarball from the configured registry and verifies its
# integrity (sha512 from the registry metadata). It does not install dependencies or
# run install scripts.
tarball="$(cd "$TMP" && npm pack --silent "swagger-ui-dist@$SWAGGER_UI_VERSION" | tail -n 1)"
[ -f "$TMP/$tarball" ] || die "npm pack did not produce a tarball (got '$tarball')"
members=()
for entry in "${FILES[@]}"; do
  read -r name _ <<<"$entry"
  members+=("package/$name")
done
tar -xzf "$TMP/$tarball" -C "$TMP" "${members[@]}"

mismatch=0
for entry in "${FILES[@]}"; do
  read -r name expected <<<"$entry"
  actual="$(sha256_of "$TMP/package/$name")"
  if [ "$actual" != "$expected" ]; then
    {
      echo "vendor-swagger-ui: SHA256 MISMATCH for swagger-ui-dist@$SWAGGER_UI_VERSION $name"
      echo "  expected: $expected"
      echo "  actual:   $actual"
    } >&2
    mismatch=1
  fi
done
if [ "$mismatch" -ne 0 ]; then
  echo "If you are intentionally changing SWAGGER_UI_VERSION, put the actual hashes above into $0" >&2
  exit 1
fi

mkdir -p "$DEST"
for entry in "${FILES[@]}"; do
  read -r name _ <<<"$entry"
  cp "$TMP/package/$name" "$DEST/$name"
  chmod 0644 "$DEST/$name"
done
version_text > "$DEST/VERSION"
echo "vendor-swagger-ui: installed swagger-ui-dist $SWAGGER_UI_VERSION into ${DEST#"$ROOT"/}"
check
