#!/usr/bin/env bash
# packaging/container/build.sh: the cloud's container image (admit-cloud and
# platform-sim), without a container engine, into dist/container/:
#
#   admit-cloud-image.tar   a docker-archive: `docker load -i` or `podman load -i`
#
# The base is Debian's own libc6 and libgcc-s1 (apt-get download), the same
# Debian release the binary is built on, so the cgo build (SQLite) finds the
# C library it was linked against; nothing else: no shell, no package
# manager. Time zones are built into the binaries (time/tzdata).
# The image runs as uid 10001 with its data in /var/lib/admit.
set -euo pipefail
cd "$(dirname "$0")/../.."
VERSION="${VERSION:-dev}"
out=dist/container
rm -rf "$out"
mkdir -p "$out/debs" "$out/rootfs/usr/bin"
root="$out/rootfs"

# The same flags as packaging/build.sh: the package's build is reused.
GOOS=linux GOARCH=amd64 GOARM= GOFLAGS="${GOFLAGS:-} -buildmode=pie" CGO_ENABLED=1 go build -trimpath -ldflags "-s -w" -o "$root/usr/bin/admit-cloud" ./cmd/admit-cloud
CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$root/usr/bin/platform-sim" ./cmd/platform-sim

(cd "$out/debs" && apt-get download -q libc6 libgcc-s1 2>&1 | grep -v "^W: Download is performed unsandboxed" || true)
ls "$out"/debs/libc6_*.deb "$out"/debs/libgcc-s1_*.deb >/dev/null
for deb in "$out"/debs/*.deb; do
	dpkg-deb -x "$deb" "$root"
done
# What a program never reads: documentation, locales' translations, the
# maintainer scripts' helpers.
rm -rf "$root"/usr/share/{doc,lintian,man,info,locale} "$root"/usr/lib/x86_64-linux-gnu/gconv "$root"/etc/ld.so.conf.d
# The C library must be the one the binary was linked against (or newer).
want=$(dpkg-query -W -f '${Version}' libc6)
got=$(dpkg-deb -f "$out"/debs/libc6_*.deb Version)
dpkg --compare-versions "$got" ge "$want" || { echo "the image's libc6 $got is older than the build's $want" >&2; exit 1; }

mkdir -p "$root"/etc/ssl/certs "$root"/etc/admit "$root"/var/lib/admit/platform "$root"/tmp
cp /etc/ssl/certs/ca-certificates.crt "$root"/etc/ssl/certs/
cp packaging/container/cloud.json "$root"/etc/admit/cloud.json
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nadmit:x:10001:10001:Admit:/var/lib/admit:/usr/sbin/nologin\n' >"$root"/etc/passwd
printf 'root:x:0:\nadmit:x:10001:\n' >"$root"/etc/group
printf 'hosts: files dns\n' >"$root"/etc/nsswitch.conf

epoch=$(git log -1 --format=%ct 2>/dev/null || date +%s)
(cd packaging/container && go run ./mkimage -rootfs "../../$root" -tag "admit-cloud:$VERSION" -out "../../$out/admit-cloud-image.tar" \
	-epoch "$epoch" -own /var/lib/admit=10001:10001:0750 -own /var/lib/admit/platform=10001:10001:0750 -own /tmp=0:0:1777 \
	-entrypoint /usr/bin/admit-cloud -cmd serve,-config,/etc/admit/cloud.json -user 10001:10001 \
	-port 8080 -port 1883 -volume /var/lib/admit \
	-label "org.opencontainers.image.title=admit-cloud" \
	-label "org.opencontainers.image.revision=$(git rev-parse HEAD 2>/dev/null || echo unknown)" \
	-label "org.opencontainers.image.source=https://github.com/admitbox/admit")
ls -l "$out/admit-cloud-image.tar"
