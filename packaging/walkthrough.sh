#!/usr/bin/env bash
# packaging/walkthrough.sh: from an installed cloud with its first admin
# (admit-cloud init) to a venue that sells, through the API, as the
# README's operator walkthrough does it; CI runs it against the cloud
# started from the package.
#
#   packaging/walkthrough.sh URL ADMIN_PASSWORD [ADMIT_EDGE]
#
# Creates a tenant and its admin, a venue, a hall with a seat map, an
# event, a session with its prices, a clerk and a POS device, enrolls the
# POS with admit-edge, and sells two seats at the box office.
set -euo pipefail
url=${1:?URL} adminpw=${2:?ADMIN_PASSWORD} edge=${3:-admit-edge}
api=$url/api/v1
pw="Walkthrough-pass-1"

fail() { echo "walkthrough: $*" >&2; exit 1; }
call() { # TOKEN METHOD PATH [BODY [CONTENT-TYPE]]
	local out code
	out=$(mktemp)
	code=$(curl -sS -o "$out" -w '%{http_code}' -X "$2" -H "Authorization: Bearer $1" \
		-H "Content-Type: ${5:-application/json}" ${4:+--data-binary "$4"} "$api$3")
	[[ $code == 2* ]] || fail "$2 $3: $code $(cat "$out")"
	cat "$out"
	rm -f "$out"
}
login() { call "" POST /auth/login "$(jq -n --arg u "$1" --arg p "$2" '{username: $u, password: $p}')" | jq -r .token; }

admin=$(login admin "$adminpw")
tenant=$(call "$admin" POST /tenants '{"code": "walk", "name": "Walkthrough Cinemas"}' | jq .id)
call "$admin" POST /users "$(jq -n --argjson t "$tenant" --arg p "$pw" \
	'{tenant_id: $t, username: "walk-admin", display_name: "Tenant admin", password: $p, role: "tenant_admin"}')" >/dev/null
ops=$(login walk-admin "$pw")

venue=$(call "$ops" POST /venues '{"code": "31009999", "name": "Riverside", "address": "1 River Rd", "timezone": "Asia/Shanghai"}' | jq .id)
hall=$(call "$ops" POST "/venues/$venue/halls" '{"code": "H1", "name": "Hall 1"}' | jq .id)
seats="section,section_name,row,row_no,col,label,type,state"
for r in A B C; do
	for c in $(seq 1 10); do seats+=$'\n'"S,Stalls,$r,$(($(printf '%d' "'$r") - 64)),$c,$r-$c,,"; done
done
call "$ops" PUT "/halls/$hall/seatmap" "$seats" text/csv >/dev/null
event=$(call "$ops" POST /events '{"name": "Opening night", "kind": "show", "code": "WALK-1"}' | jq .id)
starts=$(date -u -d '+3 hours' +%Y-%m-%dT%H:00:00Z)
ends=$(date -u -d '+5 hours' +%Y-%m-%dT%H:00:00Z)
session=$(call "$ops" POST /sessions "$(jq -n --argjson h "$hall" --argjson e "$event" --arg s "$starts" --arg x "$ends" \
	'{hall_id: $h, event_id: $e, starts_at: $s, ends_at: $x, max_per_order: 6}')" | jq .id)
call "$ops" PUT "/sessions/$session/prices" '{"tiers": [{"name": "Standard", "price_cents": 6000}]}' >/dev/null

call "$ops" POST /users "$(jq -n --argjson v "$venue" --arg p "$pw" \
	'{username: "walk-clerk", display_name: "Clerk", password: $p, role: "clerk", venue_ids: [$v]}')" >/dev/null
code=$(call "$ops" POST /devices "$(jq -n --argjson v "$venue" '{venue_id: $v, role: "pos", name: "Till 1"}')" | jq -r .enrollment_code)
devdir=$(mktemp -d)
trap 'rm -rf "$devdir"' EXIT
"$edge" enroll -api "$url" -code "$code" -data "$devdir" >/dev/null || fail "the POS did not enroll"

clerk=$(login walk-clerk "$pw")
hold=$(call "$clerk" POST /holds "$(jq -n --argjson s "$session" '{session_id: $s, channel: "pos", count: 2}')" | jq .id)
tickets=$(call "$clerk" POST /orders "$(jq -n --argjson h "$hold" '{hold_id: $h, payment: {method: "cash"}}')" | jq '.tickets | length')
[[ $tickets == 2 ]] || fail "the sale issued $tickets tickets, want 2"
echo "walkthrough: tenant $tenant, venue $venue, hall $hall (30 seats), session $session, a POS enrolled, 2 tickets sold"
