#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if ! getent passwd admit-edge >/dev/null; then
		adduser --system --group --home /var/lib/admit-edge --no-create-home --quiet admit-edge
	fi
	adduser --quiet admit-edge dialout >/dev/null
	install -d -o admit-edge -g admit-edge -m 0750 /var/lib/admit-edge
	if command -v udevadm >/dev/null && [ -d /run/udev ]; then
		udevadm control --reload-rules >/dev/null 2>&1 || true
		udevadm trigger --subsystem-match=usb >/dev/null 2>&1 || true
	fi
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null || true
		deb-systemd-helper enable admit-edge.service >/dev/null 2>&1 || true
	fi
fi
