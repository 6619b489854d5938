#!/bin/sh
set -e
if [ -d /run/systemd/system ] && [ "$1" = remove ]; then
	deb-systemd-invoke stop admit-cloud.service >/dev/null 2>&1 || true
fi
