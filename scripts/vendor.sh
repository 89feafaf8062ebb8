#!/usr/bin/env bash
# Vendor third-party browser files into static/vendor/, as listed in scripts/vendor.manifest.
#
#   scripts/vendor.sh          fetch each package once via `npm pack`, verify every file's sha256
#                              against the manifest, install into static/vendor/<dest>/ (+ VERSION)
#   scripts/vendor.sh --check  verify the committed files only (no network; run by scripts/lint)
#
# To upgrade a package: change its version in scripts/vendor.manifest, run this script, review the
# release, paste the "actual" hashes it prints into the manifest, and run it again.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MANIFEST="$ROOT/scripts/vendor.manifest"
VENDOR="$ROOT/static/vendor"
REL_MANIFEST="scripts/vendor.manifest"

die() { echo "vendor: $*" >&2; exit 1; }

sha256_of() {
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d' ' -f1
  else
    shasum -a 256 "$1" | cut -d' ' -f1
  fi
}

# --- manifest ---------------------------------------------------------------------------------
# Parallel arrays, one element per file line (bash 3.2 compatible: no associative arrays).
M_LINE=() M_DEST=() M_SPEC=() M_NAME=() M_VERSION=() M_PATH=() M_FILE=() M_SHA=()
# Parallel arrays, one element per destination directory, in manifest order.
D_DEST=() D_SPEC=()

dest_index() { # dest -> index into D_* (or empty)
  local i
  [ "${#D_DEST[@]}" -gt 0 ] || return 0
  for i in "${!D_DEST[@]}"; do
    if [ "${D_DEST[$i]}" = "$1" ]; then echo "$i"; return; fi
  done
}

parse_manifest() {
  [ -f "$MANIFEST" ] || die "missing $REL_MANIFEST"
  local n=0 line dest spec path sha extra name version file i di
  while IFS= read -r line || [ -n "$line" ]; do
    n=$((n + 1))
    line="${line%%#*}"
    read -r dest spec path sha extra <<<"$line" || true
    [ -n "${dest:-}" ] || continue
    local where="$REL_MANIFEST:$n"
    [ -n "${sha:-}" ] && [ -z "${extra:-}" ] ||
      die "$where: expected '<dest> <package>@<version> <path in package> <sha256>'"
    [[ "$dest" =~ ^[a-z0-9][a-z0-9._-]*$ ]] ||
      die "$where: bad dest '$dest' (one directory name under static/vendor/)"
    # split package@version at the last '@' (scoped packages start with '@')
    name="${spec%@*}"
    version="${spec##*@}"
    [ -n "$name" ] && [ "$name" != "$spec" ] ||
      die "$where: '$spec' is not <package>@<version>"
    [[ "$name" =~ ^(@[a-z0-9][a-z0-9._~-]*/)?[a-z0-9][a-z0-9._~-]*$ ]] ||
      die "$where: bad npm package name '$name'"
    [[ "$version" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$ ]] ||
      die "$where: '$version' is not an exact version (no ranges or tags)"
    [[ "$path" =~ ^[A-Za-z0-9._@+-]+(/[A-Za-z0-9._@+-]+)*$ ]] &&
      ! [[ "/$path/" == */../* || "/$path/" == */./* ]] ||
      die "$where: bad path in package '$path'"
    [[ "$sha" =~ ^[0-9a-f]{64}$ ]] || die "$where: bad sha256 '$sha' (64 lowercase hex digits)"
    file="${path##*/}"
    [ "$file" != "VERSION" ] || die "$where: a vendored file cannot be called VERSION"

    di="$(dest_index "$dest")"
    if [ -z "$di" ]; then
      D_DEST+=("$dest")
      D_SPEC+=("$spec")
    elif [ "${D_SPEC[$di]}" != "$spec" ]; then
      die "$where: $dest already holds ${D_SPEC[$di]}, not $spec (one package@version per dest)"
    fi
    for i in ${M_LINE[@]+"${!M_LINE[@]}"}; do
      [ "${M_DEST[$i]}" != "$dest" ] || [ "${M_FILE[$i]}" != "$file" ] ||
        die "$where: $dest/$file is already listed on line ${M_LINE[$i]}"
    done

    M_LINE+=("$n") M_DEST+=("$dest") M_SPEC+=("$spec") M_NAME+=("$name")
    M_VERSION+=("$version") M_PATH+=("$path") M_FILE+=("$file") M_SHA+=("$sha")
  done <"$MANIFEST"
  [ "${#M_LINE[@]}" -gt 0 ] || die "$REL_MANIFEST lists no files"
}

version_text() { # dest index -> expected contents of static/vendor/<dest>/VERSION
  local di="$1" i spec="${D_SPEC[$1]}"
  printf '%s %s\n' "${spec%@*}" "${spec##*@}"
  for i in "${!M_LINE[@]}"; do
    [ "${M_DEST[$i]}" = "${D_DEST[$di]}" ] || continue
    printf 'sha256 %s  %s\n' "${M_SHA[$i]}" "${M_FILE[$i]}"
  done
}

# --- check (no network) -----------------------------------------------------------------------
check() {
  local errors=() i di dest dir actual entry base listed
  for i in "${!M_LINE[@]}"; do
    entry="static/vendor/${M_DEST[$i]}/${M_FILE[$i]}"
    if [ ! -s "$ROOT/$entry" ]; then
      errors+=("missing $entry (run scripts/vendor.sh)")
      continue
    fi
    actual="$(sha256_of "$ROOT/$entry")"
    [ "$actual" = "${M_SHA[$i]}" ] ||
      errors+=("sha256 mismatch for $entry: expected ${M_SHA[$i]} ($REL_MANIFEST:${M_LINE[$i]}), actual $actual (run scripts/vendor.sh to restore ${M_SPEC[$i]}; to upgrade, see $REL_MANIFEST)")
  done
  for di in "${!D_DEST[@]}"; do
    dest="${D_DEST[$di]}"
    [ "$(cat "$VENDOR/$dest/VERSION" 2>/dev/null)" = "$(version_text "$di")" ] ||
      errors+=("static/vendor/$dest/VERSION does not match $REL_MANIFEST (run scripts/vendor.sh)")
    # files nobody vendors any more
    for entry in "$VENDOR/$dest"/* "$VENDOR/$dest"/.[!.]*; do
      [ -e "$entry" ] || continue
      base="${entry##*/}"
      [ "$base" != "VERSION" ] || continue
      listed=
      for i in "${!M_LINE[@]}"; do
        if [ "${M_DEST[$i]}" = "$dest" ] && [ "${M_FILE[$i]}" = "$base" ]; then listed=1; fi
      done
      [ -n "$listed" ] ||
        errors+=("static/vendor/$dest/$base is not listed in $REL_MANIFEST (delete it or add it there)")
    done
  done
  for dir in "$VENDOR"/* "$VENDOR"/.[!.]*; do
    [ -e "$dir" ] || continue
    [ -n "$(dest_index "${dir##*/}")" ] ||
      errors+=("static/vendor/${dir##*/} is not a dest in $REL_MANIFEST (delete it or add it there)")
  done

  if [ "${#errors[@]}" -gt 0 ]; then
    for entry in "${errors[@]}"; do echo "vendor: $entry" >&2; done
    exit 1
  fi
  for di in "${!D_DEST[@]}"; do
    echo "vendor: OK static/vendor/${D_DEST[$di]} ${D_SPEC[$di]}"
  done
}

