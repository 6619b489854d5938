package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"time"
)

// The file format, field for field. Hex byte strings stay strings here and become
// []byte in the exported types.
type fileJSON struct {
	Schema    *int           `json:"schema"`
	Kind      string         `json:"kind"`
	Model     string         `json:"model"`
	Vendor    string         `json:"vendor"`
	Source    string         `json:"source"`
	Transport *transportJSON `json:"transport"`
	Printer   *printerJSON   `json:"printer,omitempty"`
	Scanner   *scannerJSON   `json:"scanner,omitempty"`
	RFID      *rfidJSON      `json:"rfid,omitempty"`
	Turnstile *turnstileJSON `json:"turnstile,omitempty"`
	Relay     *relayJSON     `json:"relay,omitempty"`
	IDCard    *idcardJSON    `json:"idcard,omitempty"`
}

type transportJSON struct {
	Serial *serialJSON `json:"serial,omitempty"`
	USB    *usbJSON    `json:"usb,omitempty"`
	TCP    *tcpJSON    `json:"tcp,omitempty"`
}

type serialJSON struct {
	Device   string `json:"device"`
	Baud     int    `json:"baud"`
	DataBits int    `json:"data_bits"`
	Parity   string `json:"parity"`
	StopBits int    `json:"stop_bits"`
	Flow     string `json:"flow"`
}

type usbJSON struct {
	VendorID    string `json:"vendor_id"`
	ProductID   string `json:"product_id"`
	Interface   int    `json:"interface"`
	EndpointOut string `json:"endpoint_out"`
	EndpointIn  string `json:"endpoint_in"`
}

type tcpJSON struct {
	Address string `json:"address"`
}

type printerJSON struct {
	Dialect      string            `json:"dialect"`
	PaperMM      int               `json:"paper_mm"`
	DotsPerLine  int               `json:"dots_per_line"`
	CharsPerLine int               `json:"chars_per_line"`
	CodePage     int               `json:"code_page"`
	Chinese      string            `json:"chinese"`
	Status       printerStatusJSON `json:"status"`
	Cut          string            `json:"cut"`
	QR           qrJSON            `json:"qr"`
}

type printerStatusJSON struct {
	DLEEOT    bool `json:"dle_eot"`
	TimeoutMS int  `json:"timeout_ms"`
}

type qrJSON struct {
	Model     int `json:"model"`
	MaxModule int `json:"max_module"`
}

type scannerJSON struct {
	Framing     framingJSON `json:"framing"`
	Symbologies []string    `json:"symbologies"`
}

type framingJSON struct {
	Prefix     string `json:"prefix"`
	Terminator string `json:"terminator"`
	MaxLen     int    `json:"max_len"`
}

type rfidJSON struct {
	Frame frameJSON `json:"frame"`
}

type frameJSON struct {
	Start        string `json:"start"`
	End          string `json:"end"`
	Length       string `json:"length"`
	LengthCovers string `json:"length_covers,omitempty"`
	TypeBytes    int    `json:"type_bytes,omitempty"`
	Checksum     string `json:"checksum"`
	ChecksumOver string `json:"checksum_over"`
	UIDBytes     []int  `json:"uid_bytes"`
}

type turnstileJSON struct {
	Commands         turnstileCommandsJSON  `json:"commands"`
	Responses        turnstileResponsesJSON `json:"responses"`
	PulseMS          int                    `json:"pulse_ms"`
	PassageTimeoutMS int                    `json:"passage_timeout_ms"`
}

type turnstileCommandsJSON struct {
	OpenIn  string `json:"open_in"`
	OpenOut string `json:"open_out"`
	Status  string `json:"status"`
}

type turnstileResponsesJSON struct {
	PassageIn  string `json:"passage_in"`
	PassageOut string `json:"passage_out"`
	Alarm      string `json:"alarm"`
	OK         string `json:"ok"`
}

type relayJSON struct {
	Channels int              `json:"channels"`
	Commands relayCommandJSON `json:"commands"`
	PulseMS  int              `json:"pulse_ms"`
}

type idcardJSON struct {
	Protocol string `json:"protocol"`
	PollMS   int    `json:"poll_ms"`
	AnswerMS int    `json:"answer_ms"`
}

