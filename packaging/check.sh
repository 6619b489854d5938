#!/usr/bin/env bash
# packaging/check.sh: inspect the packages packaging/build.sh made in dist/,
# as CI does: contents and control data, lintian, the systemd units
# (verify clean, security exposure at most 4.9, "OK"), and the cloud
# started from a throwaway root the package was unpacked into, taken from
# its first admin to a venue that sells (packaging/walkthrough.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
shopt -s nullglob

fail() { echo "packaging/check: $*" >&2; exit 1; }
debs=(dist/*.deb)
((${#debs[@]} == 6)) || fail "want 6 packages in dist/, have ${#debs[@]} (run packaging/build.sh)"

# Contents and control data.
has() { # deb path...
	local deb=$1 list
	shift
	list=$(dpkg-deb -c "$deb")
	for p in "$@"; do
		grep -q " \./${p#/}\$" <<<"$list" || fail "$deb lacks $p"
	done
}
for deb in "${debs[@]}"; do
	echo "== $deb"
	dpkg-deb -I "$deb" | sed -n '/Package:/,$p'
	dpkg-deb -c "$deb" | awk '{print "   " $1, $6}'
done
for deb in dist/admit-cloud_*.deb; do
	has "$deb" /usr/bin/admit-cloud /lib/systemd/system/admit-cloud.service /etc/admit/cloud.json /usr/share/admit/admit-pg
done
has dist/admit-cloud_*_amd64.deb /usr/bin/admit-cloud /lib/systemd/system/admit-cloud.service /etc/admit/cloud.json /usr/share/admit/admit-pg
for deb in dist/admit-edge_*.deb; do
	has "$deb" /usr/bin/admit-edge /lib/systemd/system/admit-edge.service /lib/udev/rules.d/60-admit-edge.rules \
		/usr/share/admit/firmware-profiles/printer/epson-tm-t88-80mm.json
done
has dist/admit-kiosk-browser_*_all.deb /lib/systemd/system/admit-kiosk-browser.service
dpkg-deb -f dist/admit-cloud_*_amd64.deb Conffiles 2>/dev/null | grep -q /etc/admit/cloud.json ||
	dpkg-deb --ctrl-tarfile dist/admit-cloud_*_amd64.deb | tar -xO ./conffiles | grep -qx /etc/admit/cloud.json ||
	fail "/etc/admit/cloud.json is not a conffile: an upgrade would overwrite the operator's config"
# Each admit-edge is built for its architecture (the ELF header's machine).
elf=$(mktemp -d)
for pair in armhf:28 arm64:b7 amd64:3e; do
	dpkg -x dist/admit-edge_*_"${pair%%:*}".deb "$elf/${pair%%:*}"
	machine=$(od -An -tx1 -j18 -N1 "$elf/${pair%%:*}/usr/bin/admit-edge" | tr -d ' ')
	[[ "$machine" == "${pair#*:}" ]] || fail "admit-edge for ${pair%%:*} has ELF machine $machine, want ${pair#*:}"
done
dpkg -x dist/admit-cloud_*_arm64.deb "$elf/cloud-arm64"
[[ "$(od -An -tx1 -j18 -N1 "$elf/cloud-arm64/usr/bin/admit-cloud" | tr -d ' ')" == b7 ]] || fail "admit-cloud for arm64 is not an arm64 binary"
rm -rf "$elf"

# lintian: no errors (its warnings are printed).
if command -v lintian >/dev/null; then
	lintian --fail-on error --tag-display-limit 0 "${debs[@]}"
else
	echo "packaging/check: no lintian here (apt-get install lintian); skipped" >&2
fi

# The units, in a root the packages are unpacked into with the host's
# systemd units beside them (the kiosk's cage and chromium as stubs).
root=$(mktemp -d)
data=$(mktemp -d)
trap 'rm -rf "$root" "$data"; [[ -n "${pid:-}" ]] && kill "$pid" 2>/dev/null || true' EXIT
for deb in dist/admit-cloud_*_amd64.deb dist/admit-edge_*_amd64.deb dist/admit-kiosk-browser_*_all.deb; do
	dpkg -x "$deb" "$root"
done
cp -rn /lib/systemd/system/. "$root/lib/systemd/system/"
for stub in cage chromium; do
	printf '#!/bin/sh\n' >"$root/usr/bin/$stub"
	chmod +x "$root/usr/bin/$stub"
done
for unit in admit-cloud admit-edge admit-kiosk-browser; do
	out=$(systemd-analyze verify --root="$root" "$root/lib/systemd/system/$unit.service" 2>&1) || fail "$unit: verify: $out"
	[[ -z "$out" ]] || fail "$unit: systemd-analyze verify is not clean: $out"
	systemd-analyze security --offline=true --threshold=49 "$root/lib/systemd/system/$unit.service" | tail -n 1 ||
		fail "$unit: exposure above 4.9"
done

# The cloud from the unpacked package: migrate, the first admin, serve.
"$root/usr/bin/admit-cloud" migrate -data "$data"
"$root/usr/bin/admit-cloud" init -data "$data" -generate >"$data/init.out" || fail "init from the package"
adminpw=$(awk '/^password:/ {print $2}' "$data/init.out")
[[ -n "$adminpw" ]] || fail "init printed no password: $(cat "$data/init.out")"
"$root/usr/bin/admit-cloud" serve -config "$root/etc/admit/cloud.json" -data "$data" -listen 127.0.0.1:0 -mqtt-listen 127.0.0.1:0 \
	>"$data/serve.log" 2>&1 &
pid=$!
for _ in $(seq 100); do
	url=$(grep -o 'http://[^/ ]*' "$data/serve.log" | head -n 1 || true)
	[[ -n "$url" ]] && break
	sleep 0.1
done
[[ -n "$url" ]] || fail "the packaged cloud did not start: $(cat "$data/serve.log")"
curl -fsS "$url/health/ready" | grep -q '"ready":true' || fail "the packaged cloud is not ready"
# The operator's walkthrough, against the packaged cloud and agent.
bash packaging/walkthrough.sh "$url" "$adminpw" "$root/usr/bin/admit-edge"
kill -TERM "$pid"
wait "$pid" || fail "the packaged cloud did not stop cleanly on SIGTERM"
pid=
echo "packaging/check: ${#debs[@]} packages ok; the packaged cloud served $url"
