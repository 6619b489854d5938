package profile

import (
	"bytes"
	"encoding/json"
	"fmt"
	"time"
)

// MarshalJSON writes the profile in the file format, so a tool can write what
// Parse reads. File is not written; it names where a profile came from.
func (p Profile) MarshalJSON() ([]byte, error) {
	schema := p.Schema
	raw := fileJSON{
		Schema: &schema, Kind: p.Kind, Model: p.Model, Vendor: p.Vendor, Source: p.Source,
		Transport: &transportJSON{},
	}
	if s := p.Transport.Serial; s != nil {
		raw.Transport.Serial = &serialJSON{Device: s.Device, Baud: s.Baud, DataBits: s.DataBits, Parity: s.Parity, StopBits: s.StopBits, Flow: s.Flow}
	}
	if u := p.Transport.USB; u != nil {
		in := ""
		if u.EndpointIn != 0 {
			in = fmt.Sprintf("0x%02x", u.EndpointIn)
		}
		raw.Transport.USB = &usbJSON{
			VendorID: fmt.Sprintf("0x%04x", u.VendorID), ProductID: fmt.Sprintf("0x%04x", u.ProductID),
			Interface: u.Interface, EndpointOut: fmt.Sprintf("0x%02x", u.EndpointOut), EndpointIn: in,
		}
	}
	if t := p.Transport.TCP; t != nil {
		raw.Transport.TCP = &tcpJSON{Address: t.Address}
	}
	if r := p.Printer; r != nil {
		raw.Printer = &printerJSON{
			Dialect: r.Dialect, PaperMM: r.PaperMM, DotsPerLine: r.DotsPerLine, CharsPerLine: r.CharsPerLine,
			CodePage: r.CodePage, Chinese: r.Chinese, Cut: r.Cut,
			Status: printerStatusJSON{DLEEOT: r.Status.DLEEOT, TimeoutMS: toMS(r.Status.Timeout)},
			QR:     qrJSON{Model: r.QR.Model, MaxModule: r.QR.MaxModule},
		}
	}
	if r := p.Scanner; r != nil {
		raw.Scanner = &scannerJSON{
			Framing:     framingJSON{Prefix: formatHex(r.Framing.Prefix), Terminator: formatHex(r.Framing.Terminator), MaxLen: r.Framing.MaxLen},
			Symbologies: r.Symbologies,
		}
	}
	if r := p.RFID; r != nil {
		f := r.Frame
		raw.RFID = &rfidJSON{Frame: frameJSON{
			Start: formatHex([]byte{f.Start}), End: formatHex([]byte{f.End}),
			Length: f.Length, LengthCovers: f.LengthCovers, TypeBytes: f.TypeBytes, Checksum: f.Checksum, ChecksumOver: f.ChecksumOver, UIDBytes: f.UIDBytes,
		}}
	}
	if r := p.Turnstile; r != nil {
		raw.Turnstile = &turnstileJSON{
			Commands: turnstileCommandsJSON{OpenIn: formatHex(r.Commands.OpenIn), OpenOut: formatHex(r.Commands.OpenOut), Status: formatHex(r.Commands.Status)},
			Responses: turnstileResponsesJSON{
				PassageIn: formatHex(r.Responses.PassageIn), PassageOut: formatHex(r.Responses.PassageOut),
				Alarm: formatHex(r.Responses.Alarm), OK: formatHex(r.Responses.OK),
			},
			PulseMS: toMS(r.Pulse), PassageTimeoutMS: toMS(r.PassageTimeout),
		}
	}
	if r := p.Relay; r != nil {
		raw.Relay = &relayJSON{Channels: r.Channels, Commands: relayCommandJSON{On: r.On.String(), Off: r.Off.String()}, PulseMS: toMS(r.Pulse)}
	}
	if r := p.IDCard; r != nil {
		raw.IDCard = &idcardJSON{Protocol: r.Protocol, PollMS: toMS(r.Poll), AnswerMS: toMS(r.Answer)}
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(raw); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func toMS(d time.Duration) int { return int(d / time.Millisecond) }
