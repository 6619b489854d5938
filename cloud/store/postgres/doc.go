package postgres

// How the sales.Store contract maps onto PostgreSQL. The SQL is the
// SQLite store's (cloud/store/sqlstore); what SQLite gets from having one
// writer, PostgreSQL gets from one row lock.
//
//   - Writes: each process's committer runs the transactions waiting
//     together in one READ COMMITTED transaction, each in a savepoint,
//     and its first statement locks the audit chain's head row (FOR
//     UPDATE) until commit. Processes take turns there, so every
//     sequence a device or an auditor follows advances in commit order
//     without gaps: the audit chain, each venue's feed (feed_heads, read
//     once per batch under the lock), ticket serials (ticket_serials),
//     device fact cursors, and the seat change log (migration 0002
//     numbers it last-plus-one, as SQLite's rowids). Every decision is
//     still a conditional statement (a hold is one UPDATE … WHERE status =
//     'available'), so nothing is decided on a stale read. No
//     serialization failure can arise at this isolation, and no deadlock:
//     every writer takes the same first lock.
//   - The cost is that writes of all processes are serial, as on SQLite;
//     what several replicas add is readers, HTTP, seat maps, devices and
//     broker sessions on more CPUs, and a store that survives a replica.
//     A narrower lock (per venue) needs the audit chain split per venue
//     first.
//   - A connection the server drops mid-transaction fails that batch's
//     transactions (their callers hear the error) and commits none of it;
//     the pool opens a new connection for the next.
//   - Reads: a pool of connections; View is one REPEATABLE READ snapshot.
//     Processes learn of each other's seat changes from the seat change
//     log, which every process polls (cloud/server), and caches of keys
//     and principals expire within their stated bounds.
//
// Measured (admit bench cluster -db, this 2-core machine, 2026-12-04): a
// sale (hold, confirm, pay) is about a dozen round trips under the lock:
// a savepoint and two or three statements per transaction (a hold's seats
// and a confirmation are one writable-CTE statement each, Dialect.
// WritableCTE), plus its share of the batch's own. PostgreSQL's statement
// durations (log_min_duration_statement) add up to about 1 ms a sale, the
// seat updates with their change-log trigger the most (0.15–0.28 ms each);
// a round trip costs 58 µs on an idle machine and about 200 µs under the
// bench's load, and a batch waits ~17 ms for the lock. So three replicas
// sell ~290 orders/s against ~1,500 on SQLite. The whole machine then
// spends ~5 ms of CPU per order (the bench's CPU line: PostgreSQL ~2.2,
// the replicas ~2.4, mostly per round trip: syscalls, wakeups, protocol),
// with 28% of its two cores idle: taking the lock late could use that,
// and no more, so it must come with fewer round trips per sale. Fewer round trips help
// little more: the next step takes the lock late: jobs run their conditional
// statements concurrently across processes (row locks decide seat races),
// and only the batch's end takes the lock to number and write what must
// be ordered: audit entries sealed then, feed events numbered then
// (AppendFeed would stop returning a seq), the seat change log staged by
// the trigger and numbered then, session versions and heads moved, and
// commit. What that needs first: a whole-batch retry on 40P01 (serial
// blocks and admin writes can lock rows in opposite orders across
// batches), so every Update body must be safe to run twice (no payment
// call or outside effect inside it); device ingest locking its cursor row
// (FOR UPDATE) since a shared subscription can hand one device's uploads
// to two replicas at once; session versions kept where only the lock
// holder writes; and, above all, the sales rules that read then write
// (channel quotas and per-customer limits count sold seats before
// holding, refunds and 补登 check a state before moving it, login
// failures count up) made conditional or row-locked, since without the
// one writer two processes could both pass the same check.
//
// Measured again (2026-12-04, perf and pg_stat_statements during the
// bench, 128–141 orders/s): each batch held the lock 25–45 ms for about
// ten jobs (three a sale in that bench: hold, confirm, pay), some 46
// round trips, about 0.7 ms each on the loaded machine against 86 µs
// idle (pgbench -S, one client: 74 µs of CPU a round trip, both sides).
// PostgreSQL's statements add up to 2.3 ms of execution a sale, planning
// almost none; the seat updates with their change-log trigger take
// 0.5–0.75 ms each. A third of PostgreSQL's CPU and two fifths of a
// replica's are the kernel's, most of it the hypervisor's interrupt
// toggling around each wakeup (pvm_irq_enable): on this virtual machine
// a round trip costs far more than on bare metal. Writing a batch's end
// (queued rows, heads, versions, the read of its seat changes) as one
// writable-CTE statement saved five round trips but cost more to plan,
// unprepared, than they did (BenchmarkHoldConfirmPay in this package:
// 2.2–2.6 ms/op against 1.96–2.08), so the end stays a statement a step.
//
// What PostgreSQL alone can take (floor/floor.sh, 2026-12-04): pgbench,
// a C client with prepared statements and no HTTP, sending a sale's
// statements three sales a transaction, sold 304–444 sales/s with the
// lock first, the machine half idle, and 860–878 with the lock late (the
// seat change log numbered by a sequence), the machine 87–89% busy: 2.0–
// 2.1 ms of the machine's CPU a sale in PostgreSQL and its client, of
// which the change log's trigger is about a sixth (disabled in one run:
// 2.33 against 1.95 ms). The lock-late design would double what the lock
// allows, but on two cores PostgreSQL's own work would then bound the
// replicas below half of what one SQLite process sells.
