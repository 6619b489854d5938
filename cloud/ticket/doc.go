// Package ticket defines Admit's signed ticket QR payloads and ticket
// numbers.
//
// The cloud box office signs a [Payload] with a tenant's [SigningKey] when it
// issues a ticket ([Sign]); edge gates verify the QR text offline against the
// tenant's trusted, non-revoked [PublicKeys] ([Verify]). The 22-digit ticket
// number ([FormatNumber], [Payload.Number]) is what is printed on the ticket
// and reported to the regulator.
//
// This is pure domain code with no I/O. It must only depend on the standard
// library's encoding, crypto and time packages: it must NOT import HTTP, SQL,
// MQTT or any other transport or storage package, because it is compiled into
// gate firmware as well as the cloud.
//
// # Ticket number
//
// A ticket number is exactly 22 ASCII digits:
//
//	offset  len  field
//	0       8    venue code (the regulator's 8-digit venue/cinema code)
//	8       6    business date as YYMMDD; the year is 2000+YY
//	14      7    serial, zero-padded, 0000001..9999999
//	21      1    Luhn check digit over digits 0..20
//
// The check digit is the standard Luhn (ISO/IEC 7812-1, "mod 10") digit:
// walking digits 20 down to 0, double digits 20, 18, 16, ... (the rightmost
// one first), subtract 9 from any double greater than 9, add everything up
// and take (10 - sum mod 10) mod 10. Equivalently the whole 22-digit number
// passes the ordinary Luhn check.
//
// Numbers are unique across the system because venue codes are nationally
// unique and the cloud allocates serials per venue per business date.
// [ParseNumber] rejects wrong lengths, non-digits, a bad check digit,
// impossible dates and serial 0. Example: venue 11010001, business date
// 2025-03-14, serial 42 gives 1101000125031400000429.
//
// # QR payload, version 1
//
// The QR text is
//
//	"AD1:" + Base45(message)
//
// where Base45 is RFC 9285 with the alphabet (values 0..44, note the space)
//
//	0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:
//
// Every 2 bytes [a b] become n = a*256+b written as 3 characters c d e with
// n = c + 45*d + 2025*e; a final odd byte n becomes 2 characters c d with
// n = c + 45*d. The whole
// text therefore uses only QR alphanumeric-mode characters, so it fits a
// small, low-density QR code. Note that the alphabet contains the space
// character: readers must not trim or collapse spaces (only strip a
// scanner's trailing CR/LF). Decoders reject characters outside the alphabet
// (including lower case), lengths with len mod 3 = 1, triples above 65535 and
// final pairs above 255, so every message has exactly one valid text.
//
// The binary message is, with all integers big-endian:
//
//	size     field
//	1        version = 0x01
//	1        system code length L, 1..8
//	L        system code, ASCII [A-Z0-9]
//	4        venue code as a uint32, 0..99999999 (printed as 8 digits, zero-padded)
//	2        business date as a uint16: days since 2000-01-01, 0..36524 (2099-12-31)
//	4        serial as a uint32, 1..9999999
//	1..9     session id as an unsigned LEB128 varint (Go's encoding/binary
//	         uvarint), 1..2^63-1, minimally encoded (no trailing 0x00 group)
//	1..9     seat id, encoded like the session id
//	4        key id as a uint32 (selects the tenant's public key)
//	64       Ed25519 signature (RFC 8032, pure Ed25519)
//
// The signature is over the ASCII context string "admit-ticket-v1" (15 bytes,
// signed but never transmitted) immediately followed by every message byte
// before the signature (version through key id). The context separates ticket
// signatures from anything else the same key might ever sign.
//
// A message is rejected if it is truncated, has bytes after the signature,
// has a version other than 1 ([ErrUnsupportedVersion]; so is a text prefix
// "AD<digits>:" other than "AD1:"), or has any out-of-range field: a system
// code of bad length or characters, a venue code above 99999999, a date after
// 2099-12-31, a serial of 0 or above 9999999, a zero, overflowing or
// non-minimal varint ([ErrMalformed]). [Verify] then looks the key id up in
// [PublicKeys] ([ErrUnknownKey]) and checks the signature ([ErrBadSignature]).
//
// A typical ticket (7-character system code, 6- and 7-digit ids) is a
// 94-byte message and a 145-character text; the largest possible is 106 bytes
// and 163 characters.
//
// Test vector: with the Ed25519 seed 00 01 02 ... 1f, key id 7, system code
// ADMIT01, venue 11010001, business date 2025-03-14, serial 42, session id
// 123456 and seat id 7890123 the signed part of the message is
//
//	01 07 41 44 4d 49 54 30 31 00 a7 ff d1 23 f4 00 00 00 2a c0 c4 07 cb c9
//	e1 03 00 00 00 07
//
// its signature is
//
//	b994953d47f7e161d52e924c834cfeb6f7f88cf3d9e53451d05df10bc445b025
//	3229820add05c92efc8dc29dc3feda980577ca82904b5adeb76a53ec41ac8101
//
// and the QR text is
//
//	AD1:%50DB8UY9.SAY86WALYJQ4%U0009I58ZOEYP3KS000700XKN0*II497MSY.QCMI.QG19WUFV% HQORSR6GFQCLUP O3CMGF6ZJGG.RMJPX-V6RO:YOPSR4V02RP*AI.LBJ8NJRARD8+DG
//
// (see the package example).
//
// # Business dates
//
// Only the calendar date of Payload.BusinessDate matters, taken in UTC:
// callers should pass midnight UTC of the business date (a midnight in a zone
// east of UTC would fall on the previous UTC day). Decoders return midnight
// UTC. The supported range is 2000-01-01..2099-12-31, because the ticket
// number writes the year as two digits; it lies inside the uint16 day range.
package ticket
