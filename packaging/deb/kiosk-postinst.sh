#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if ! getent passwd admit-kiosk >/dev/null; then
		adduser --system --group --home /var/lib/admit-kiosk --no-create-home --quiet admit-kiosk
	fi
	for g in video render input; do
		getent group "$g" >/dev/null && adduser --quiet admit-kiosk "$g" >/dev/null
	done
	install -d -o admit-kiosk -g admit-kiosk -m 0700 /var/lib/admit-kiosk
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null || true
	fi
fi
