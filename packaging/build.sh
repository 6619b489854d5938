#!/usr/bin/env bash
# packaging/build.sh: the Debian packages, into dist/.
#
#   admit-cloud          amd64, arm64 (cgo: SQLite; arm64 with gcc-aarch64-linux-gnu)
#   admit-edge           amd64, arm64, armhf (no cgo)
#   admit-kiosk-browser  all
#
# nfpm (github.com/goreleaser/nfpm/v2) builds them from packaging/nfpm/*.yaml,
# run by `go run` at a pinned version: nothing to install but Go.
# VERSION (a Debian version) defaults to 0.1.0~<commit date>.<commit>.
set -euo pipefail
cd "$(dirname "$0")/.."

NFPM=github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0
if [[ -z "${VERSION:-}" ]]; then
	VERSION="0.1.0~$(git log -1 --format=%cd --date=format:%Y%m%d%H%M%S 2>/dev/null || date +%Y%m%d).$(git rev-parse --short=8 HEAD 2>/dev/null || echo local)"
fi
export VERSION
rm -rf dist
mkdir -p dist

build() { # goarch debarch goarm pkg main cgo
	local out="dist/build/$2"
	mkdir -p "$out"
	GOOS=linux GOARCH=$1 GOARM=$3 CGO_ENABLED=$6 go build -trimpath -ldflags "-s -w" -o "$out/$4" "$5"
}

GOFLAGS="${GOFLAGS:-} -buildmode=pie" build amd64 amd64 "" admit-cloud ./cmd/admit-cloud 1
# arm64 needs a cross C compiler for SQLite (apt-get install gcc-aarch64-linux-gnu).
CC=aarch64-linux-gnu-gcc GOFLAGS="${GOFLAGS:-} -buildmode=pie" build arm64 arm64 "" admit-cloud ./cmd/admit-cloud 1
for a in "amd64 amd64 ''" "arm64 arm64 ''" "arm armhf 7"; do
	eval "set -- $a"
	build "$1" "$2" "$3" admit-edge ./cmd/admit-edge 0
done
# A Debian changelog (the package is native: its history is this commit).
{
	echo "admit ($VERSION) unstable; urgency=medium"
	echo
	echo "  * Built from commit $(git rev-parse HEAD 2>/dev/null || echo unknown)."
	echo
	echo " -- Admit <ops@admit.example>  $(date -R -d "@$(git log -1 --format=%ct 2>/dev/null || date +%s)")"
} | gzip -9n >dist/build/changelog.gz
# The firmware profiles, for reference beside the ones built in.
mkdir -p dist/build/firmware-profiles
(cd firmware-profiles && cp --parents README.md ./*/*.json ../dist/build/firmware-profiles/)
# The udev rules come from the profiles built into the agent.
go run ./cmd/admit-edge profiles udev-rules -group admit-edge >dist/build/udev.rules
for arch in amd64 arm64 armhf; do
	cp dist/build/udev.rules "dist/build/$arch/60-admit-edge.rules"
done

nfpm() { # yaml arch: the yaml takes its files from dist/build/current
	rm -rf dist/build/current
	if [[ -d "dist/build/$2" ]]; then cp -r "dist/build/$2" dist/build/current; fi
	ARCH=$2 go run "$NFPM" package --config "packaging/nfpm/$1.yaml" --packager deb --target dist/
}
nfpm admit-cloud amd64
nfpm admit-cloud arm64
for arch in amd64 arm64 armhf; do
	nfpm admit-edge "$arch"
done
nfpm admit-kiosk-browser all
ls -l dist/*.deb
