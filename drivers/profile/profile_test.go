package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

const shipped = "../../firmware-profiles"

func TestEveryShippedProfileLoads(t *testing.T) {
	profiles, errs := LoadDir(shipped)
	for _, err := range errs {
		t.Errorf("shipped profile refused: %v", err)
	}
	for _, key := range []string{
		"printer/epson-tm-t88-80mm",
		"printer/generic-gb18030-58mm",
		"printer/network-escpos-80mm",
		"scanner/grow-gm65-uart",
		"scanner/honeywell-xenon-1900-rs232",
		"rfid/dual-frequency-uart-reader",
		"relay/lcus-1-usb-relay",
		"turnstile/tripod-serial-feedback",
	} {
		p, ok := profiles[key]
		if !ok {
			t.Errorf("%s missing from LoadDir", key)
			continue
		}
		if want := "firmware-profiles/" + key + ".json"; p.File != want {
			t.Errorf("%s: File = %q, want %q", key, p.File, want)
		}
	}
}

func TestShippedProfilesSayWhatTheirSourcesSay(t *testing.T) {
	profiles, errs := LoadDir(shipped)
	if len(errs) > 0 {
		t.Fatal(errs)
	}

	lcus := profiles["relay/lcus-1-usb-relay"].Relay
	on, err := lcus.Switch(1, true)
	if err != nil || !bytes.Equal(on, []byte{0xa0, 0x01, 0x01, 0xa2}) {
		t.Errorf("LCUS-1 on = % x, %v; want a0 01 01 a2", on, err)
	}
	off, err := lcus.Switch(1, false)
	if err != nil || !bytes.Equal(off, []byte{0xa0, 0x01, 0x00, 0xa1}) {
		t.Errorf("LCUS-1 off = % x, %v; want a0 01 00 a1", off, err)
	}
	if _, err := lcus.Switch(2, true); err == nil {
		t.Error("LCUS-1 has one channel; channel 2 was accepted")
	}

	epson := profiles["printer/epson-tm-t88-80mm"]
	if u := epson.Transport.USB; u == nil || u.VendorID != 0x04b8 || u.ProductID != 0x0202 || u.EndpointIn != 0x82 {
		t.Errorf("TM-T88 usb = %+v", epson.Transport.USB)
	}
	if pr := epson.Printer; pr.DotsPerLine != 512 || pr.CharsPerLine != 42 || pr.Status.Timeout != 500*time.Millisecond {
		t.Errorf("TM-T88 printer = %+v", pr)
	}

	cn := profiles["printer/generic-gb18030-58mm"].Printer
	if cn.Chinese != "gb18030" || cn.DotsPerLine != 384 {
		t.Errorf("58 mm printer = %+v", cn)
	}
	if addr := profiles["printer/network-escpos-80mm"].Transport.TCP.Address; addr != ":9100" {
		t.Errorf("network printer address = %q", addr)
	}

	gm65 := profiles["scanner/grow-gm65-uart"].Scanner.Framing
	if len(gm65.Prefix) != 0 || !bytes.Equal(gm65.Terminator, []byte{'\r'}) {
		t.Errorf("GM65 framing = %+v", gm65)
	}
	xenon := profiles["scanner/honeywell-xenon-1900-rs232"].Scanner.Framing
	if !bytes.Equal(xenon.Prefix, []byte{0x02}) || !bytes.Equal(xenon.Terminator, []byte("\r\n")) {
		t.Errorf("Xenon framing = %+v", xenon)
	}

	// The reader's own example: 02 09 01 SN0..SN3 BCC 03, BCC over len, type and UID.
	frame := profiles["rfid/dual-frequency-uart-reader"].RFID.Frame
	if frame.Start != 0x02 || frame.End != 0x03 || frame.TypeBytes != 1 || frame.Checksum != "xor" {
		t.Errorf("RFID frame = %+v", frame)
	}

	gate := profiles["turnstile/tripod-serial-feedback"].Turnstile
	if !bytes.Equal(gate.Commands.OpenIn, []byte{0xfe, 0x80, 0x01, 0x00, 0x00, 0x00, 0xab}) || len(gate.Commands.Status) != 0 {
		t.Errorf("turnstile commands = % x", gate.Commands)
	}
}

