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
