// Package sync is the wire contract between the Admit cloud and its edge
// devices: MQTT topics, message envelopes and their signatures, venue feed
// events and device facts. The cloud and the edge agent both import it; it
// imports neither, and no MQTT, SQL or HTTP package: it only names topics
// and encodes bytes.
//
// # Topics (all under admit/v1/)
//
//	admit/v1/venue/{venueCode}/feed   cloud → devices of the venue   FeedBatch, QoS 1, in seq order
//	admit/v1/device/{deviceID}/up     device → cloud                  FactBatch, CatchupRequest
//	admit/v1/device/{deviceID}/down   cloud → one device              Ack, FeedBatch (catch-up), Command
//
// A device may subscribe only to its venue's feed and its own downlink and
// publish only to its own uplink; the cloud may do anything. Cloud replicas
// share the uplinks through the shared subscription
// $share/{installation group}/admit/v1/device/+/up, with clean sessions:
// a replica that is gone must not keep a share of the messages.
//
// # Envelopes
//
// Every payload is an Envelope (JSON): a version, a kind, a body and a
// signature. The cloud signs what it sends with Ed25519 (its sync key,
// whose public half a device receives at enrollment); a device signs what
// it sends with HMAC-SHA256 under its device secret. Both sign
//
//	"admit-sync-v1" 0x00 kind 0x00 topic 0x00 body
//
// so a message cannot be replayed under another kind or on another
// device's topic. OpenCloud and OpenDevice drop anything unsigned,
// mis-signed, of an unknown version or over MaxMessageBytes; a receiver
// dispatches on Kind and drops (and counts) kinds it does not expect.
// Duplicates are recognised by (device, seq) or feed seq, never by the
// raw bytes: one envelope can be spelled in more than one way.
//
// # Venue feed
//
// Every change a device needs gets the next sequence number of its venue
// (1, 2, 3, …) in the same cloud transaction as the change. Devices apply
// events strictly in order: an event beyond the next expected one is held
// back and the device asks for a catch-up from its last applied number;
// an event at or below it is a replay and is ignored. A catch-up answers
// with FeedBatch messages on the device's downlink; when the device is
// too far behind the cloud sends a snapshot instead (Snapshot set on the
// batches: the device replaces its cache, then continues from Head).
//
// # Device facts
//
// A device records what it observed (admissions, exits, pickups, prints,
// print failures, heartbeats) as Facts with its device id, a per-device
// sequence (1, 2, 3, …) and a unique id, durably, before it acts on them.
// It uploads them in FactBatch messages; the cloud stores each fact once
// (by device and sequence) and answers Ack{UpTo}: the highest contiguous
// sequence it has stored. The device deletes facts up to UpTo.
package sync