func TestShippedProfilesSurviveAWriteAndReread(t *testing.T) {
	profiles, errs := LoadDir(shipped)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	for key, p := range profiles {
		data, err := json.Marshal(p)
		if err != nil {
			t.Fatalf("%s: marshal: %v", key, err)
		}
		again, err := Parse(p.File, data)
		if err != nil {
			t.Fatalf("%s: reread: %v\n%s", key, err, data)
		}
		if !reflect.DeepEqual(p, again) {
			t.Errorf("%s: reread differs\n got %+v\nwant %+v", key, again, p)
		}
	}
}

// Small valid profiles the broken cases start from.
var bases = map[string]string{
	"scanner": `{"schema": 1, "kind": "scanner", "model": "M", "vendor": "V", "source": "S",
		"transport": {"serial": {"device": "/dev/ttyS0", "baud": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1, "flow": "none"}},
		"scanner": {"framing": {"prefix": "", "terminator": "0d", "max_len": 512}, "symbologies": ["qr"]}}`,
	"printer": `{"schema": 1, "kind": "printer", "model": "M", "vendor": "V", "source": "S",
		"transport": {"usb": {"vendor_id": "0x04b8", "product_id": "0x0202", "interface": 0, "endpoint_out": "0x01", "endpoint_in": "0x82"}},
		"printer": {"dialect": "escpos", "paper_mm": 58, "dots_per_line": 384, "chars_per_line": 32, "code_page": 0, "chinese": "gb18030",
			"status": {"dle_eot": true, "timeout_ms": 300}, "cut": "partial", "qr": {"model": 2, "max_module": 8}}}`,
	"rfid": `{"schema": 1, "kind": "rfid", "model": "M", "vendor": "V", "source": "S",
		"transport": {"serial": {"baud": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1, "flow": "none"}},
		"rfid": {"frame": {"start": "02", "end": "03", "length": "byte", "length_covers": "data", "checksum": "xor", "checksum_over": "len+data", "uid_bytes": [4, 7]}}}`,
	"turnstile": `{"schema": 1, "kind": "turnstile", "model": "M", "vendor": "V", "source": "S",
		"transport": {"serial": {"device": "/dev/ttyS1", "baud": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1, "flow": "none"}},
		"turnstile": {"commands": {"open_in": "01", "open_out": "02", "status": "05"},
			"responses": {"passage_in": "11", "passage_out": "12", "alarm": "1f", "ok": "06"}, "pulse_ms": 200, "passage_timeout_ms": 8000}}`,
	"relay": `{"schema": 1, "kind": "relay", "model": "M", "vendor": "V", "source": "S",
		"transport": {"serial": {"device": "/dev/ttyUSB0", "baud": 9600, "data_bits": 8, "parity": "none", "stop_bits": 1, "flow": "none"}},
		"relay": {"channels": 4, "commands": {"on": "a0{ch}01{sum}", "off": "a0 {ch} 00 {sum}"}, "pulse_ms": 500}}`,
}

// edit changes one dotted path of a decoded profile; a nil value deletes it.
func edit(t *testing.T, doc map[string]any, path string, v any) {
	t.Helper()
	keys := strings.Split(path, ".")
	m := doc
	for _, k := range keys[:len(keys)-1] {
		next, ok := m[k].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[k] = next
		}
		m = next
	}
	if v == nil {
		delete(m, keys[len(keys)-1])
		return
	}
	m[keys[len(keys)-1]] = v
}

type change struct {
	path string
	v    any // nil deletes
}

func TestBasesAreValid(t *testing.T) {
	for kind, src := range bases {
		if _, err := Parse(kind+".json", []byte(src)); err != nil {
			t.Errorf("%s base: %v", kind, err)
		}
	}
}

