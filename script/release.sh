#!/usr/bin/env bash
# Releases version X.Y.Z of the action from the checked-out commit: refuses unless package.json
# says X.Y.Z, CHANGELOG.md has a "## [X.Y.Z]" entry, dist/ is what src/ builds to, the tree is
# clean and vX.Y.Z is new; then tags vX.Y.Z, moves the major tag vX to the same commit (what
# workflows using `@vX` run), pushes both, and writes the CHANGELOG entry to $RELEASE_NOTES
# (default release-notes.md) for the GitHub release. .github/workflows/release.yml runs it.
#
#   script/release.sh X.Y.Z
# RELEASE_REMOTE (default origin); RELEASE_CHECK_DIST (default: bash script/check-dist.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
version=${1:-}
remote=${RELEASE_REMOTE:-origin}
notes=${RELEASE_NOTES:-release-notes.md}
fail() { printf 'release: %s\n' "$*" >&2; exit 1; }

[[ $version =~ ^(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)$ ]] ||
  fail "give the version as X.Y.Z (no v, no suffix), not \"$version\""
major=v${BASH_REMATCH[1]}
tag=v$version

[ -z "$(git status --porcelain)" ] || fail "the working tree has changes; release a committed state"
package_version=$(node -p 'require("./package.json").version')
[ "$package_version" = "$version" ] ||
  fail "package.json says $package_version, not $version: bump it in the release commit"
entry=$(awk -v heading="## [$version]" 'index($0, heading) == 1 { found = 1; next } found && /^## \[/ { exit } found { print }' CHANGELOG.md)
[ -n "$(tr -d '[:space:]' <<<"$entry")" ] ||
  fail "CHANGELOG.md has no \"## [$version]\" entry (or it is empty): move the Unreleased notes under it"
if git rev-parse -q --verify "refs/tags/$tag" >/dev/null; then fail "$tag exists already"; fi
eval "${RELEASE_CHECK_DIST:-bash script/check-dist.sh}" || fail "dist/ is not current: run npm run bundle and commit dist/"

commit=$(git rev-parse HEAD)
git tag -a "$tag" -m "kube-stage $tag" "$commit"
git tag -f -a "$major" -m "kube-stage $major (moved to $tag)" "$commit" >/dev/null
git push "$remote" "refs/tags/$tag"
git push --force "$remote" "refs/tags/$major"
printf '%s\n' "$entry" | sed '/./,$!d' >"$notes"
printf 'release: %s and %s at %s; notes in %s\n' "$tag" "$major" "$commit" "$notes"