type relayCommandJSON struct {
	On  string `json:"on"`
	Off string `json:"off"`
}

// Load reads and validates one profile file. Errors are *Error naming path.
func Load(path string) (Profile, error) {
	data, err := readLimited(path)
	if err != nil {
		return Profile{}, &Error{File: path, Problem: err.Error()}
	}
	return Parse(path, data)
}

func readLimited(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readFile(f)
}

func readFile(f fs.File) ([]byte, error) {
	fi, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !fi.Mode().IsRegular() {
		return nil, fmt.Errorf("not a regular file (%s)", fi.Mode().Type())
	}
	// Read one byte past the limit so Parse sees the file is too big without
	// reading all of it.
	return io.ReadAll(io.LimitReader(f, MaxFileSize+1))
}

// LoadDir reads every *.json profile under root (firmware-profiles/), keyed by
// "<kind>/<file name without .json>", e.g. "printer/epson-tm-t88-80mm". Each file
// must sit in the directory of its kind. Files are named in errors as the base of
// root joined with the path below it ("firmware-profiles/scanner/x.json"), so
// messages read the same wherever the agent runs. Bad files are left out of the
// map and reported, one error each; the others still load.
func LoadDir(root string) (map[string]Profile, []error) {
	return LoadFS(os.DirFS(root), filepath.Base(filepath.Clean(root)))
}

// LoadFS is LoadDir over a file system whose root holds the kind directories
// (such as the profiles built into the agent); base names that root in errors.
func LoadFS(fsys fs.FS, base string) (map[string]Profile, []error) {
	profiles := make(map[string]Profile)
	var errs []error
	walkErr := fs.WalkDir(fsys, ".", func(rel string, d fs.DirEntry, err error) error {
		name := base
		if rel != "." {
			name += "/" + rel
		}
		if err != nil {
			errs = append(errs, &Error{File: name, Problem: err.Error()})
			if d != nil && d.IsDir() && rel != "." {
				return fs.SkipDir
			}
			return nil
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		data, err := readFS(fsys, rel)
		if err != nil {
			errs = append(errs, &Error{File: name, Problem: err.Error()})
			return nil
		}
		p, err := Parse(name, data)
		if err != nil {
			errs = append(errs, err)
			return nil
		}
		dir, _, _ := strings.Cut(rel, "/")
		if !strings.Contains(rel, "/") || dir != p.Kind || strings.Count(rel, "/") != 1 {
			errs = append(errs, &Error{File: name, Field: "kind", Problem: fmt.Sprintf("%q profile must be at %s/%s/<model>.json", p.Kind, base, p.Kind)})
			return nil
		}
		profiles[strings.TrimSuffix(rel, ".json")] = p
		return nil
	})
	if walkErr != nil {
		errs = append(errs, &Error{File: base, Problem: walkErr.Error()})
	}
	return profiles, errs
}

func readFS(fsys fs.FS, name string) ([]byte, error) {
	f, err := fsys.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readFile(f)
}

// Parse decodes and validates a profile; name is the file name used in errors.
// Unknown fields (names are matched exactly, case included), a missing or
// misplaced kind block, bad hex and out-of-range values are refused as *Error.
func Parse(name string, data []byte) (Profile, error) {
	fail := func(field, problem string) (Profile, error) {
		return Profile{}, &Error{File: name, Field: field, Problem: problem}
	}
	if len(data) > MaxFileSize {
		return fail("", fmt.Sprintf("file is over the %d KiB limit", MaxFileSize>>10))
	}

	// First pass: a generic tree, to refuse unknown fields with their full path.
	// encoding/json alone matches names case-insensitively and names only the leaf.
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	var tree any
	if err := dec.Decode(&tree); err != nil {
		return fail("", "not valid JSON: "+jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return fail("", "data after the profile object")
	}
	if _, ok := tree.(map[string]any); !ok {
		return fail("", "want a JSON object")
	}
	if field := unknownField(tree, reflect.TypeFor[fileJSON](), ""); field != "" {
		return fail(field, "unknown field")
	}

	var raw fileJSON
	dec = json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&raw); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			return fail(te.Field, fmt.Sprintf("want %s, got JSON %s", jsonTypeName(te.Type), te.Value))
		}
		return fail("", jsonProblem(err))
	}

	p, err := fromJSON(raw)
	if err != nil {
		err.File = name
		return Profile{}, err
	}
	p.File = name
	if err := p.Validate(); err != nil {
		return Profile{}, err
	}
	return p, nil
}

