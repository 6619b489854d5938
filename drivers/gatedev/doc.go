// Package gatedev drives the devices at an entry gate: a serial QR
// scanner ([Scanner]), an RFID card reader ([RFIDReader]), a turnstile
// controller that reports passages ([Turnstile]) and a relay board that
// opens a gate without feedback ([RelayTurnstile]).
//
// Drivers take what connects them to the device, never a port name: the
// readers take an Open function (so that they can reopen the port after a
// replug), the turnstiles take an open port. The bytes of a model come
// from its firmware profile, turned into the frame package's codec
// configurations here ([LineConfig], [RFIDConfig], [TurnstileConfig]), so
// that frame stays free of the profile package. Clocks, timers and
// backoff are injected so that tests control time.
//
// This package may import frame, profile, transport and the standard
// library. It must not import the simulators (outside tests), the agent or
// anything cloud-side.
package gatedev
