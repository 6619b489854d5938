// Package escpos builds the byte streams a kiosk sends to an ESC/POS thermal
// printer and decodes the status bytes the printer sends back.
//
// It is pure: a Job is a buffer of command bytes and ParseStatus turns one
// response byte into a Status. Opening a serial port, USB endpoint or TCP
// socket is the transport's job (see the firmware profile); a driver hands
// Job.Bytes (or Job.WriteTo) to whatever io.Writer the transport gives it.
// This package must not import any transport, network, storage or cloud
// package, so that it builds with CGO_ENABLED=0 for every edge target and its
// tests can state every byte without hardware.
//
// Command encodings follow the Epson ESC/POS command reference; the comment
// on each method names the command (for example "GS ( k <Function 180>") so
// it can be looked up there or in a compatible vendor's programming manual.
package escpos
