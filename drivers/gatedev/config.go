package gatedev

import (
	"fmt"

	"github.com/admitbox/admit/drivers/frame"
	"github.com/admitbox/admit/drivers/profile"
)

// LineConfig is the frame configuration of a scanner profile.
func LineConfig(p profile.Scanner) frame.LineConfig {
	return frame.LineConfig{
		Prefix:     p.Framing.Prefix,
		Terminator: p.Framing.Terminator,
		MaxLen:     p.Framing.MaxLen,
	}
}

// RFIDConfig is the frame configuration of an RFID profile. It refuses
// values a validated profile never holds rather than guess at them.
func RFIDConfig(p profile.RFID) (frame.RFIDConfig, error) {
	f := p.Frame
	cfg := frame.RFIDConfig{
		Start:     f.Start,
		End:       f.End,
		Checksum:  f.Checksum,
		TypeBytes: f.TypeBytes,
		UIDSizes:  f.UIDBytes,
	}
	switch f.Length {
	case "byte":
		cfg.Length = true
		switch f.LengthCovers {
		case "frame":
			cfg.LengthCoversFrame = true
		case "data":
		default:
			return frame.RFIDConfig{}, fmt.Errorf("gatedev: rfid length_covers %q is not frame or data", f.LengthCovers)
		}
	case "none":
	default:
		return frame.RFIDConfig{}, fmt.Errorf("gatedev: rfid length %q is not byte or none", f.Length)
	}
	switch f.ChecksumOver {
	case "len+data":
		cfg.ChecksumOverLen = true
	case "data", "":
	default:
		return frame.RFIDConfig{}, fmt.Errorf("gatedev: rfid checksum_over %q is not len+data or data", f.ChecksumOver)
	}
	return cfg, nil
}

// TurnstileConfig is the frame configuration of a turnstile profile.
func TurnstileConfig(p profile.Turnstile) frame.TurnstileConfig {
	return frame.TurnstileConfig{
		OpenIn:     p.Commands.OpenIn,
		OpenOut:    p.Commands.OpenOut,
		Status:     p.Commands.Status,
		PassageIn:  p.Responses.PassageIn,
		PassageOut: p.Responses.PassageOut,
		Alarm:      p.Responses.Alarm,
		OK:         p.Responses.OK,
	}
}
