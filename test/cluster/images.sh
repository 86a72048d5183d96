#!/usr/bin/env bash
# Builds the fixture app (test/fixture-app) and OCI image archives of it for the real node's
# containerd, without a container engine: nothing can be pulled, so every image the node runs
# is made here from two static binaries, the app and Debian's busybox-static.
#
#   images.sh [output-dir]
#
# The output directory (default: a cache directory keyed by the sources, this script, the Go
# toolchain and busybox) holds the binary `shop`, one `<ref with / and : as _>.tar` per image
# (a tar of an OCI image layout, for `ctr images import`), and images.txt, one line per image:
#   <ref> <manifest digest sha256:...> <archive path>
# images.txt is written last: its presence marks a complete directory. The same inputs give
# byte-identical archives, so the digests tests pin stay put between runs (and machines with
# the same Go, busybox and zlib: the layer is gzip-compressed by Python's zlib).
# Prints the output directory on its last line of stdout (callers use `| tail -n 1`).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
app_src=$(cd "$here/../fixture-app" && pwd)

# The images, "<ref> <kind>". An app image runs the server with APP_VERSION=<tag>; the
# sandbox image (the kubelet's pod infrastructure container) runs `shop pause`. All share
# one layer; the app images differ only in APP_VERSION, so each has its own digest.
IMAGES=(
  "ghcr.io/example/shop:1.0.0 app"
  "ghcr.io/example/shop:1.1.0 app"
  "ghcr.io/example/shop:1.4.0 app"
  "ghcr.io/example/shop:2.0.0 app"
  "registry.k8s.io/pause:3.10 pause"
  # The default image of the isolation probe (the isolation-probe-image input): a busybox with sh, httpd
  # and wget, under the name a cluster would pull it by.
  "docker.io/library/busybox:1.37 busybox"
)
BUSYBOX=/bin/busybox
# The applets the image links in /bin: a shell and enough for exec probes and debugging.
APPLETS="sh ls cat echo sleep env wget id true false httpd nc"

step() { printf '[images] %s\n' "$*" >&2; }
die() { printf '[images] FAILED: %s\n' "$*" >&2; exit 1; }

command -v go >/dev/null || die "go is not on PATH; the fixture app is built from source with Go"
command -v python3 >/dev/null || die "python3 is not on PATH; it writes the image layers and JSON"
# A dynamic busybox (Debian's `busybox` package) would need a libc the image does not have.
[ -x "$BUSYBOX" ] ||
  die "$BUSYBOX is missing: install Debian's busybox-static package (apt-get install -y busybox-static)"
if command -v file >/dev/null; then
  kind=$(file -bL "$BUSYBOX")
  [[ $kind == *"statically linked"* || $kind == *"static-pie linked"* ]] ||
    die "$BUSYBOX is not statically linked ($kind): install busybox-static instead of busybox"
elif ldd "$BUSYBOX" >/dev/null 2>&1; then
  die "$BUSYBOX is dynamically linked: install busybox-static instead of busybox"
fi
# Captured first: `busybox --list | grep -q` would fail under pipefail when grep exits early.
available=$("$BUSYBOX" --list)
for applet in $APPLETS; do
  grep -qx "$applet" <<<"$available" || die "$BUSYBOX has no $applet applet"
done

arch=$(go env GOARCH)
# Everything that goes into the images: if any of it changes, so does the directory.
key=$(
  {
    (cd "$app_src" && find . -type f \( -name '*.go' -o -name go.mod -o -name go.sum \) -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum)
    sha256sum <"$here/images.sh"
    sha256sum <"$here/oci.py"
    go version
    go env GOARCH GOAMD64
    sha256sum <"$BUSYBOX"
  } | sha256sum | cut -c1-16
)
cache_root=${KUBE_STAGE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kube-stage}
out=${1:-$cache_root/images/$key}

# Complete = built from these inputs (.key, for an explicit output directory), the binary,
# and images.txt naming every image in order with its archive present.
complete() {
  [ "$(cat "$out/.key" 2>/dev/null)" = "$key" ] && [ -x "$out/shop" ] && [ -f "$out/images.txt" ] || return 1
  local ref digest archive want=()
  for spec in "${IMAGES[@]}"; do want+=("${spec%% *}"); done
  local got=()
  while read -r ref digest archive; do
    [ -s "$archive" ] && [[ $digest == sha256:* ]] || return 1
    got+=("$ref")
  done <"$out/images.txt"
  [ "${got[*]}" = "${want[*]}" ]
}

