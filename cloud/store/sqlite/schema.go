package sqlite

// migrations are applied in order, each once, in one transaction each.
// Append only: a released migration is never edited.
var migrations = []string{
	// 1: the sales core.
	`
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL);

CREATE TABLE tenants (
	id INTEGER PRIMARY KEY,
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE venues (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	code TEXT NOT NULL UNIQUE,
	name TEXT NOT NULL,
	address TEXT NOT NULL,
	timezone TEXT NOT NULL,
	day_start_min INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX venues_tenant ON venues(tenant_id);

CREATE TABLE halls (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	venue_id INTEGER NOT NULL REFERENCES venues(id),
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	UNIQUE (venue_id, code)
);

CREATE TABLE hall_sections (
	hall_id INTEGER NOT NULL REFERENCES halls(id),
	ord INTEGER NOT NULL,
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	PRIMARY KEY (hall_id, code)
);

CREATE TABLE hall_seats (
	id INTEGER PRIMARY KEY,
	hall_id INTEGER NOT NULL REFERENCES halls(id),
	ord INTEGER NOT NULL,
	section TEXT NOT NULL,
	row_label TEXT NOT NULL,
	row_no INTEGER NOT NULL,
	col INTEGER NOT NULL,
	label TEXT NOT NULL,
	type TEXT NOT NULL,
	state TEXT NOT NULL,
	UNIQUE (hall_id, label)
);

CREATE TABLE events (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	name TEXT NOT NULL,
	kind TEXT NOT NULL,
	code TEXT NOT NULL,
	created_at INTEGER NOT NULL
);

CREATE TABLE sessions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	venue_id INTEGER NOT NULL REFERENCES venues(id),
	hall_id INTEGER NOT NULL REFERENCES halls(id),
	event_id INTEGER NOT NULL REFERENCES events(id),
	starts_at INTEGER NOT NULL,
	ends_at INTEGER NOT NULL,
	business_date TEXT NOT NULL,
	status TEXT NOT NULL,
	min_price_cents INTEGER NOT NULL,
	max_per_order INTEGER NOT NULL,
	reentry TEXT NOT NULL,
	quotas TEXT NOT NULL DEFAULT '[]',
	version INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL
);
CREATE INDEX sessions_hall_time ON sessions(hall_id, starts_at);
CREATE INDEX sessions_tenant ON sessions(tenant_id, venue_id, business_date);

CREATE TABLE price_tiers (
	id INTEGER PRIMARY KEY,
	session_id INTEGER NOT NULL REFERENCES sessions(id),
	ord INTEGER NOT NULL,
	name TEXT NOT NULL,
	section TEXT NOT NULL,
	seat_type TEXT NOT NULL,
	price_cents INTEGER NOT NULL
);
CREATE INDEX price_tiers_session ON price_tiers(session_id);

CREATE TABLE session_seats (
	session_id INTEGER NOT NULL,
	seat_id INTEGER NOT NULL,
	ord INTEGER NOT NULL,
	section TEXT NOT NULL,
	row_label TEXT NOT NULL,
	row_no INTEGER NOT NULL,
	col INTEGER NOT NULL,
	label TEXT NOT NULL,
	type TEXT NOT NULL,
	phys_state TEXT NOT NULL,
	category TEXT NOT NULL DEFAULT 'sellable',
	reserved_for TEXT NOT NULL DEFAULT '',
	reserved_until INTEGER,
	status TEXT NOT NULL DEFAULT 'available',
	hold_id INTEGER,
	hold_expires INTEGER,
	channel TEXT,
	order_id INTEGER,
	tier_id INTEGER NOT NULL DEFAULT 0,
	price_cents INTEGER NOT NULL DEFAULT 0,
	PRIMARY KEY (session_id, seat_id)
) WITHOUT ROWID;
CREATE INDEX session_seats_ord ON session_seats(session_id, ord);
CREATE INDEX session_seats_hold ON session_seats(hold_id) WHERE hold_id IS NOT NULL;
CREATE INDEX session_seats_expiry ON session_seats(hold_expires) WHERE status = 'held';
CREATE INDEX session_seats_channel ON session_seats(session_id, channel, status) WHERE channel IS NOT NULL;

CREATE TABLE channel_settings (
	tenant_id INTEGER NOT NULL,
	channel TEXT NOT NULL,
	hold_ttl_sec INTEGER NOT NULL,
	PRIMARY KEY (tenant_id, channel)
);

CREATE TABLE holds (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	channel TEXT NOT NULL,
	status TEXT NOT NULL,
	expires_at INTEGER NOT NULL,
	created_by INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX holds_active ON holds(expires_at) WHERE status = 'active';

CREATE TABLE hold_seats (
	hold_id INTEGER NOT NULL,
	seat_id INTEGER NOT NULL,
	label TEXT NOT NULL,
	tier_id INTEGER NOT NULL,
	price_cents INTEGER NOT NULL,
	PRIMARY KEY (hold_id, seat_id)
) WITHOUT ROWID;

CREATE TABLE orders (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	hold_id INTEGER NOT NULL,
	channel TEXT NOT NULL,
	status TEXT NOT NULL,
	total_cents INTEGER NOT NULL,
	pickup_code TEXT NOT NULL UNIQUE,
	order_qr TEXT NOT NULL,
	customer_name TEXT NOT NULL,
	customer_phone TEXT NOT NULL,
	payment_method TEXT NOT NULL DEFAULT '',
	payment_ref TEXT NOT NULL DEFAULT '',
	pay_by INTEGER NOT NULL,
	created_by INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	paid_at INTEGER
);
CREATE INDEX orders_pending ON orders(pay_by) WHERE status = 'pending_payment';
CREATE INDEX orders_session ON orders(session_id);

CREATE TABLE ticket_serials (
	venue_id INTEGER NOT NULL,
	business_date TEXT NOT NULL,
	last INTEGER NOT NULL,
	PRIMARY KEY (venue_id, business_date)
);

CREATE TABLE tickets (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	order_id INTEGER NOT NULL,
	seat_id INTEGER NOT NULL,
	seat_label TEXT NOT NULL,
	number TEXT NOT NULL UNIQUE,
	business_date TEXT NOT NULL,
	serial INTEGER NOT NULL,
	tier_id INTEGER NOT NULL,
	price_cents INTEGER NOT NULL,
	key_id INTEGER NOT NULL,
	qr TEXT NOT NULL,
	status TEXT NOT NULL,
	issued_at INTEGER NOT NULL
);
CREATE INDEX tickets_order ON tickets(order_id);
CREATE INDEX tickets_session ON tickets(session_id);

CREATE TABLE refunds (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	order_id INTEGER NOT NULL,
	ticket_ids TEXT NOT NULL,
	amount_cents INTEGER NOT NULL,
	reason TEXT NOT NULL,
	status TEXT NOT NULL,
	requested_by INTEGER NOT NULL,
	decided_by INTEGER NOT NULL DEFAULT 0,
	decision TEXT NOT NULL DEFAULT '',
	created_at INTEGER NOT NULL,
	decided_at INTEGER
);
CREATE INDEX refunds_status ON refunds(tenant_id, status);

CREATE TABLE revocations (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	ticket_id INTEGER NOT NULL,
	number TEXT NOT NULL,
	reason TEXT NOT NULL,
	at INTEGER NOT NULL
);
CREATE INDEX revocations_venue ON revocations(venue_id, id);

CREATE TABLE signing_keys (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	public_key BLOB NOT NULL,
	private_key BLOB NOT NULL,
	status TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	retired_at INTEGER,
	revoked_at INTEGER
);
CREATE INDEX signing_keys_tenant ON signing_keys(tenant_id);

CREATE TABLE users (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	username TEXT NOT NULL UNIQUE,
	display_name TEXT NOT NULL,
	role TEXT NOT NULL,
	venue_ids TEXT NOT NULL DEFAULT '[]',
	disabled INTEGER NOT NULL DEFAULT 0,
	password_hash TEXT NOT NULL,
	failed_logins INTEGER NOT NULL DEFAULT 0,
	last_failed_at INTEGER,
	generation INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL
);

-- Storage order (id) is the order entries were appended; seq is hashed.
CREATE TABLE audit_log (
	id INTEGER PRIMARY KEY AUTOINCREMENT,
	seq INTEGER NOT NULL,
	at TEXT NOT NULL,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	actor TEXT NOT NULL,
	action TEXT NOT NULL,
	object TEXT NOT NULL,
	before_json TEXT,
	after_json TEXT,
	reason TEXT NOT NULL,
	approver TEXT NOT NULL,
	prev_hash TEXT NOT NULL,
	hash TEXT NOT NULL
);
CREATE INDEX audit_tenant ON audit_log(tenant_id, id);
CREATE TABLE audit_head (id INTEGER PRIMARY KEY CHECK (id = 1), seq INTEGER NOT NULL, hash TEXT NOT NULL);
INSERT INTO audit_head (id, seq, hash) VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

CREATE TABLE outbox (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	payload TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
`,

	// 2: edge devices, the venue feed, device facts, admissions, alerts.
	`
CREATE TABLE devices (
	id TEXT PRIMARY KEY,
	tenant_id INTEGER NOT NULL REFERENCES tenants(id),
	venue_id INTEGER NOT NULL REFERENCES venues(id),
	role TEXT NOT NULL,
	name TEXT NOT NULL,
	zone TEXT NOT NULL,
	profile TEXT NOT NULL,
	status TEXT NOT NULL,
	code_hash TEXT UNIQUE,          -- sha256 of the unused enrollment code; NULL once used
	code_expires INTEGER,
	secret BLOB,                    -- set while active
	created_at INTEGER NOT NULL,
	enrolled_at INTEGER,
	revoked_at INTEGER,
	last_seen INTEGER,
	state TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX devices_venue ON devices(tenant_id, venue_id);

-- The venue feed: seq is contiguous per venue, assigned from feed_heads in
-- the transaction of the change.
CREATE TABLE feed_heads (venue_id INTEGER PRIMARY KEY, seq INTEGER NOT NULL);
CREATE TABLE feed (
	venue_id INTEGER NOT NULL,
	seq INTEGER NOT NULL,
	kind TEXT NOT NULL,
	data TEXT NOT NULL,
	at INTEGER NOT NULL,
	PRIMARY KEY (venue_id, seq)
) WITHOUT ROWID;

-- One row per device seq: the fact, or a receipt of an invalid or
-- duplicate one (status), so the cursor can pass it.
CREATE TABLE device_facts (
	device_id TEXT NOT NULL,
	seq INTEGER NOT NULL,
	fact_id TEXT NOT NULL,
	kind TEXT NOT NULL,
	at INTEGER NOT NULL,
	data TEXT,
	status TEXT NOT NULL,
	note TEXT NOT NULL,
	received_at INTEGER NOT NULL,
	PRIMARY KEY (device_id, seq)
) WITHOUT ROWID;
CREATE INDEX device_facts_id ON device_facts(device_id, fact_id) WHERE status = 'ok';
CREATE TABLE device_cursors (device_id TEXT PRIMARY KEY, acked INTEGER NOT NULL);

CREATE TABLE admissions (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	ticket_number TEXT NOT NULL,
	device_id TEXT NOT NULL,
	fact_id TEXT NOT NULL,
	direction TEXT NOT NULL,
	at INTEGER NOT NULL,
	offline INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX admissions_ticket ON admissions(session_id, ticket_number, at);

CREATE TABLE alerts (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	ticket_number TEXT NOT NULL,
	detail TEXT NOT NULL,
	at INTEGER NOT NULL
);
CREATE INDEX alerts_tenant ON alerts(tenant_id, venue_id, id);
`,
	// 3: gate zones a session admits through ([] = every gate of the venue).
	`ALTER TABLE sessions ADD COLUMN zones TEXT NOT NULL DEFAULT '[]';`,
	// 4: RFID cards bound to tickets (one valid ticket per card per venue).
	`ALTER TABLE tickets ADD COLUMN card TEXT;
CREATE UNIQUE INDEX tickets_card ON tickets(venue_id, card) WHERE card IS NOT NULL AND status = 'valid';`,
	// 5: the dashboard. A ticket's first print and first entry are kept on
	// the ticket as the facts arrive (filled here from the facts so far),
	// so one pass over a session's tickets counts sold, printed and
	// admitted; the indexes cover the dashboard's grouped counts: tickets
	// per session, sales by minute, entries per gate, print failures.
	`ALTER TABLE tickets ADD COLUMN printed_at INTEGER;
ALTER TABLE tickets ADD COLUMN admitted_at INTEGER;
UPDATE tickets SET printed_at = (SELECT MIN(f.at) FROM device_facts f JOIN devices d ON d.id = f.device_id
	WHERE d.venue_id = tickets.venue_id AND f.kind = 'print' AND f.status = 'ok' AND json_extract(f.data, '$.number') = tickets.number);
UPDATE tickets SET admitted_at = (SELECT MIN(a.at) FROM admissions a
	WHERE a.session_id = tickets.session_id AND a.ticket_number = tickets.number AND a.direction = 'in');
CREATE INDEX tickets_session_counts ON tickets(session_id, status, printed_at, admitted_at);
CREATE INDEX tickets_venue_issued ON tickets(venue_id, issued_at);
CREATE INDEX admissions_gate_counts ON admissions(venue_id, session_id, direction, device_id, ticket_number);
CREATE INDEX device_facts_kind ON device_facts(kind, at) WHERE status = 'ok';`,
	// 6: the seat change log that keeps live seat maps current. A trigger
	// records every committed change of a session seat's availability code
	// (the rule of sales.SeatCode, which must match) or price tier, so every
	// writer, in every process, logs alike. Its rowid numbers the changes in
	// commit order without gaps (one writer at a time; a rolled-back row's id
	// is reused), which is what readers follow and what versions are.
	// Lapsed reservations are released by the sweeper, as holds are, so
	// the log need not know the time.
	`CREATE TABLE seat_log (
	id INTEGER PRIMARY KEY,
	session_id INTEGER NOT NULL,
	ord INTEGER NOT NULL,
	code TEXT NOT NULL,
	tier_id INTEGER NOT NULL
);
CREATE TRIGGER seat_log_change AFTER UPDATE OF phys_state, status, category, tier_id ON session_seats
WHEN (CASE WHEN old.phys_state NOT IN ('ok', 'obstructed') THEN 'X' WHEN old.status = 'sold' THEN 'S' WHEN old.status = 'held' THEN 'H' WHEN old.category = 'held_back' THEN 'B' WHEN old.category = 'non_sale' THEN 'N' WHEN old.category = 'reserved' THEN 'R' WHEN old.tier_id = 0 THEN '-' ELSE 'A' END) IS NOT (CASE WHEN new.phys_state NOT IN ('ok', 'obstructed') THEN 'X' WHEN new.status = 'sold' THEN 'S' WHEN new.status = 'held' THEN 'H' WHEN new.category = 'held_back' THEN 'B' WHEN new.category = 'non_sale' THEN 'N' WHEN new.category = 'reserved' THEN 'R' WHEN new.tier_id = 0 THEN '-' ELSE 'A' END) OR old.tier_id IS NOT new.tier_id
BEGIN
	INSERT INTO seat_log (session_id, ord, code, tier_id) VALUES (new.session_id, new.ord, CASE WHEN new.phys_state NOT IN ('ok', 'obstructed') THEN 'X' WHEN new.status = 'sold' THEN 'S' WHEN new.status = 'held' THEN 'H' WHEN new.category = 'held_back' THEN 'B' WHEN new.category = 'non_sale' THEN 'N' WHEN new.category = 'reserved' THEN 'R' WHEN new.tier_id = 0 THEN '-' ELSE 'A' END, new.tier_id);
END;
CREATE INDEX session_seats_reserved ON session_seats(reserved_until) WHERE category = 'reserved';`,
	// 7: tickets_session_counts (session_id, status, …) serves every query
	// tickets_session did; one index fewer to write per ticket sold.
	`DROP INDEX tickets_session;`,
	// 8: the payment attempt that paid an order, so a client that retries
	// the same attempt after a timeout is told of the payment it made.
	`ALTER TABLE orders ADD COLUMN payment_key TEXT NOT NULL DEFAULT '';`,
	// 9: the national data platform reporter's queue (cloud/report): each
	// report from the transaction that planned it from the outbox until the
	// platform has it, and how far the outbox is planned. A serial is
	// planned once however often its outbox entry is read.
	`CREATE TABLE reports (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	serial TEXT NOT NULL UNIQUE,
	interface TEXT NOT NULL,
	key TEXT NOT NULL,
	body TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	state TEXT NOT NULL DEFAULT 'pending',
	sends INTEGER NOT NULL DEFAULT 0,
	failures INTEGER NOT NULL DEFAULT 0,
	next_at INTEGER NOT NULL,
	last_error TEXT NOT NULL DEFAULT '',
	answer TEXT NOT NULL DEFAULT '',
	delivered_at INTEGER
);
CREATE INDEX reports_pending ON reports(id, next_at) WHERE state = 'pending';
CREATE INDEX reports_key ON reports(key, id) WHERE state = 'pending';
CREATE TABLE report_cursor (id INTEGER PRIMARY KEY CHECK (id = 1), outbox_id INTEGER NOT NULL);
INSERT INTO report_cursor (id, outbox_id) VALUES (1, 0);`,
	// 10: a report's sealed message, signed once when planned and sent as
	// it is, however often (empty: sealed when first sent).
	`ALTER TABLE reports ADD COLUMN message TEXT NOT NULL DEFAULT '';`,
	// 11: the venues' business days whose daily statistics (§9.2.6) are
	// planned, so each is reported once.
	`CREATE TABLE report_days (venue_id INTEGER NOT NULL, business_date TEXT NOT NULL, planned_at INTEGER NOT NULL, PRIMARY KEY (venue_id, business_date));`,
	// 12: a venue's business status as the national data platform knows it
	// (营业状态, §9.2.3): trial, open or closed.
	`ALTER TABLE venues ADD COLUMN business_status TEXT NOT NULL DEFAULT 'open';`,
	// 13: 补登, late sales and refunds (cloud/report): proposed, decided by
	// a second person, applied for at the platform when older than a week,
	// released as raw data; restated says the day's statistics followed.
	`CREATE TABLE makeups (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	business_date TEXT NOT NULL,
	lines TEXT NOT NULL,
	amount_cents INTEGER NOT NULL,
	evidence TEXT NOT NULL,
	state TEXT NOT NULL,
	proposed_by_id INTEGER NOT NULL,
	proposed_by TEXT NOT NULL,
	proposed_at INTEGER NOT NULL,
	decided_by TEXT NOT NULL DEFAULT '',
	decided_at INTEGER,
	application TEXT UNIQUE,
	reason TEXT NOT NULL DEFAULT '',
	released_at INTEGER,
	restated INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX makeups_session ON makeups(session_id, kind);
CREATE INDEX makeups_day ON makeups(venue_id, business_date) WHERE state = 'released';
CREATE INDEX makeups_unrestated ON makeups(id) WHERE state = 'released' AND restated = 0;`,
	// 14: three-way reconciliation (cloud/report): the latest of each
	// venue's business day, and the raw records of a day found by index.
	`CREATE TABLE report_reconciliations (
	venue_id INTEGER NOT NULL,
	business_date TEXT NOT NULL,
	tenant_id INTEGER NOT NULL,
	at INTEGER NOT NULL,
	body TEXT NOT NULL,
	PRIMARY KEY (venue_id, business_date)
);
CREATE INDEX reports_day ON reports(venue_id, json_extract(body, '$.business_date')) WHERE interface = 'tickets';
CREATE INDEX reports_refused ON reports(venue_id) WHERE state = 'refused';`,
	// 15: a venue's dashboard asks for its oldest waiting report every few
	// seconds; during an outage the pending reports are the whole backlog.
	`CREATE INDEX reports_venue_pending ON reports(venue_id, created_at) WHERE state = 'pending';`,
	// 16: leases: which of the cloud processes on this store does a job
	// that must have one doer (the national data platform's sender).
	`CREATE TABLE leases (name TEXT PRIMARY KEY, holder TEXT NOT NULL, until INTEGER NOT NULL);`,
	// 17: the password policy: the hashes of a user's last passwords (no
	// reuse) and when the password was last set (expiry).
	`ALTER TABLE users ADD COLUMN password_history TEXT NOT NULL DEFAULT '[]';
ALTER TABLE users ADD COLUMN password_changed_at INTEGER;`,
	// 18: login sessions (idle timeout, logout, who is online), keyed by
	// a hash of the token; the request that wrote each audit entry and
	// feed event.
	`CREATE TABLE login_sessions (
	token_hash TEXT PRIMARY KEY,
	user_id INTEGER NOT NULL,
	tenant_id INTEGER NOT NULL,
	generation INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	ended_at INTEGER,
	end_reason TEXT NOT NULL DEFAULT ''
);
CREATE INDEX login_sessions_live ON login_sessions(last_seen_at) WHERE ended_at IS NULL;
CREATE INDEX login_sessions_user ON login_sessions(user_id) WHERE ended_at IS NULL;
ALTER TABLE audit_log ADD COLUMN request_id TEXT NOT NULL DEFAULT '';
ALTER TABLE feed ADD COLUMN request_id TEXT NOT NULL DEFAULT '';`,
	// 19: customers' names and phones are sealed when a master key is
	// configured; a blind index of the name finds an order by name.
	`ALTER TABLE orders ADD COLUMN customer_index TEXT NOT NULL DEFAULT '';
CREATE INDEX orders_customer_index ON orders(tenant_id, customer_index) WHERE customer_index <> '';`,
	// 20: real-name events: the holder named for each ticket (by a keyed
	// hash of the document; one per session), and each order's holders.
	`ALTER TABLE events ADD COLUMN real_name INTEGER NOT NULL DEFAULT 0;
ALTER TABLE events ADD COLUMN holder_limit INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN holders TEXT NOT NULL DEFAULT '[]';
CREATE TABLE ticket_holders (
	ticket_id INTEGER PRIMARY KEY,
	session_id INTEGER NOT NULL,
	event_id INTEGER NOT NULL,
	id_key TEXT NOT NULL,
	doc_type TEXT NOT NULL,
	doc_masked TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX ticket_holders_session ON ticket_holders(session_id, id_key);
CREATE INDEX ticket_holders_event ON ticket_holders(event_id, id_key);`,
	// 21: presales by lottery: a session's price level offered to
	// applicants (one per person, by a keyed hash of the document), the
	// draw's sealed seed and its published result.
	`CREATE TABLE presales (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	tier_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	tickets INTEGER NOT NULL,
	per_person INTEGER NOT NULL,
	price_cents INTEGER NOT NULL,
	named INTEGER NOT NULL,
	opens_at INTEGER NOT NULL,
	closes_at INTEGER NOT NULL,
	commitment TEXT NOT NULL,
	state TEXT NOT NULL,
	list_hash TEXT NOT NULL,
	seed TEXT NOT NULL,
	result TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	seed_sealed TEXT NOT NULL
);
CREATE INDEX presales_tenant ON presales(tenant_id, id);
CREATE INDEX presales_state ON presales(state);
CREATE TABLE presale_applications (
	id INTEGER PRIMARY KEY,
	presale_id INTEGER NOT NULL,
	ref TEXT NOT NULL UNIQUE,
	person_key TEXT NOT NULL,
	doc_masked TEXT NOT NULL,
	name TEXT NOT NULL,
	quantity INTEGER NOT NULL,
	holders TEXT NOT NULL,
	payment_key TEXT NOT NULL,
	auth_ref TEXT NOT NULL,
	state TEXT NOT NULL,
	in_draw INTEGER NOT NULL,
	draw_rank INTEGER NOT NULL,
	reason TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	updated_at INTEGER NOT NULL,
	order_id INTEGER NOT NULL
);
CREATE UNIQUE INDEX presale_applications_person ON presale_applications(presale_id, person_key);
CREATE UNIQUE INDEX orders_prepaid_key ON orders(payment_key) WHERE payment_method = 'presale';`,
	// 22: messages to the public (SMS, WeChat, the site's inbox), one per
	// key, and what presales need to send them.
	`CREATE TABLE messages (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	channel TEXT NOT NULL,
	recipient TEXT NOT NULL,
	template TEXT NOT NULL,
	lang TEXT NOT NULL,
	body TEXT NOT NULL,
	msg_key TEXT NOT NULL UNIQUE,
	state TEXT NOT NULL,
	attempts INTEGER NOT NULL,
	last_error TEXT NOT NULL,
	provider_ref TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	next_at INTEGER NOT NULL,
	sent_at INTEGER
);
CREATE INDEX messages_due ON messages(state, next_at);
CREATE INDEX messages_tenant ON messages(tenant_id, id);
ALTER TABLE presales ADD COLUMN notified INTEGER NOT NULL DEFAULT 0;
ALTER TABLE presale_applications ADD COLUMN phone TEXT NOT NULL DEFAULT '';
ALTER TABLE presale_applications ADD COLUMN lang TEXT NOT NULL DEFAULT 'zh';`,
	// 23: the public's accounts (a phone proved by a code, a password),
	// the identities the shop verified (one per document), the related
	// people of an account, the codes sent, and the orders an account made
	// at the shop.
	`CREATE TABLE accounts (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	phone TEXT NOT NULL,
	phone_key TEXT NOT NULL UNIQUE,
	password TEXT NOT NULL,
	identity_id INTEGER NOT NULL,
	failures INTEGER NOT NULL,
	last_fail INTEGER,
	generation INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE TABLE identities (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	id_key TEXT NOT NULL,
	doc_type TEXT NOT NULL,
	doc_masked TEXT NOT NULL,
	name TEXT NOT NULL,
	state TEXT NOT NULL,
	reason TEXT NOT NULL,
	checked_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	checked_at INTEGER
);
CREATE UNIQUE INDEX identities_key ON identities(tenant_id, id_key);
CREATE INDEX identities_state ON identities(tenant_id, state);
CREATE TABLE account_holders (
	id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL,
	identity_id INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX account_holders_pair ON account_holders(account_id, identity_id);
CREATE TABLE sms_codes (
	phone_key TEXT PRIMARY KEY,
	hash TEXT NOT NULL,
	sent_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	attempts INTEGER NOT NULL
);
CREATE TABLE account_orders (
	order_id INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX account_orders_account ON account_orders(account_id, order_id);`,
	// 24: real-name gates: each ticket carries its holder's document hash
	// under the tenant's holder key (the gate's cache holds it), and each
	// verified identity keeps its own, for the shop's tickets.
	`ALTER TABLE tickets ADD COLUMN holder TEXT NOT NULL DEFAULT '';
ALTER TABLE identities ADD COLUMN gate_tag TEXT NOT NULL DEFAULT '';`,
	// 25: refunds at the shop: an event's graded-fee rule, and the fee a
	// refund keeps.
	`ALTER TABLE events ADD COLUMN refund_rule TEXT NOT NULL DEFAULT '';
ALTER TABLE refunds ADD COLUMN fee_cents INTEGER NOT NULL DEFAULT 0;`,
	// 26: a presale's seat choice window for its winners.
	`ALTER TABLE presales ADD COLUMN choice_until INTEGER NOT NULL DEFAULT 0;`,
	// 27: a session's public on-sale time, and the accounts that asked to
	// be told when it opens.
	`ALTER TABLE sessions ADD COLUMN on_sale_at INTEGER NOT NULL DEFAULT 0;
CREATE TABLE sale_alerts (
	session_id INTEGER NOT NULL,
	account_id INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	PRIMARY KEY (session_id, account_id)
);`,
	// 28: the channels a presale takes applications through.
	`ALTER TABLE presales ADD COLUMN channels TEXT NOT NULL DEFAULT 'page,shop';`,
	// 29: when a refund's money went back (refunds approved before were
	// paid back at approval).
	`ALTER TABLE refunds ADD COLUMN paid_back INTEGER NOT NULL DEFAULT 0;
UPDATE refunds SET paid_back = COALESCE(decided_at, created_at) WHERE status = 'approved';
CREATE INDEX refunds_to_pay_back ON refunds(id) WHERE status = 'approved' AND paid_back = 0;
CREATE INDEX refunds_order ON refunds(order_id);`,
	// 30: agencies: who sold (a hold's, a seat's and an order's party, for
	// the party's quotas and its settlement), one order per agency
	// idempotency key, the agencies and their API keys (hashed).
	`ALTER TABLE holds ADD COLUMN party TEXT NOT NULL DEFAULT '';
ALTER TABLE holds ADD COLUMN prepaid_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX holds_prepaid_key ON holds(prepaid_key) WHERE status = 'active' AND prepaid_key <> '';
ALTER TABLE session_seats ADD COLUMN party TEXT NOT NULL DEFAULT '';
ALTER TABLE orders ADD COLUMN party TEXT NOT NULL DEFAULT '';
CREATE INDEX session_seats_party ON session_seats(session_id, party) WHERE party <> '';
CREATE INDEX orders_party ON orders(party, paid_at) WHERE party <> '';
DROP INDEX orders_prepaid_key;
CREATE UNIQUE INDEX orders_prepaid_key ON orders(payment_key) WHERE payment_method IN ('presale', 'agency');
CREATE TABLE agencies (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	enabled INTEGER NOT NULL,
	commission_bp INTEGER NOT NULL,
	service_fee_cents INTEGER NOT NULL,
	rate_per_second INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX agencies_code ON agencies(tenant_id, code);
CREATE TABLE agency_keys (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	agency_id INTEGER NOT NULL,
	prefix TEXT NOT NULL UNIQUE,
	hash TEXT NOT NULL,
	label TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	ends_at INTEGER
);
CREATE INDEX agency_keys_agency ON agency_keys(agency_id, id);`,
	// 31: settlement runs with partners, their lines (each money fact
	// settled once), and the differences a statement showed.
	`CREATE TABLE settlement_runs (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	party TEXT NOT NULL,
	name TEXT NOT NULL,
	from_at INTEGER NOT NULL,
	to_at INTEGER NOT NULL,
	rule TEXT NOT NULL,
	state TEXT NOT NULL,
	scheduled INTEGER NOT NULL,
	totals TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL,
	closed_by TEXT NOT NULL,
	closed_at INTEGER
);
CREATE INDEX settlement_runs_party ON settlement_runs(tenant_id, party, to_at);
CREATE TABLE settlement_lines (
	run_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	order_id INTEGER NOT NULL,
	refund_id INTEGER NOT NULL,
	reference TEXT NOT NULL,
	tickets INTEGER NOT NULL,
	amount_cents INTEGER NOT NULL,
	at INTEGER NOT NULL,
	gross_cents INTEGER NOT NULL,
	commission_cents INTEGER NOT NULL,
	fee_cents INTEGER NOT NULL,
	net_cents INTEGER NOT NULL
);
CREATE INDEX settlement_lines_run ON settlement_lines(run_id);
CREATE UNIQUE INDEX settlement_lines_fact ON settlement_lines(kind, order_id, refund_id);
CREATE INDEX refunds_decided ON refunds(tenant_id, decided_at) WHERE status = 'approved';
CREATE TABLE settlement_diffs (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	run_id INTEGER NOT NULL,
	order_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	ours_cents INTEGER NOT NULL,
	theirs_cents INTEGER NOT NULL,
	note TEXT NOT NULL,
	resolved_by TEXT NOT NULL,
	resolved_at INTEGER
);
CREATE INDEX settlement_diffs_run ON settlement_diffs(run_id, id);`,
	// 32: passes: bundles of several sessions' orders sold and refunded
	// together, their tickets and refund requests, and the pass products.
	`CREATE TABLE bundles (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	kind TEXT NOT NULL,
	ref INTEGER NOT NULL,
	code TEXT NOT NULL,
	status TEXT NOT NULL,
	total_cents INTEGER NOT NULL,
	order_ids TEXT NOT NULL,
	customer_name TEXT NOT NULL,
	created_by INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX bundles_ref ON bundles(tenant_id, kind, ref, status);
ALTER TABLE tickets ADD COLUMN bundle_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE refunds ADD COLUMN bundle_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX tickets_bundle ON tickets(bundle_id) WHERE bundle_id <> 0;
CREATE INDEX refunds_bundle ON refunds(bundle_id) WHERE bundle_id <> 0;
CREATE TABLE pass_products (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	name TEXT NOT NULL,
	sessions TEXT NOT NULL,
	seated INTEGER NOT NULL,
	price_cents INTEGER NOT NULL,
	tier_prices TEXT NOT NULL,
	stock INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX pass_products_tenant ON pass_products(tenant_id, id);`,
	// 33: contract customers, their representatives and orders; their
	// orders paid outside are found by key like presales' and agencies'.
	`CREATE TABLE contract_customers (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	enabled INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX contract_customers_code ON contract_customers(tenant_id, code);
CREATE TABLE contract_reps (
	user_id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL
);
CREATE TABLE contract_orders (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL,
	session_id INTEGER NOT NULL,
	tier_id INTEGER NOT NULL,
	quantity INTEGER NOT NULL,
	state TEXT NOT NULL,
	deadline INTEGER NOT NULL,
	hold_id INTEGER NOT NULL,
	seat_ids TEXT NOT NULL,
	holders TEXT NOT NULL,
	payment_ref TEXT NOT NULL,
	sale_id INTEGER NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX contract_orders_session ON contract_orders(session_id, tier_id);
CREATE INDEX contract_orders_customer ON contract_orders(tenant_id, customer_id, id);
DROP INDEX orders_prepaid_key;
CREATE UNIQUE INDEX orders_prepaid_key ON orders(payment_key) WHERE payment_method IN ('presale', 'agency', 'contract');`,
	// 34: the ticket inventory: every print of a ticket with its time (the
	// first was all that was kept), and commemorative production.
	`CREATE TABLE ticket_prints (
	session_id INTEGER NOT NULL,
	number TEXT NOT NULL,
	at INTEGER NOT NULL
);
CREATE INDEX ticket_prints_session ON ticket_prints(session_id, number);
INSERT INTO ticket_prints (session_id, number, at) SELECT session_id, number, printed_at FROM tickets WHERE printed_at IS NOT NULL;
ALTER TABLE tickets ADD COLUMN production TEXT NOT NULL DEFAULT 'electronic';
ALTER TABLE tickets ADD COLUMN produced_at INTEGER;
CREATE INDEX revocations_session ON revocations(session_id, number);`,
	// 35: refunds in special cases: paper tickets come back before the
	// money; an event's refund policy; a session postponed.
	`ALTER TABLE tickets ADD COLUMN returned_at INTEGER;
ALTER TABLE events ADD COLUMN refund_policy TEXT NOT NULL DEFAULT '';
ALTER TABLE sessions ADD COLUMN postponed INTEGER NOT NULL DEFAULT 0;`,
	// 36: outlets (booths, agency shops) of a channel, the staff of each,
	// and the outlet of every sale.
	`CREATE TABLE outlets (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	channel TEXT NOT NULL,
	code TEXT NOT NULL,
	name TEXT NOT NULL,
	enabled INTEGER NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX outlets_code ON outlets(tenant_id, code);
ALTER TABLE users ADD COLUMN outlet_id INTEGER NOT NULL DEFAULT 0;
ALTER TABLE orders ADD COLUMN outlet_id INTEGER NOT NULL DEFAULT 0;
CREATE INDEX orders_outlet ON orders(outlet_id, paid_at) WHERE outlet_id <> 0;`,
	// 37: a booth finds a holder's orders by the document it checked.
	`CREATE INDEX ticket_holders_key ON ticket_holders(id_key);`,
	// 38: the organiser's and the printing house's settlement rules,
	// commemorative tickets found by when they were made, and each money
	// fact settled once per party (the organiser settles every sale that an
	// agency or a booth settles too).
	`CREATE TABLE settlement_rules (
	tenant_id INTEGER NOT NULL,
	party TEXT NOT NULL,
	name TEXT NOT NULL,
	rule TEXT NOT NULL,
	PRIMARY KEY (tenant_id, party)
);
CREATE INDEX tickets_produced ON tickets(tenant_id, produced_at) WHERE produced_at IS NOT NULL;
ALTER TABLE settlement_lines ADD COLUMN party TEXT NOT NULL DEFAULT '';
UPDATE settlement_lines SET party = (SELECT party FROM settlement_runs WHERE settlement_runs.id = settlement_lines.run_id);
DROP INDEX settlement_lines_fact;
CREATE UNIQUE INDEX settlement_lines_fact ON settlement_lines(party, kind, order_id, refund_id);`,
	// 39: the organiser's notices to contract customers (customer 0: to
	// all of them).
	`CREATE TABLE contract_notices (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	customer_id INTEGER NOT NULL,
	title TEXT NOT NULL,
	body TEXT NOT NULL,
	created_by TEXT NOT NULL,
	created_at INTEGER NOT NULL
);
CREATE INDEX contract_notices_customer ON contract_notices(tenant_id, customer_id, id);`,
	// 40: the daily and weekly inventory exports as taken, with their
	// files and their comparison with the channels' sales.
	`CREATE TABLE inventory_exports (
	id INTEGER PRIMARY KEY,
	tenant_id INTEGER NOT NULL,
	venue_id INTEGER NOT NULL,
	period TEXT NOT NULL,
	as_of INTEGER NOT NULL,
	sha256 TEXT NOT NULL,
	bytes INTEGER NOT NULL,
	seats INTEGER NOT NULL,
	sold INTEGER NOT NULL,
	channels TEXT NOT NULL,
	anomalies TEXT NOT NULL,
	taken_at INTEGER NOT NULL,
	body BLOB NOT NULL
);
CREATE UNIQUE INDEX inventory_exports_moment ON inventory_exports(venue_id, period, as_of);`,
	// 41: an agency's refund request is asked once per idempotency key.
	`ALTER TABLE refunds ADD COLUMN request_key TEXT NOT NULL DEFAULT '';
CREATE UNIQUE INDEX refunds_request_key ON refunds(tenant_id, request_key) WHERE request_key <> '';`,
	// 42: the order a card attempt paid, found by its attempt key: a card
	// paid with the order is charged before the order exists, and a
	// resent attempt is answered with the order it made.
	`CREATE INDEX orders_card_key ON orders(payment_key) WHERE payment_method = 'card';`,
	// 43: card attempts whose charge was given back. A provider answers
	// a spent key as it first did (approved), so only this table tells a
	// resent attempt that its money went back.
	`CREATE TABLE voided_attempts (attempt TEXT PRIMARY KEY, voided_at INTEGER NOT NULL) WITHOUT ROWID;`,
}