func TestBrokenProfilesAreRefusedWithFileFieldAndProblem(t *testing.T) {
	tests := []struct {
		name    string
		base    string
		changes []change
		field   string
		problem string // substring
	}{
		{"an unknown top-level field is named", "scanner", []change{{"colour", "red"}}, "colour", "unknown field"},
		{"an unknown nested field is named with its path", "scanner", []change{{"transport.serial.bauds", 9600}}, "transport.serial.bauds", "unknown field"},
		{"field names are matched with their case", "scanner", []change{{"Schema", 1}}, "Schema", "unknown field"},
		{"a missing schema is named", "scanner", []change{{"schema", nil}}, "schema", "missing"},
		{"a future schema is refused", "scanner", []change{{"schema", 2}}, "schema", "unsupported schema 2"},
		{"an unknown kind is refused", "scanner", []change{{"kind", "printr"}}, "kind", `"printr"; want one of`},
		{"a missing model is refused", "scanner", []change{{"model", " "}}, "model", "missing"},
		{"a source with a control character is refused", "scanner", []change{{"source", "a\x07b"}}, "source", "control"},
		{"a wrong JSON type names the path", "scanner", []change{{"transport.serial.baud", "9600"}}, "transport.serial.baud", "want an integer, got JSON string"},
		{"no transport is refused", "scanner", []change{{"transport", nil}}, "transport", "missing"},
		{"an empty transport is refused", "scanner", []change{{"transport", map[string]any{}}}, "transport", "found 0"},
		{"two transports are refused", "scanner", []change{{"transport.tcp", map[string]any{"address": "10.0.0.9:4001"}}}, "transport", "found 2"},
		{"a slow baud rate is refused", "scanner", []change{{"transport.serial.baud", 300}}, "transport.serial.baud", "out of range 1200..921600"},
		{"a fast baud rate is refused", "scanner", []change{{"transport.serial.baud", 1000000}}, "transport.serial.baud", "out of range"},
		{"nine data bits are refused", "scanner", []change{{"transport.serial.data_bits", 9}}, "transport.serial.data_bits", "want 7 or 8"},
		{"mark parity is refused", "scanner", []change{{"transport.serial.parity", "mark"}}, "transport.serial.parity", "want none, even or odd"},
		{"three stop bits are refused", "scanner", []change{{"transport.serial.stop_bits", 3}}, "transport.serial.stop_bits", "want 1 or 2"},
		{"an unknown flow control is refused", "scanner", []change{{"transport.serial.flow", "dtrdsr"}}, "transport.serial.flow", "want none, rtscts or xonxoff"},
		{"a device path with a space is refused", "scanner", []change{{"transport.serial.device", "/dev/tty S0"}}, "transport.serial.device", "without spaces"},
		{"a terminator in 0x form is not hex", "scanner", []change{{"scanner.framing.terminator", "0x0d"}}, "scanner.framing.terminator", "not hex"},
		{"a half byte is not hex", "scanner", []change{{"scanner.framing.prefix", "0"}}, "scanner.framing.prefix", "not hex"},
		{"an empty terminator is refused", "scanner", []change{{"scanner.framing.terminator", ""}}, "scanner.framing.terminator", "missing"},
		{"a terminator equal to the prefix is refused", "scanner", []change{{"scanner.framing.prefix", "0d"}}, "scanner.framing.terminator", "same bytes as the prefix"},
		{"max_len over 4096 is refused", "scanner", []change{{"scanner.framing.max_len", 5000}}, "scanner.framing.max_len", "out of range 1..4096"},
		{"an unknown symbology is named by index", "scanner", []change{{"scanner.symbologies", []any{"qr", "qrcode"}}}, "scanner.symbologies[1]", `"qrcode"`},
		{"a symbology listed twice is refused", "scanner", []change{{"scanner.symbologies", []any{"qr", "qr"}}}, "scanner.symbologies[1]", "listed twice"},
		{"no symbologies are refused", "scanner", []change{{"scanner.symbologies", []any{}}}, "scanner.symbologies", "missing"},
		{"a missing kind block is refused", "scanner", []change{{"scanner", nil}}, "scanner", "missing"},
		{"another kind's block is refused", "scanner", []change{{"relay", map[string]any{}}}, "relay", "not allowed in a scanner profile"},
		{"a usb scanner needs an IN endpoint", "scanner", []change{{"transport", map[string]any{"usb": map[string]any{"vendor_id": "0x0c2e", "product_id": "0x0b61", "interface": 0, "endpoint_out": "0x02"}}}}, "transport.usb.endpoint_in", "reads from the device"},
		{"a bare tcp host is only for printers", "scanner", []change{{"transport", map[string]any{"tcp": map[string]any{"address": "scanner.local"}}}}, "transport.tcp.address", "only printers default to port 9100"},

		{"a vendor id without 0x is refused", "printer", []change{{"transport.usb.vendor_id", "04b8"}}, "transport.usb.vendor_id", "want 0x and 4 hex digits"},
		{"vendor 0 is refused", "printer", []change{{"transport.usb.vendor_id", "0x0000"}}, "transport.usb.vendor_id", "not a vendor"},
		{"an IN endpoint as OUT is refused", "printer", []change{{"transport.usb.endpoint_out", "0x81"}}, "transport.usb.endpoint_out", "want an OUT endpoint"},
		{"status over usb needs an IN endpoint", "printer", []change{{"transport.usb.endpoint_in", ""}}, "transport.usb.endpoint_in", "reads from the device"},
		{"the dialect must be escpos", "printer", []change{{"printer.dialect", "star"}}, "printer.dialect", "want escpos"},
		{"paper must be 58 or 80 mm", "printer", []change{{"printer.paper_mm", 76}}, "printer.paper_mm", "want 58 or 80"},
		{"dots must match the paper", "printer", []change{{"printer.dots_per_line", 576}}, "printer.dots_per_line", "58 mm paper has 384 dots"},
		{"columns must fit the dots", "printer", []change{{"printer.chars_per_line", 64}}, "printer.chars_per_line", "out of range 16..48"},
		{"a code page over 255 is refused", "printer", []change{{"printer.code_page", 256}}, "printer.code_page", "out of range 0..255"},
		{"only gb18030 is a Chinese encoding here", "printer", []change{{"printer.chinese", "big5"}}, "printer.chinese", "want gb18030 or empty"},
		{"a status timeout without DLE EOT is refused", "printer", []change{{"printer.status.dle_eot", false}}, "printer.status.timeout_ms", "dle_eot is false"},
		{"DLE EOT needs a timeout", "printer", []change{{"printer.status.timeout_ms", 0}}, "printer.status.timeout_ms", "out of range 1..10000"},
		{"an unknown cut is refused", "printer", []change{{"printer.cut", "half"}}, "printer.cut", "want partial, full or none"},
		{"QR model 1 is refused", "printer", []change{{"printer.qr.model", 1}}, "printer.qr.model", "want 2"},
		{"a QR module over 16 is refused", "printer", []change{{"printer.qr.max_module", 17}}, "printer.qr.max_module", "out of range 1..16"},
		{"a printer tcp address takes port 9100", "printer", []change{{"transport", map[string]any{"tcp": map[string]any{"address": "10.0.0.5:99999"}}}}, "transport.tcp.address", "want 1..65535"},

		{"a two-byte start is refused", "rfid", []change{{"rfid.frame.start", "0202"}}, "rfid.frame.start", "want exactly one hex byte"},
		{"start and end must differ", "rfid", []change{{"rfid.frame.end", "02"}}, "rfid.frame.end", "same byte as start"},
		{"an unknown length is refused", "rfid", []change{{"rfid.frame.length", "word"}}, "rfid.frame.length", "want byte or none"},
		{"a length byte must say what it counts", "rfid", []change{{"rfid.frame.length_covers", nil}}, "rfid.frame.length_covers", "want frame or data"},
		{"a checksum over a missing length is refused", "rfid", []change{{"rfid.frame.length", "none"}, {"rfid.frame.length_covers", nil}}, "rfid.frame.checksum_over", "no length byte"},
		{"an unknown checksum is refused", "rfid", []change{{"rfid.frame.checksum", "crc16"}}, "rfid.frame.checksum", "want xor, sum8 or none"},
		{"checksum_over without a checksum is refused", "rfid", []change{{"rfid.frame.checksum", "none"}}, "rfid.frame.checksum_over", "checksum is none"},
		{"a five-byte UID is refused", "rfid", []change{{"rfid.frame.uid_bytes", []any{4, 5}}}, "rfid.frame.uid_bytes[1]", "want 4, 7 or 10"},
		{"no UID sizes are refused", "rfid", []change{{"rfid.frame.uid_bytes", nil}}, "rfid.frame.uid_bytes", "missing"},

		{"an open command is required", "turnstile", []change{{"turnstile.commands.open_in", ""}}, "turnstile.commands.open_in", "missing"},
		{"the two open commands must differ", "turnstile", []change{{"turnstile.commands.open_out", "01"}}, "turnstile.commands.open_out", "same bytes as open_in"},
		{"passages in and out must differ", "turnstile", []change{{"turnstile.responses.passage_out", "11"}}, "turnstile.responses.passage_out", "same bytes as responses.passage_in"},
		{"bad response hex is named", "turnstile", []change{{"turnstile.responses.alarm", "zz"}}, "turnstile.responses.alarm", "not hex"},
		{"a zero pulse is refused", "turnstile", []change{{"turnstile.pulse_ms", 0}}, "turnstile.pulse_ms", "out of range"},
		{"a short passage timeout is refused", "turnstile", []change{{"turnstile.passage_timeout_ms", 500}}, "turnstile.passage_timeout_ms", "out of range 1000..120000"},
		{"a passage timeout shorter than the pulse is refused", "turnstile", []change{{"turnstile.pulse_ms", 9000}}, "turnstile.passage_timeout_ms", "not longer than pulse_ms"},

		{"an unknown placeholder is named", "relay", []change{{"relay.commands.on", "a0 {chan} 01 {sum}"}}, "relay.commands.on", "unknown placeholder {chan}"},
		{"a template without {ch} is refused", "relay", []change{{"relay.commands.on", "a0 01 01 a2"}}, "relay.commands.on", "{ch} must appear exactly once, found 0"},
		{"{sum} must come last", "relay", []change{{"relay.commands.off", "a0 {sum} {ch} 00"}}, "relay.commands.off", "{sum} must be the last token"},
		{"an unclosed placeholder is refused", "relay", []change{{"relay.commands.off", "a0 {ch 00"}}, "relay.commands.off", "unclosed {"},
		{"on and off must differ", "relay", []change{{"relay.commands.off", "a0 {ch} 01 {sum}"}}, "relay.commands.off", "same bytes as on"},
		{"too many channels are refused", "relay", []change{{"relay.channels", 33}}, "relay.channels", "out of range 1..32"},
		{"a short relay pulse is refused", "relay", []change{{"relay.pulse_ms", 5}}, "relay.pulse_ms", "out of range 10..60000"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var doc map[string]any
			if err := json.Unmarshal([]byte(bases[tt.base]), &doc); err != nil {
				t.Fatal(err)
			}
			for _, c := range tt.changes {
				edit(t, doc, c.path, c.v)
			}
			data, err := json.Marshal(doc)
			if err != nil {
				t.Fatal(err)
			}
			const file = "firmware-profiles/x/broken.json"
			_, err = Parse(file, data)
			var e *Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse = %v, want *Error", err)
			}
			if e.File != file || e.Field != tt.field || !strings.Contains(e.Problem, tt.problem) {
				t.Errorf("got File=%q Field=%q Problem=%q\nwant File=%q Field=%q Problem containing %q", e.File, e.Field, e.Problem, file, tt.field, tt.problem)
			}
		})
	}
}