func jsonProblem(err error) string {
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return fmt.Sprintf("%s at byte %d", se.Error(), se.Offset)
	}
	return strings.TrimPrefix(err.Error(), "json: ")
}

func jsonTypeName(t reflect.Type) string {
	switch t.Kind() {
	case reflect.Int, reflect.Int64:
		return "an integer"
	case reflect.String:
		return "a string"
	case reflect.Bool:
		return "true or false"
	case reflect.Slice:
		return "a list"
	case reflect.Struct, reflect.Pointer:
		return "an object"
	}
	return t.String()
}

// unknownField walks a decoded JSON tree against the file types and returns the
// dotted path of the first key (in sorted order) that no field is named exactly.
func unknownField(v any, t reflect.Type, prefix string) string {
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	obj, ok := v.(map[string]any)
	if !ok || t.Kind() != reflect.Struct {
		return "" // a type mismatch; the typed decode reports it
	}
	fields := make(map[string]reflect.Type, t.NumField())
	for i := range t.NumField() {
		f := t.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		fields[tag] = f.Type
	}
	keys := make([]string, 0, len(obj))
	for k := range obj {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := k
		if prefix != "" {
			path = prefix + "." + k
		}
		ft, ok := fields[k]
		if !ok {
			return path
		}
		if bad := unknownField(obj[k], ft, path); bad != "" {
			return bad
		}
	}
	return ""
}

func ms(n int) time.Duration { return time.Duration(n) * time.Millisecond }