# --- main -------------------------------------------------------------------------------------
case "${1:-}" in
  --check) [ "$#" -eq 1 ] || die "usage: $0 [--check]"; parse_manifest; check; exit 0 ;;
  "") ;;
  -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
  *) die "unknown argument: $1 (usage: $0 [--check])" ;;
esac

parse_manifest
command -v npm >/dev/null 2>&1 || die "npm not found"

TMP="$(mktemp -d)"
trap 'rm -rf "$TMP"' EXIT

# Fetch every distinct package@version once. npm pack downloads the tarball from the configured
# registry and verifies its integrity (sha512 from the registry metadata); it does not install
# dependencies or run install scripts.
P_SPEC=() P_ROOT=()
pkg_root() { # spec -> extracted package directory
  local p
  for p in ${P_SPEC[@]+"${!P_SPEC[@]}"}; do
    if [ "${P_SPEC[$p]}" = "$1" ]; then echo "${P_ROOT[$p]}"; return; fi
  done
  die "internal error: $1 was not fetched"
}
for di in "${!D_DEST[@]}"; do
  spec="${D_SPEC[$di]}"
  for p in ${P_SPEC[@]+"${!P_SPEC[@]}"}; do [ "${P_SPEC[$p]}" != "$spec" ] || continue 2; done
  work="$TMP/${#P_SPEC[@]}"
  mkdir -p "$work/x"
  echo "vendor: fetching $spec"
  tarball="$(cd "$work" && npm pack --silent --ignore-scripts "$spec" | tail -n 1)"
  [ -n "$tarball" ] && [ -f "$work/$tarball" ] ||
    die "npm pack $spec did not produce a tarball (got '$tarball')"
  tar -xzf "$work/$tarball" -C "$work/x"
  # npm tarballs hold one top-level directory (normally package/)
  set -- "$work/x"/*
  [ "$#" -eq 1 ] && [ -d "$1" ] || die "unexpected layout of the $spec tarball"
  P_SPEC+=("$spec")
  P_ROOT+=("$1")
done

# Verify every file before installing any.
mismatch=0
for i in "${!M_LINE[@]}"; do
  src="$(pkg_root "${M_SPEC[$i]}")/${M_PATH[$i]}"
  if [ ! -f "$src" ]; then
    echo "vendor: ${M_SPEC[$i]} has no file ${M_PATH[$i]} ($REL_MANIFEST:${M_LINE[$i]})" >&2
    mismatch=1
    continue
  fi
  actual="$(sha256_of "$src")"
  if [ "$actual" != "${M_SHA[$i]}" ]; then
    {
      echo "vendor: SHA256 MISMATCH for ${M_SPEC[$i]} ${M_PATH[$i]} ($REL_MANIFEST:${M_LINE[$i]})"
      echo "  expected: ${M_SHA[$i]}"
      echo "  actual:   $actual"
    } >&2
    mismatch=1
  fi
done
if [ "$mismatch" -ne 0 ]; then
  {
    echo "Nothing was installed. If you are intentionally changing a version in $REL_MANIFEST,"
    echo "review the release and put the actual hashes above into its last column, then run $0 again."
  } >&2
  exit 1
fi

for di in "${!D_DEST[@]}"; do
  dest="${D_DEST[$di]}"
  mkdir -p "$VENDOR/$dest"
  for i in "${!M_LINE[@]}"; do
    [ "${M_DEST[$i]}" = "$dest" ] || continue
    cp "$(pkg_root "${M_SPEC[$i]}")/${M_PATH[$i]}" "$VENDOR/$dest/${M_FILE[$i]}"
    chmod 0644 "$VENDOR/$dest/${M_FILE[$i]}"
  done
  version_text "$di" >"$VENDOR/$dest/VERSION"
  echo "vendor: installed ${D_SPEC[$di]} into static/vendor/$dest"
done
check