func TestErrorReadsFileFieldProblem(t *testing.T) {
	data := strings.Replace(bases["scanner"], `"terminator": "0d"`, `"terminator": "CR"`, 1)
	_, err := Parse("firmware-profiles/scanner/x.json", []byte(data))
	if err == nil || err.Error() != "firmware-profiles/scanner/x.json: scanner.framing.terminator: not hex" {
		t.Errorf("err = %v", err)
	}
}

func TestWholeFileProblemsHaveNoField(t *testing.T) {
	big := bases["scanner"] + strings.Repeat(" ", MaxFileSize)
	tests := []struct {
		name, data, problem string
	}{
		{"a file over 64 KiB is refused unread", big, "over the 64 KiB limit"},
		{"broken JSON is refused", `{"schema": 1,`, "not valid JSON"},
		{"a second object after the profile is refused", bases["scanner"] + "{}", "data after the profile object"},
		{"a list is not a profile", `[1, 2]`, "want a JSON object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("p.json", []byte(tt.data))
			var e *Error
			if !errors.As(err, &e) || e.Field != "" || !strings.Contains(e.Problem, tt.problem) {
				t.Errorf("err = %#v, want a whole-file *Error containing %q", err, tt.problem)
			}
		})
	}
}

func TestAPrinterAddressWithoutPortGets9100(t *testing.T) {
	var doc map[string]any
	if err := json.Unmarshal([]byte(bases["printer"]), &doc); err != nil {
		t.Fatal(err)
	}
	edit(t, doc, "transport", map[string]any{"tcp": map[string]any{"address": "printer-2.venue.lan"}})
	edit(t, doc, "printer.status.dle_eot", false)
	edit(t, doc, "printer.status.timeout_ms", 0)
	data, _ := json.Marshal(doc)
	p, err := Parse("p.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if p.Transport.TCP.Address != "printer-2.venue.lan:9100" {
		t.Errorf("address = %q", p.Transport.TCP.Address)
	}
}

