#!/bin/bash
# floor.sh: how many sales a second PostgreSQL itself can take on this
# machine, driven by the best client there is (pgbench, in C, prepared
# statements, no HTTP, no application) with the statements our store sends
# for a sale (hold, confirm, pay: cloud/store/sqlstore) in batches of three
# sales, as the cloud's group commit sends them under load.
#
# It runs two designs, each for SECONDS with CLIENTS connections (the
# replicas' committers):
#   lock_first  the store's: a batch locks the audit head first and holds
#               it to COMMIT (doc.go), so batches of all processes are serial.
#   lock_late   the design doc.go sketches: a batch's seat statements run
#               concurrently, row locks deciding races; only its end takes
#               the lock. The seat change log is numbered by a sequence here
#               (the real design would number it at the end, under the lock).
# and prints, for each, sales a second and the share of the machine's
# cores in use, so what a sale costs the machine in PostgreSQL alone.
#
# usage: floor.sh [DSN] [SECONDS] [CLIENTS]
#   DSN defaults to postgres://postgres@127.0.0.1:5432/postgres; the run
#   creates and drops a database of its own there. Run it from the
#   repository (it migrates with `go run ./cmd/admit-cloud migrate`).
set -euo pipefail

dsn=${1:-postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable}
seconds=${2:-10}
clients=${3:-3}
usage() {
	echo "floor.sh: $1" >&2
	echo "usage: floor.sh [postgres://user@host:port/database] [SECONDS] [CLIENTS]" >&2
	exit 2
}
case $dsn in postgres://*/* | postgresql://*/*) ;; *) usage "want a postgres:// URL with a database, got '$dsn'" ;; esac
[[ $seconds =~ ^[1-9][0-9]*$ ]] || usage "SECONDS must be a whole number above 0, got '$seconds'"
[[ $clients =~ ^[1-9][0-9]*$ ]] || usage "CLIENTS must be a whole number above 0, got '$clients'"
db=admit_floor_$$
base=${dsn%%\?*}
base=${base%/*}
target="$base/$db?sslmode=disable"

psql -q -X "$dsn" -c "CREATE DATABASE $db" >/dev/null
trap 'psql -q -X "$dsn" -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT
go run ./cmd/admit-cloud migrate -db "$target" >/dev/null

# 40 sessions of 5,000 seats: 200,000 seats, so no run sells out.
psql -q -X -v ON_ERROR_STOP=1 "$target" <<'SQL'
SET session_replication_role = replica; -- no tenant, venue or event rows
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '') ON CONFLICT (id) DO NOTHING;
INSERT INTO feed_heads (venue_id, seq) VALUES (1, 0);
INSERT INTO sessions (id, tenant_id, venue_id, hall_id, event_id, starts_at, ends_at, business_date, status,
	min_price_cents, max_per_order, reentry, created_at)
SELECT g, 1, 1, 1, 1, 0, 0, '2026-12-04', 'open', 0, 10, 'none', 0 FROM generate_series(1, 40) g;
INSERT INTO session_seats (session_id, seat_id, ord, section, row_label, row_no, col, label, type, phys_state, tier_id, price_cents)
SELECT s, g, g, 'A', 'R' || (g / 50), g / 50, g % 50, 'A-' || g, 'standard', 'ok', 1, 5000
FROM generate_series(1, 40) s, generate_series(1, 5000) g;
VACUUM ANALYZE;
SQL

dir=$(mktemp -d)
trap 'rm -rf "$dir"; psql -q -X "$dsn" -c "DROP DATABASE IF EXISTS $db" >/dev/null' EXIT

lock='SELECT seq, hash FROM audit_head WHERE id = 1 FOR UPDATE;'
# One sale, as three jobs each in its savepoint: two seats held, the order
# confirmed, paid and its two tickets issued.
sale() {
	cat <<'SQL'
\set sess random(1, 40)
\set a random(1, 2500) * 2 - 1
\set b :a + 1
\set pk random(1, 1000000000)
SAVEPOINT job;
INSERT INTO holds (tenant_id, venue_id, session_id, channel, status, expires_at, created_by, created_at, party, prepaid_key) VALUES (1, 1, :sess, 'pos', 'active', 9999999999999, 1, 1, '', '') RETURNING id AS hid \gset
WITH s AS (UPDATE session_seats SET status = 'held', hold_id = :hid, hold_expires = 9999999999999, channel = 'pos', party = '', order_id = NULL WHERE session_id = :sess AND seat_id IN (:a, :b) AND tier_id <> 0 AND phys_state IN ('ok', 'obstructed') AND (category = 'sellable' OR (category = 'reserved' AND (reserved_until <= 1 OR (reserved_for <> '' AND reserved_for = '')))) AND (status = 'available' OR (status = 'held' AND hold_expires <= 1)) RETURNING seat_id, label, tier_id, price_cents), i AS (INSERT INTO hold_seats (hold_id, seat_id, label, tier_id, price_cents) SELECT :hid, seat_id, label, tier_id, price_cents FROM s) SELECT seat_id, label, tier_id, price_cents FROM s;
SAVEPOINT job;
INSERT INTO orders (tenant_id, venue_id, session_id, hold_id, channel, status, total_cents, pickup_code, order_qr, customer_name, customer_phone, pay_by, created_by, created_at) VALUES (1, 1, :sess, :hid, 'pos', 'pending_payment', 10000, 'P' || :hid || '-' || :client_id || '-' || :pk, 'qr', '', '', 9999999999999, 1, 1) RETURNING id AS oid \gset
WITH h AS (UPDATE holds SET status = 'confirmed', expires_at = 9999999999999 WHERE id = :hid AND status = 'active' AND expires_at > 1 RETURNING id) UPDATE session_seats SET hold_expires = 9999999999999 WHERE hold_id = (SELECT id FROM h) AND status = 'held' AND hold_expires > 1 AND phys_state IN ('ok', 'obstructed');
SAVEPOINT job;
SELECT id, tenant_id, venue_id, session_id, hold_id, channel, status, total_cents, pickup_code, order_qr, customer_name, customer_phone FROM orders WHERE id = :oid;
UPDATE session_seats SET status = 'sold', order_id = :oid, hold_expires = NULL WHERE hold_id = :hid AND status = 'held' AND hold_expires > 1 AND phys_state IN ('ok', 'obstructed') RETURNING session_id;
UPDATE orders SET status = 'paid', payment_method = 'cash', payment_ref = '', payment_key = '', paid_at = 2 WHERE id = :oid AND status = 'pending_payment';
INSERT INTO tickets (tenant_id, venue_id, session_id, order_id, seat_id, seat_label, number, business_date, serial, tier_id, price_cents, key_id, qr, status, issued_at, holder, bundle_id) VALUES (1, 1, :sess, :oid, :a, 'A', 'T' || :oid || 'a', '20261204', 1, 1, 5000, 1, repeat('q', 120), 'valid', 2, '', 0), (1, 1, :sess, :oid, :b, 'B', 'T' || :oid || 'b', '20261204', 2, 1, 5000, 1, repeat('q', 120), 'valid', 2, '', 0) RETURNING id;
SQL
}
# The batch's end: its audit entries, feed events and outbox rows, the
# heads moved, the sessions' versions bumped, its seat changes read back.
end() {
	cat <<'SQL'
INSERT INTO audit_log (seq, at, tenant_id, venue_id, actor, action, object, before_json, after_json, reason, approver, prev_hash, hash, request_id) VALUES (1, 'x', 1, 1, 'clerk', 'order.paid', 'order:1', NULL, '{"a":1}', '', '', 'h', 'h', ''), (1, 'x', 1, 1, 'clerk', 'order.paid', 'order:1', NULL, '{"a":1}', '', '', 'h', 'h', ''), (1, 'x', 1, 1, 'clerk', 'order.paid', 'order:1', NULL, '{"a":1}', '', '', 'h', 'h', '');
INSERT INTO feed (venue_id, seq, kind, data, at, request_id) VALUES (1, :f0, 'tickets', '{"t":[1,2]}', 1, ''), (1, :f1, 'tickets', '{"t":[1,2]}', 1, ''), (1, :f2, 'tickets', '{"t":[1,2]}', 1, '');
INSERT INTO outbox (tenant_id, venue_id, kind, payload, created_at) VALUES (1, 1, 'report', '{"p":1}', 1), (1, 1, 'report', '{"p":1}', 1), (1, 1, 'report', '{"p":1}', 1);
UPDATE audit_head SET seq = seq + 3, hash = 'h' WHERE id = 1;
INSERT INTO feed_heads (venue_id, seq) VALUES (1, 3) ON CONFLICT (venue_id) DO UPDATE SET seq = excluded.seq;
UPDATE sessions SET version = version + 1 WHERE id IN (:sess);
SELECT id, session_id, ord, code, tier_id FROM seat_log WHERE id > :logstart ORDER BY id;
COMMIT;
SQL
}
batch() { # $1: where the lock goes, first or late
	printf '\\set f0 random(1, 1000000000000)\n\\set f1 random(1, 1000000000000)\n\\set f2 random(1, 1000000000000)\nBEGIN;\n'
	[ "$1" = first ] && echo "$lock"
	echo 'SELECT COALESCE(MAX(id), 0) AS logstart FROM seat_log \gset'
	sale
	sale
	sale
	[ "$1" = late ] && echo "$lock"
	end
}
batch first >"$dir/lock_first.sql"
batch late >"$dir/lock_late.sql"

busy() { awk '/^cpu /{print $2+$3+$4+$7+$8+$9, $5+$6}' /proc/stat; }
run() { # $1: design
	read -r b0 i0 < <(busy)
	out=$(pgbench -n -M prepared -f "$dir/$1.sql" -c "$clients" -j 2 -T "$seconds" "$target" 2>&1) || {
		echo "$out" >&2
		return 1
	}
	read -r b1 i1 < <(busy)
	if grep -q 'aborted' <<<"$out"; then
		echo "$out" >&2
		return 1
	fi
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' <<<"$out")
	awk -v d="$1" -v tps="$tps" -v b=$((b1 - b0)) -v i=$((i1 - i0)) -v cores="$(nproc)" 'BEGIN {
		sales = 3 * tps; share = b / (b + i)
		printf "%s: sales_per_s=%.0f machine_busy=%.0f%% machine_cpu_ms_per_sale=%.2f\n", d, sales, 100 * share, share * cores * 1000 / sales
	}'
}
run lock_first
# lock_late: the change log numbered by a sequence, not last-plus-one under
# the lock (which two concurrent batches would both take).
psql -q -X -v ON_ERROR_STOP=1 "$target" <<'SQL'
CREATE SEQUENCE seat_log_floor START 1000000000;
CREATE OR REPLACE FUNCTION seat_log_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO seat_log (id, session_id, ord, code, tier_id)
	VALUES (nextval('seat_log_floor'), NEW.session_id, NEW.ord,
		seat_code(NEW.phys_state, NEW.status, NEW.category, NEW.tier_id), NEW.tier_id);
	RETURN NULL;
END
$$;
SQL
run lock_late
