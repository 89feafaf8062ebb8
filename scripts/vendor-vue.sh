#!/usr/bin/env bash
# Vendor Vue 3 (global production build, runtime+compiler) into static/vendor/vue/.
#
#   scripts/vendor-vue.sh          fetch vue@$VUE_VERSION via `npm pack`, verify, install
#   scripts/vendor-vue.sh --check  verify the committed files only (no network)
#
# To upgrade: change VUE_VERSION, run the script, paste the "actual" hash it
# prints into VUE_SHA256 after reviewing the release, and run it again.
set -euo pipefail

VUE_VERSION="3.5.45"
VUE_SHA256="0287592e25a077b6190b721db9903d253d936778dab50cbde0d6010c1f51d262"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEST="$ROOT/static/vendor/vue"
JS="$DEST/vue.global.prod.js"

die() { echo "vendor-vue: $*" >&2; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

version_text() {
  printf 'vue %s\nsha256 %s  vue.global.prod.js\n' "$VUE_VERSION" "$VUE_SHA256"
}

check() {
  [ -f "$JS" ] || die "missing $JS (run scripts/vendor-vue.sh)"
  [ -s "$DEST/LICENSE" ] || die "missing $DEST/LICENSE (run scripts/vendor-vue.sh)"
  local actual
  actual="$(sha256_of "$JS")"
  [ "$actual" = "$VUE_SHA256" ] ||
    die "sha256 mismatch for $JS: expected $VUE_SHA256, actual $actual"
  [ "$(cat "$DEST/VERSION" 2>/dev/null)" = "$(version_text)" ] ||
    die "$DEST/VERSION does not match VUE_VERSION=$VUE_VERSION / VUE_SHA256 (run scripts/vendor-vue.sh)"
  echo "vendor-vue: OK vue $VUE_VERSION ($VUE_SHA256)"
}

case "${1:-}" in
  --check) check; exit 0 ;;
  "") ;;
  -h|--help) sed -n '2,8p' "$0"; exit 0 ;;
  *) die "unknown argument: $1 (usage: $0 [--check])" ;;
esac

command -v npm >/dev/null 2>&1 || die "npm not found"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# npm pack downloads the tarball from the configured registry and verifies its
# integrity (sha512 from the registry metadata).
tarball="$(cd "$TMP" && npm pack --silent "vue@$VUE_VERSION" | tail -n 1)"
[ -f "$TMP/$tarball" ] || die "npm pack did not produce a tarball (got '$tarball')"
tar -xzf "$TMP/$tarball" -C "$TMP" package/dist/vue.global.prod.js package/LICENSE

actual="$(sha256_of "$TMP/package/dist/vue.global.prod.js")"
if [ "$actual" != "$VUE_SHA256" ]; then
  {
    echo "vendor-vue: SHA256 MISMATCH for vue@$VUE_VERSION dist/vue.global.prod.js"
    echo "  expected: $VUE_SHA256"
    echo "  actual:   $actual"
    echo "If you are intentionally changing VUE_VERSION, set VUE_SHA256=\"$actual\" in $0"
  } >&2
  exit 1
fi

mkdir -p "$DEST"
cp "$TMP/package/dist/vue.global.prod.js" "$JS"
cp "$TMP/package/LICENSE" "$DEST/LICENSE"
chmod 0644 "$JS" "$DEST/LICENSE"
version_text > "$DEST/VERSION"
echo "vendor-vue: installed vue $VUE_VERSION into ${DEST#"$ROOT"/}"
check
