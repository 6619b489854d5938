#!/bin/sh
set -e
if [ "$1" = configure ]; then
	if ! getent passwd admit >/dev/null; then
		adduser --system --group --home /var/lib/admit --no-create-home --quiet admit
	fi
	install -d -o admit -g admit -m 0750 /var/lib/admit
	chgrp admit /etc/admit/cloud.json && chmod 0640 /etc/admit/cloud.json
	if [ -d /run/systemd/system ]; then
		systemctl daemon-reload >/dev/null || true
		deb-systemd-helper enable admit-cloud.service >/dev/null 2>&1 || true
	fi
fi