// fromJSON turns the file form into the typed form, decoding hex. Range checks
// are Validate's.
func fromJSON(raw fileJSON) (Profile, *Error) {
	bad := func(field, problem string) (Profile, *Error) {
		return Profile{}, &Error{Field: field, Problem: problem}
	}
	if raw.Schema == nil {
		return bad("schema", "missing; want 1")
	}
	p := Profile{
		Schema: *raw.Schema,
		Kind:   raw.Kind,
		Model:  raw.Model,
		Vendor: raw.Vendor,
		Source: raw.Source,
	}
	if raw.Transport == nil {
		return bad("transport", "missing; want one of serial, usb, tcp")
	}
	if s := raw.Transport.Serial; s != nil {
		p.Transport.Serial = &Serial{Device: s.Device, Baud: s.Baud, DataBits: s.DataBits, Parity: s.Parity, StopBits: s.StopBits, Flow: s.Flow}
	}
	if u := raw.Transport.USB; u != nil {
		vid, problem := parseHexID(u.VendorID, 4)
		if problem != "" {
			return bad("transport.usb.vendor_id", problem)
		}
		pid, problem := parseHexID(u.ProductID, 4)
		if problem != "" {
			return bad("transport.usb.product_id", problem)
		}
		out, problem := parseHexID(u.EndpointOut, 2)
		if problem != "" {
			return bad("transport.usb.endpoint_out", problem)
		}
		var in uint64
		if u.EndpointIn != "" {
			if in, problem = parseHexID(u.EndpointIn, 2); problem != "" {
				return bad("transport.usb.endpoint_in", problem)
			}
		}
		p.Transport.USB = &USB{VendorID: uint16(vid), ProductID: uint16(pid), Interface: u.Interface, EndpointOut: byte(out), EndpointIn: byte(in)}
	}
	if t := raw.Transport.TCP; t != nil {
		addr, problem := canonicalAddress(t.Address, raw.Kind)
		if problem != "" {
			return bad("transport.tcp.address", problem)
		}
		p.Transport.TCP = &TCP{Address: addr}
	}

	// The kind's block is checked before any block is decoded, so a misplaced block
	// is reported as misplaced rather than for whatever it lacks.
	if !isKind(raw.Kind) {
		return p, nil // Validate names the kind
	}
	for _, b := range []struct {
		kind    string
		present bool
	}{
		{KindPrinter, raw.Printer != nil},
		{KindScanner, raw.Scanner != nil},
		{KindRFID, raw.RFID != nil},
		{KindTurnstile, raw.Turnstile != nil},
		{KindRelay, raw.Relay != nil},
		{KindIDCard, raw.IDCard != nil},
	} {
		switch {
		case b.kind == raw.Kind && !b.present:
			return bad(b.kind, fmt.Sprintf("missing; a %s profile needs a %q block", raw.Kind, b.kind))
		case b.kind != raw.Kind && b.present:
			return bad(b.kind, fmt.Sprintf("not allowed in a %s profile", raw.Kind))
		}
	}

	if r := raw.Printer; r != nil {
		p.Printer = &Printer{
			Dialect: r.Dialect, PaperMM: r.PaperMM, DotsPerLine: r.DotsPerLine, CharsPerLine: r.CharsPerLine,
			CodePage: r.CodePage, Chinese: r.Chinese, Cut: r.Cut,
			Status: PrinterStatus{DLEEOT: r.Status.DLEEOT, Timeout: ms(r.Status.TimeoutMS)},
			QR:     QR{Model: r.QR.Model, MaxModule: r.QR.MaxModule},
		}
	}
	if r := raw.Scanner; r != nil {
		prefix, problem := parseHex(r.Framing.Prefix)
		if problem != "" {
			return bad("scanner.framing.prefix", problem)
		}
		term, problem := parseHex(r.Framing.Terminator)
		if problem != "" {
			return bad("scanner.framing.terminator", problem)
		}
		p.Scanner = &Scanner{Framing: Framing{Prefix: prefix, Terminator: term, MaxLen: r.Framing.MaxLen}, Symbologies: r.Symbologies}
	}
	if r := raw.RFID; r != nil {
		start, problem := parseHexByte(r.Frame.Start)
		if problem != "" {
			return bad("rfid.frame.start", problem)
		}
		end, problem := parseHexByte(r.Frame.End)
		if problem != "" {
			return bad("rfid.frame.end", problem)
		}
		p.RFID = &RFID{Frame: Frame{Start: start, End: end, Length: r.Frame.Length, LengthCovers: r.Frame.LengthCovers, TypeBytes: r.Frame.TypeBytes, Checksum: r.Frame.Checksum, ChecksumOver: r.Frame.ChecksumOver, UIDBytes: r.Frame.UIDBytes}}
	}
	if r := raw.Turnstile; r != nil {
		t := &Turnstile{Pulse: ms(r.PulseMS), PassageTimeout: ms(r.PassageTimeoutMS)}
		for _, h := range []struct {
			field string
			src   string
			dst   *[]byte
		}{
			{"turnstile.commands.open_in", r.Commands.OpenIn, &t.Commands.OpenIn},
			{"turnstile.commands.open_out", r.Commands.OpenOut, &t.Commands.OpenOut},
			{"turnstile.commands.status", r.Commands.Status, &t.Commands.Status},
			{"turnstile.responses.passage_in", r.Responses.PassageIn, &t.Responses.PassageIn},
			{"turnstile.responses.passage_out", r.Responses.PassageOut, &t.Responses.PassageOut},
			{"turnstile.responses.alarm", r.Responses.Alarm, &t.Responses.Alarm},
			{"turnstile.responses.ok", r.Responses.OK, &t.Responses.OK},
		} {
			b, problem := parseHex(h.src)
			if problem != "" {
				return bad(h.field, problem)
			}
			*h.dst = b
		}
		p.Turnstile = t
	}
	if r := raw.Relay; r != nil {
		on, problem := parseTemplate(r.Commands.On)
		if problem != "" {
			return bad("relay.commands.on", problem)
		}
		off, problem := parseTemplate(r.Commands.Off)
		if problem != "" {
			return bad("relay.commands.off", problem)
		}
		p.Relay = &Relay{Channels: r.Channels, On: on, Off: off, Pulse: ms(r.PulseMS)}
	}
	if r := raw.IDCard; r != nil {
		p.IDCard = &IDCard{Protocol: r.Protocol, Poll: ms(r.PollMS), Answer: ms(r.AnswerMS)}
	}
	return p, nil
}
