package postgres

// How the sales.Store contract maps onto PostgreSQL: the plan for the steps
// after the schema. What SQLite gets from having one writer, PostgreSQL
// gets from a row lock held until commit.
//
//   - Transactions: Update is one READ COMMITTED transaction per call (no
//     group commit of our own: the server already batches WAL flushes of
//     concurrent commits). Every write that decides something is
//     conditional, as in SQLite (a hold is one UPDATE … WHERE status =
//     'available' …), so READ COMMITTED suffices. A serialization failure
//     (40001) or a deadlock (40P01) is retried a few times with the same
//     function; a dropped connection fails the call, never half-commits.
//   - Venue feed sequences: UPDATE feed_heads SET seq = seq + n … RETURNING
//     inside the transaction. The row lock makes a venue's writers take
//     turns, so sequences are contiguous and in commit order per venue,
//     which is what devices follow.
//   - Seat change log: SQLite numbers changes by rowid in commit order. Here
//     an identity column does not follow commit order, so the trigger also
//     bumps a per-session version row (locked until commit) and logs the
//     change under it; readers follow (session, version), and a process
//     learns of another's commits by LISTEN/NOTIFY, polling as a fallback.
//   - Ticket serials: the ticket_serials row of a venue's business day,
//     updated in the sale's transaction (contiguous), or reserved in
//     blocks as today (unique, with gaps): to be decided with the cost of
//     signing inside the transaction measured.
//   - Device fact ingest: the device_cursors row, locked per device.
//   - Audit chain: audit_head is one row every audited write locks; under
//     several writers it is the hot spot to measure first.
//   - Leases (the platform's sender): the same conditional upsert as SQLite.
