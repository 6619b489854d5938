// Package wire is the contract between a ticketing system and the national
// film data platform (国家数据平台): the interfaces of
// cloud-ticketing-requirements §9.2 and §9.3, as JSON over HTTPS POST,
// each message signed with the key the platform issued to the system
// (§9.1.2). Both sides import it: the cloud's reporter and
// cmd/platform-sim. It imports no HTTP, SQL or storage package.
//
// A message is an Envelope: who sends it (the system's code), which
// interface, its serial number (流水号, unique per system and never
// reused: a resend after a lost answer carries the same serial and the
// platform stores it once), when it was sent, the body as raw JSON, and
// the signature over all of these. The platform answers every message
// with an Answer: success (possibly a duplicate), or a failure and its
// reason.
//
// Field names are English; each body's doc names the §9 fields it
// carries. Money is in fen (cents), times are RFC 3339, business dates are
// YYYY-MM-DD in the cinema's time zone.
package wire