func TestLoadRefusesAFileOver64KiB(t *testing.T) {
	path := filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(path, []byte(bases["scanner"]+strings.Repeat("\n", MaxFileSize)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := Load(path)
	var e *Error
	if !errors.As(err, &e) || e.File != path || !strings.Contains(e.Problem, "64 KiB") {
		t.Errorf("Load = %v", err)
	}
	if _, err := Load(filepath.Join(t.TempDir(), "absent.json")); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func TestLoadDirKeepsGoodFilesAndNamesBadOnes(t *testing.T) {
	root := filepath.Join(t.TempDir(), "firmware-profiles")
	write := func(rel, data string) {
		t.Helper()
		path := filepath.Join(root, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("scanner/good.json", bases["scanner"])
	write("printer/misfiled.json", bases["scanner"])
	write("scanner/broken.json", `{"schema": 1`)
	write("top.json", bases["relay"])
	write("README.md", "# not a profile")

	profiles, errs := LoadDir(root)
	if _, ok := profiles["scanner/good"]; !ok || len(profiles) != 1 {
		t.Errorf("profiles = %v, want only scanner/good", keys(profiles))
	}
	want := map[string]string{
		"firmware-profiles/printer/misfiled.json": "kind",
		"firmware-profiles/scanner/broken.json":   "",
		"firmware-profiles/top.json":              "kind",
	}
	if len(errs) != len(want) {
		t.Fatalf("errs = %v, want one for each of %v", errs, want)
	}
	for _, err := range errs {
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("%v is not *Error", err)
		}
		field, ok := want[e.File]
		if !ok || e.Field != field {
			t.Errorf("unexpected error %v", err)
		}
	}
}

func keys(m map[string]Profile) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestFits(t *testing.T) {
	profiles, errs := LoadDir(shipped)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	tests := []struct {
		name    string
		profile string
		kind    string
		port    string
		want    error
	}{
		{"a serial scanner fits a scanner slot on its default device", "scanner/grow-gm65-uart", "scanner", "", nil},
		{"a serial scanner fits on a port from the config", "scanner/grow-gm65-uart", "scanner", "/dev/ttyACM0", nil},
		{"a scanner profile does not fit a printer slot", "scanner/grow-gm65-uart", "printer", "/dev/ttyUSB0", ErrWrongKind},
		{"an unknown slot kind is refused", "relay/lcus-1-usb-relay", "doorbell", "/dev/ttyUSB0", ErrWrongKind},
		{"a usb printer needs its port from the config", "printer/epson-tm-t88-80mm", "printer", "", ErrNoPort},
		{"a usb printer fits with a port", "printer/epson-tm-t88-80mm", "printer", "1-1.4", nil},
		{"a network printer without a host needs one from the config", "printer/network-escpos-80mm", "printer", "", ErrNoPort},
		{"a network printer fits with a host from the config", "printer/network-escpos-80mm", "printer", "10.1.2.3", nil},
		{"a network printer refuses a malformed address", "printer/network-escpos-80mm", "printer", "10.1.2.3:http", ErrBadPort},
		{"a relay fits a relay slot", "relay/lcus-1-usb-relay", "relay", "/dev/serial/by-id/usb-1a86_USB_Serial-if00-port0", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, ok := profiles[tt.profile]
			if !ok {
				t.Fatalf("no profile %s", tt.profile)
			}
			err := p.Fits(tt.kind, tt.port)
			if !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
				t.Errorf("Fits(%q, %q) = %v, want %v", tt.kind, tt.port, err, tt.want)
			}
			if err != nil && !strings.Contains(err.Error(), p.File) {
				t.Errorf("error %q does not name the profile %s", err, p.File)
			}
		})
	}

	p, err := Parse("firmware-profiles/rfid/x.json", []byte(bases["rfid"]))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.Fits("rfid", ""); !errors.Is(err, ErrNoPort) {
		t.Errorf("serial profile without a default device and no port: Fits = %v, want ErrNoPort", err)
	}
}

func TestTemplateRendersChannelAndSum(t *testing.T) {
	tpl, err := ParseTemplate("A0{ch}01{sum}")
	if err != nil {
		t.Fatal(err)
	}
	if got := tpl.Render(3); !bytes.Equal(got, []byte{0xa0, 0x03, 0x01, 0xa4}) {
		t.Errorf("Render(3) = % x, want a0 03 01 a4", got)
	}
	if sum := 0xa0 + 0x70 + 0x01; tpl.Render(0x70)[3] != byte(sum&0xff) {
		got := tpl.Render(0x70)
		t.Errorf("sum does not wrap: % x", got)
	}
	if tpl.String() != "a0 {ch} 01 {sum}" {
		t.Errorf("String = %q", tpl.String())
	}
	if _, err := ParseTemplate("{sum}"); err == nil {
		t.Error("template without {ch} accepted")
	}
}
