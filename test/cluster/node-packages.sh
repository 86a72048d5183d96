#!/usr/bin/env bash
# Installs, when missing, the Debian packages the real node needs: containerd and
# runc (the container runtime), the CNI plugins (bridge, host-local, loopback),
# iptables and conntrack (kube-proxy), and busybox-static (the images' userland).
# CI and a new machine start without them; nothing is installed by hand.
# Exits non-zero with the reason when they cannot be installed (not root, no apt-get).
set -euo pipefail

step() { printf '[node packages] %s\n' "$*" >&2; }

# command or file -> package that provides it
declare -A wanted=(
  [containerd]=containerd
  [ctr]=containerd
  [runc]=runc
  [/usr/lib/cni/bridge]=containernetworking-plugins
  [/usr/lib/cni/host-local]=containernetworking-plugins
  [/usr/lib/cni/loopback]=containernetworking-plugins
  [iptables]=iptables
  [conntrack]=conntrack
  [ipset]=ipset
  [/bin/busybox]=busybox-static
)

missing=()
for what in "${!wanted[@]}"; do
  if [[ $what == /* ]]; then [ -x "$what" ] && continue; else command -v "$what" >/dev/null && continue; fi
  missing+=("${wanted[$what]}")
done
# busybox (the dynamic one) also installs /bin/busybox; images need the static build.
if [ -x /bin/busybox ] && ldd /bin/busybox >/dev/null 2>&1; then missing+=(busybox-static); fi
[ ${#missing[@]} -eq 0 ] && exit 0

mapfile -t missing < <(printf '%s\n' "${missing[@]}" | sort -u)
[ "$(id -u)" = 0 ] || { step "missing ${missing[*]}, and installing them needs root"; exit 1; }
command -v apt-get >/dev/null || { step "missing ${missing[*]}, and there is no apt-get to install them"; exit 1; }
step "installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >&2
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