if complete; then
  step "cached: $out"
  echo "$out"
  exit 0
fi

start=$(date +%s)
mkdir -p "$out"
out=$(cd "$out" && pwd)
# A stale images.txt must not vouch for archives that are about to be replaced.
rm -f "$out/images.txt"
# Built beside the output, then renamed into it: same filesystem, so each file appears whole.
stage=$(mktemp -d "$out/.partial.XXXXXX")
trap 'rm -rf "$stage"' EXIT

step "building shop ($(go env GOVERSION) linux/$arch)"
# -buildvcs=false: inside a git checkout Go can stamp the commit and dirty state into the
# binary (-buildvcs=true always does, the default "auto" may), changing every
# digest on each commit although the sources did not change.
# GOFLAGS is cleared so a caller's flags (tags, -race) cannot change the binary either.
if ! (cd "$app_src" && CGO_ENABLED=0 GOTOOLCHAIN=local GOOS=linux GOARCH="$arch" GOFLAGS= \
  go build -buildvcs=false -trimpath -ldflags "-s -w" -o "$stage/shop" .) >"$stage/build.log" 2>&1; then
  cat "$stage/build.log" >&2
  die "go build of $app_src failed"
fi

step "writing OCI archives ($("$BUSYBOX" 2>&1 | sed -n '1s/^\(BusyBox v[^ ]*\).*/\1/p'), $arch)"
specs=()
for spec in "${IMAGES[@]}"; do specs+=("$spec"); done
# The layer and archives are written by oci.py (shared with sealed-secrets.sh's image).
PYTHONDONTWRITEBYTECODE=1 PYTHONPATH=$here python3 - "$stage" "$out" "$stage/shop" "$BUSYBOX" "$arch" "$APPLETS" "${specs[@]}" <<'PY'
import sys
from oci import Layer, directory, read, regular, symlink, write_image

stage, out, shop, busybox, arch, applets, *specs = sys.argv[1:]

APP_UID = 65532
rootfs = {
    "bin": directory(),
    "bin/busybox": regular(0o755, read(busybox)),
    "etc": directory(),
    "etc/passwd": regular(0o644,
                          f"root:x:0:0:root:/root:/bin/sh\napp:x:{APP_UID}:{APP_UID}:app:/home/app:/bin/sh\n".encode()),
    "etc/group": regular(0o644, f"root:x:0:\napp:x:{APP_UID}:\n".encode()),
    "home": directory(),
    "home/app": directory(owner=APP_UID),
    "root": directory(0o700),
    "tmp": directory(0o1777),
    "usr": directory(),
    "usr/local": directory(),
    "usr/local/bin": directory(),
    "usr/local/bin/shop": regular(0o755, read(shop)),
}
for applet in applets.split():
    rootfs["bin/" + applet] = symlink("busybox")
layer = Layer(rootfs)

PATH = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
lines = []
for spec in specs:
    ref, kind = spec.split()
    tag = ref.rsplit(":", 1)[1]
    if kind == "app":
        run = {"Entrypoint": ["/usr/local/bin/shop"], "Env": [PATH, "APP_VERSION=" + tag],
               "ExposedPorts": {"8080/tcp": {}}}
    elif kind == "pause":
        run = {"Entrypoint": ["/usr/local/bin/shop", "pause"], "Env": [PATH]}
    elif kind == "busybox":
        run = {"Cmd": ["sh"], "Env": [PATH]}
    else:
        sys.exit(f"[images] FAILED: unknown image kind {kind!r} for {ref}")
    line = write_image(stage, out, ref, arch, {**run, "User": f"{APP_UID}:{APP_UID}", "WorkingDir": "/"}, layer,
                       "test/cluster/images.sh: busybox-static and the fixture app")
    lines.append(line)
    print(f"[images] {ref} {line.split()[1]}", file=sys.stderr)

with open(f"{stage}/images.txt", "w") as f:
    f.writelines(lines)
PY

for f in "$stage"/shop "$stage"/*.tar; do mv -f "$f" "$out/"; done
echo "$key" >"$out/.key"
mv -f "$stage/images.txt" "$out/images.txt"
step "done in $(( $(date +%s) - start ))s: $out"
echo "$out"
