// Package profile reads firmware profiles: one JSON data file per device model under
// firmware-profiles/<kind>/<model>.json, holding the transport settings and the
// model's bytes and timings (ESC/POS dialect, scanner framing, RFID frame format,
// turnstile and relay commands). Drivers take a Profile and never hard-code a model,
// so a new printer or reader is a new data file, not new code.
//
// The package is pure data handling on the standard library. It must not import a
// driver, a transport, the agent or anything that opens a port: drivers import it.
package profile

import (
	"errors"
	"fmt"
	"net"
	"strings"
	"time"
)

// Kinds of device, each with its own block in a profile.
const (
	KindPrinter   = "printer"
	KindScanner   = "scanner"
	KindRFID      = "rfid"
	KindTurnstile = "turnstile"
	KindRelay     = "relay"
	KindIDCard    = "idcard"
)

// Kinds lists every kind a profile may declare, in a stable order.
var Kinds = []string{KindPrinter, KindScanner, KindRFID, KindTurnstile, KindRelay, KindIDCard}

// MaxFileSize is the largest profile file read; a profile is a page of settings, so
// anything bigger is a mistake (or not a profile) and is refused before decoding.
const MaxFileSize = 64 << 10

// Profile is one device model's firmware profile. Exactly one of Printer, Scanner,
// RFID, Turnstile, Relay and IDCard is set, the one named by Kind.
type Profile struct {
	Schema    int
	Kind      string
	Model     string
	Vendor    string
	Source    string // the public reference the bytes and timings were taken from
	Transport Transport
	Printer   *Printer
	Scanner   *Scanner
	RFID      *RFID
	Turnstile *Turnstile
	Relay     *Relay
	IDCard    *IDCard
	// File is the name the profile was read from, used in error messages.
	File string
}

// Transport says how the agent reaches the device; exactly one field is set.
type Transport struct {
	Serial *Serial
	USB    *USB
	TCP    *TCP
}

// Name is "serial", "usb", "tcp", or "" when no transport is set.
func (t Transport) Name() string {
	switch {
	case t.Serial != nil:
		return "serial"
	case t.USB != nil:
		return "usb"
	case t.TCP != nil:
		return "tcp"
	}
	return ""
}

// Serial is a serial line, including USB-serial bridges such as the CH340.
type Serial struct {
	Device   string // default device path; the agent's config may name another
	Baud     int
	DataBits int
	Parity   string // "none", "even", "odd"
	StopBits int
	Flow     string // "none", "rtscts", "xonxoff"
}

// USB is a raw USB bulk device (for example a USB printer-class receipt printer).
type USB struct {
	VendorID    uint16
	ProductID   uint16
	Interface   int
	EndpointOut byte // 0x01..0x0f
	EndpointIn  byte // 0x81..0x8f, or 0 when the device never answers
}

// TCP is a raw socket, such as a network printer's port 9100.
type TCP struct {
	// Address is "host:port". The host may be empty when only the site's config
	// can know it; the port is always set (printers default to 9100).
	Address string
}

// Printer is an ESC/POS receipt or ticket printer.
type Printer struct {
	Dialect      string // "escpos"
	PaperMM      int    // 58 or 80
	DotsPerLine  int    // 384 (58 mm), 512 (80 mm at 180 dpi) or 576 (80 mm at 203 dpi)
	CharsPerLine int    // Font A columns
	CodePage     int    // ESC t n
	Chinese      string // "gb18030" when FS & selects GB18030 double-byte text, else ""
	Status       PrinterStatus
	Cut          string // "partial", "full", "none"
	QR           QR
}

// PrinterStatus says whether the printer answers DLE EOT real-time status requests.
type PrinterStatus struct {
	DLEEOT  bool
	Timeout time.Duration // how long to wait for the status byte; 0 when DLEEOT is false
}

// QR is the printer's GS ( k QR code support.
type QR struct {
	Model     int // 2
	MaxModule int // largest module size in dots, 1..16
}

// Scanner is a barcode/QR scanner that sends each read as one framed line.
type Scanner struct {
	Framing     Framing
	Symbologies []string
}

// Framing is how a scanner delimits one read on the wire.
type Framing struct {
	Prefix     []byte // may be empty
	Terminator []byte // never empty
	MaxLen     int    // longest read accepted, prefix and terminator excluded
}

// RFID is a card reader that sends each card as one binary frame.
type RFID struct {
	Frame Frame
}

