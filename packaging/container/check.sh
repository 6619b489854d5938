#!/usr/bin/env bash
# packaging/container/check.sh: checks the image build.sh made, as an
# engine would run it, without one: the image's config (entrypoint, user,
# ports), then its layer unpacked into a directory and its programs run
# there under chroot as the image's user: admit-cloud migrates, serves on
# SQLite with its embedded broker and answers its own probe; platform-sim
# serves; then the compose file (Compose's own loader) and HAProxy's config.
# Needs root (chroot), jq and haproxy.
set -euo pipefail
cd "$(dirname "$0")/../.."
img=dist/container/admit-cloud-image.tar
[[ -f "$img" ]] || { echo "no $img: run packaging/container/build.sh" >&2; exit 1; }
fail() { echo "container check: $*" >&2; exit 1; }

work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

tar -xf "$img" -C "$work"
manifest="$work/manifest.json"
[[ $(jq -r '.[0].RepoTags[0]' "$manifest") == admit-cloud:* ]] || fail "tag $(jq -c '.[0].RepoTags' "$manifest")"
config="$work/$(jq -r '.[0].Config' "$manifest")"
[[ $(jq -r '.config.User' "$config") == 10001:10001 ]] || fail "user $(jq -r '.config.User' "$config")"
[[ $(jq -c '.config.Entrypoint' "$config") == '["/usr/bin/admit-cloud"]' ]] || fail "entrypoint $(jq -c '.config.Entrypoint' "$config")"
[[ $(jq -c '.config.ExposedPorts | keys' "$config") == '["1883/tcp","8080/tcp"]' ]] || fail "ports $(jq -c '.config.ExposedPorts' "$config")"
root="$work/root"
mkdir "$root"
for layer in $(jq -r '.[0].Layers[]' "$manifest"); do
	tar -xzf "$work/$layer" -C "$root" --same-owner --numeric-owner
done
[[ $(stat -c %u:%a "$root/var/lib/admit") == 10001:750 ]] || fail "/var/lib/admit is $(stat -c %u:%a "$root/var/lib/admit")"
size=$(du -sm "$root" | cut -f1)
echo "image: $(jq -r '.[0].RepoTags[0]' "$manifest"), ${size} MB unpacked"
# Nothing but the programs and the C library: no shell to break into.
[[ ! -e "$root/bin/sh" && ! -e "$root/usr/bin/sh" ]] || fail "the image has a shell"

# Both programs run as the image's user, with what the image holds.
inimage() { chroot --userspec=10001:10001 "$root" "$@"; }
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
inimage /usr/bin/admit-cloud migrate -config /etc/admit/cloud.json
api=$(free_port) mqtt=$(free_port)
inimage /usr/bin/admit-cloud serve -config /etc/admit/cloud.json -listen "127.0.0.1:$api" -mqtt-listen "127.0.0.1:$mqtt" >"$work/cloud.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	inimage /usr/bin/admit-cloud probe -url "http://127.0.0.1:$api/health/ready" >/dev/null 2>&1 && break
	sleep 0.2
done
inimage /usr/bin/admit-cloud probe -url "http://127.0.0.1:$api/health/ready" || { cat "$work/cloud.log"; fail "the cloud in the image never got ready"; }
[[ -s "$root/var/lib/admit/admit.db" ]] || fail "the cloud kept no database in /var/lib/admit"
echo "admit-cloud from the image: ready on SQLite and its embedded broker"

sim=$(free_port)
inimage /usr/bin/platform-sim -listen "127.0.0.1:$sim" -admin-token check -data /var/lib/admit/platform -ca-out /var/lib/admit/platform/ca.pem >"$work/sim.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 100); do
	grep -q '^URL ' "$work/sim.log" && break
	sleep 0.2
done
grep -q '^URL ' "$work/sim.log" || { cat "$work/sim.log"; fail "platform-sim in the image never served"; }
code=$(curl -s -o /dev/null -w '%{http_code}' --cacert "$root/var/lib/admit/platform/ca.pem" -H 'Authorization: Bearer check' "https://127.0.0.1:$sim/admin/received")
[[ $code == 200 ]] || fail "platform-sim's admin API answered $code"
echo "platform-sim from the image: serving"

(cd packaging/container && go test -count=1 .)
haproxy -c -f packaging/container/haproxy.cfg >/dev/null 2>&1 || haproxy -c -f packaging/container/haproxy.cfg
echo "container check: OK"