// Frame is an RFID reader's frame: start, [length], [type], UID, [checksum], end.
// "data" is the type bytes and the UID.
type Frame struct {
	Start        byte
	End          byte
	Length       string // "byte" or "none"
	LengthCovers string // "frame" (start to end inclusive) or "data"; "" when Length is "none"
	TypeBytes    int    // bytes before the UID, such as a card-type byte: 0..4
	Checksum     string // "xor", "sum8" or "none"
	ChecksumOver string // "len+data" or "data"; "" when Checksum is "none"
	UIDBytes     []int  // UID sizes the reader emits: 4, 7, 10
}

// Turnstile is a turnstile controller that reports each passage.
type Turnstile struct {
	Commands       TurnstileCommands
	Responses      TurnstileResponses
	Pulse          time.Duration // least time between two open commands
	PassageTimeout time.Duration // how long the agent waits for a passage report
}

// TurnstileCommands are the bytes the agent sends.
type TurnstileCommands struct {
	OpenIn  []byte
	OpenOut []byte
	Status  []byte // empty when the model has no documented status query
}

// TurnstileResponses are the frames the controller sends back.
type TurnstileResponses struct {
	PassageIn  []byte
	PassageOut []byte
	Alarm      []byte // open timed out or arm forced the wrong way
	OK         []byte // empty when the model does not acknowledge commands
}

// Relay is a relay board (a door strike, a gate opener, a sounder).
type Relay struct {
	Channels int
	On       Template
	Off      Template
	Pulse    time.Duration // how long a momentary "open" keeps the relay on
}

// IDCard is a resident ID card reader that the gate polls.
type IDCard struct {
	Protocol string        // "sam": the GA 467 security module's frames
	Poll     time.Duration // between two "find card" commands
	Answer   time.Duration // how long the reader may take to answer a command
}

// Switch returns the bytes that switch channel ch (1-based) on or off.
func (r Relay) Switch(ch int, on bool) ([]byte, error) {
	if ch < 1 || ch > r.Channels {
		return nil, fmt.Errorf("relay: channel %d out of range 1..%d", ch, r.Channels)
	}
	if on {
		return r.On.Render(ch), nil
	}
	return r.Off.Render(ch), nil
}

// Error is a profile that cannot be used: the file, the field path inside it
// (JSON names, dotted) and what is wrong.
type Error struct {
	File    string
	Field   string
	Problem string
}

func (e *Error) Error() string {
	var b strings.Builder
	if e.File != "" {
		b.WriteString(e.File)
		b.WriteString(": ")
	}
	if e.Field != "" {
		b.WriteString(e.Field)
		b.WriteString(": ")
	}
	b.WriteString(e.Problem)
	return b.String()
}

// Errors Fits wraps, for callers that branch.
var (
	ErrWrongKind = errors.New("profile kind does not match the device slot")
	ErrNoPort    = errors.New("no port for the device")
	ErrBadPort   = errors.New("port not usable with this profile")
)

// Fits reports whether the profile may drive the agent's device slot of the given
// kind, reached at port (from the agent's config; may be empty). A serial profile
// needs port or its own default device; a USB profile needs port (vendor and
// product id cannot tell two identical printers apart); a TCP profile needs a host
// from port or from its address.
func (p Profile) Fits(kind, port string) error {
	name := p.File
	if name == "" {
		name = p.Model
	}
	if !isKind(kind) {
		return fmt.Errorf("profile %s: slot kind %q is not one of %s: %w", name, kind, strings.Join(Kinds, ", "), ErrWrongKind)
	}
	if p.Kind != kind {
		return fmt.Errorf("profile %s is a %s profile, the slot is a %s: %w", name, p.Kind, kind, ErrWrongKind)
	}
	switch {
	case p.Transport.Serial != nil:
		if port == "" && p.Transport.Serial.Device == "" {
			return fmt.Errorf("profile %s: serial %s has no default device; set its port in the config: %w", name, kind, ErrNoPort)
		}
	case p.Transport.USB != nil:
		if port == "" {
			return fmt.Errorf("profile %s: usb %s (%04x:%04x) needs its port in the config: %w", name, kind, p.Transport.USB.VendorID, p.Transport.USB.ProductID, ErrNoPort)
		}
	case p.Transport.TCP != nil:
		host, _, err := net.SplitHostPort(p.Transport.TCP.Address)
		if port != "" {
			if _, problem := canonicalAddress(port, kind); problem != "" {
				return fmt.Errorf("profile %s: port %q: %s: %w", name, port, problem, ErrBadPort)
			}
			return nil
		}
		if err != nil || host == "" {
			return fmt.Errorf("profile %s: tcp %s has no host; set its address in the config: %w", name, kind, ErrNoPort)
		}
	default:
		return fmt.Errorf("profile %s has no transport: %w", name, ErrNoPort)
	}
	return nil
}

func isKind(k string) bool {
	for _, x := range Kinds {
		if x == k {
			return true
		}
	}
	return false
}
