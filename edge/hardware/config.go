// Package hardware is the edge agent's side of its devices: the device
// config (which firmware profile and which port each device slot uses),
// checked against the device's role and the profile set before the agent
// starts, and the devices opened from it: the kiosk's ticket printer, and
// the gate's readers and barrier. It chooses transports and wraps the
// drivers with reconnection; the decisions stay in edge/gate and
// edge/kiosk.
//
// It may import the drivers, the edge cache types and the standard
// library. It must not import the agent, the simulators (outside tests) or
// anything cloud-side.
package hardware

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"slices"
	"strings"

	firmwareprofiles "github.com/admitbox/admit/firmware-profiles"

	"github.com/admitbox/admit/drivers/profile"
)

// ConfigFile is the device config's name in the agent's data dir.
const ConfigFile = "devices.json"

// Slot names a device: the profile key ("<kind>/<model>", as
// `admit-edge profiles validate` lists them) and the port it is reached
// at (a serial device path, a printer's "host" or "host:port", a USB
// place "BUS-PORT.PORT"); an empty port takes the profile's default.
type Slot struct {
	Profile string `json:"profile"`
	Port    string `json:"port,omitempty"`
}

// RelaySlot is a relay board opening the gate: which channel opens it
// for a passage in and which for one out (1-based; may be the same).
type RelaySlot struct {
	Slot
	InChannel  int `json:"in_channel"`
	OutChannel int `json:"out_channel"`
}

// Config is the device config file.
type Config struct {
	// Profiles is a firmware-profiles directory; empty means the profiles
	// built into the agent.
	Profiles string `json:"profiles,omitempty"`

	Printer   *Slot      `json:"printer,omitempty"`   // kiosk, pos
	Scanner   *Slot      `json:"scanner,omitempty"`   // gate
	RFID      *Slot      `json:"rfid,omitempty"`      // gate
	IDCard    *Slot      `json:"idcard,omitempty"`    // gate: reads holders' ID cards at real-name sessions
	Turnstile *Slot      `json:"turnstile,omitempty"` // gate: a controller that reports passages
	Relay     *RelaySlot `json:"relay,omitempty"`     // gate: a relay board, no passage sensor
	// Direction is the way a person scanning at this gate passes: "in"
	// (default) or "out". A gate reader without a turnstile or relay is a
	// handheld: its admissions count at the scan.
	Direction string `json:"direction,omitempty"`
}

// maxConfigSize bounds the config file: it is a handful of lines.
const maxConfigSize = 64 << 10

// LoadConfig reads a device config. A missing file is no devices at all
// (an agent driven only through its local API); anything else wrong with
// the file is an error naming it.
func LoadConfig(path string) (Config, error) {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Config{}, nil
	}
	if err != nil {
		return Config{}, fmt.Errorf("hardware: %w", err)
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxConfigSize+1))
	if err != nil {
		return Config{}, fmt.Errorf("hardware: read %s: %w", path, err)
	}
	return ParseConfig(path, data)
}

// ParseConfig decodes a device config strictly: unknown fields and
// trailing data are refused.
func ParseConfig(name string, data []byte) (Config, error) {
	if len(data) > maxConfigSize {
		return Config{}, fmt.Errorf("hardware: %s: over %d KiB", name, maxConfigSize>>10)
	}
	var c Config
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&c); err != nil {
		return Config{}, fmt.Errorf("hardware: %s: %w", name, err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return Config{}, fmt.Errorf("hardware: %s: data after the config object", name)
	}
	return c, nil
}

// Device is a slot resolved to its profile.
type Device struct {
	Slot    string // "printer", "scanner", ...
	Profile profile.Profile
	Port    string
}

// Devices is a config checked against a role and a profile set.
type Devices struct {
	Printer   *Device
	Scanner   *Device
	RFID      *Device
	IDCard    *Device
	Turnstile *Device
	Relay     *Device
	RelayIn   int
	RelayOut  int
	Direction string // "in" or "out"
}

// ConfigError is a device config that does not fit the device: the file,
// the slot and what is wrong, so that the agent refuses to start with a
// message an installer can act on.
type ConfigError struct {
	File    string
	Slot    string
	Problem string
	Err     error
}

func (e *ConfigError) Error() string {
	var b strings.Builder
	b.WriteString("device config")
	if e.File != "" {
		b.WriteString(" " + e.File)
	}
	if e.Slot != "" {
		b.WriteString(": " + e.Slot)
	}
	b.WriteString(": " + e.Problem)
	return b.String()
}

func (e *ConfigError) Unwrap() error { return e.Err }

// Which slots each role has.
var roleSlots = map[string][]string{
	"kiosk": {profile.KindPrinter},
	"pos":   {profile.KindPrinter},
	"gate":  {profile.KindScanner, profile.KindRFID, profile.KindIDCard, profile.KindTurnstile, profile.KindRelay},
}

// LoadProfiles loads the profile set the config names: its directory, or the
// built-in profiles. Any bad profile file is an error: an agent should not
// start on a profile set with a broken file in it.
func (c Config) LoadProfiles(file string) (map[string]profile.Profile, error) {
	var (
		set  map[string]profile.Profile
		errs []error
	)
	if c.Profiles == "" {
		set, errs = profile.LoadFS(firmwareprofiles.FS, "firmware-profiles")
	} else {
		if fi, err := os.Stat(c.Profiles); err != nil || !fi.IsDir() {
			return nil, &ConfigError{File: file, Slot: "profiles", Problem: fmt.Sprintf("%q is not a directory", c.Profiles), Err: err}
		}
		set, errs = profile.LoadDir(c.Profiles)
	}
	if len(errs) > 0 {
		return nil, &ConfigError{File: file, Slot: "profiles", Problem: "bad firmware profiles", Err: errors.Join(errs...)}
	}
	return set, nil
}

// Resolve checks the config against the device's role and the profile
// set: each slot must be one the role has, name a profile of the slot's
// kind, and have a port the profile can use. file names the config in
// errors.
func (c Config) Resolve(file, role string, set map[string]profile.Profile) (Devices, error) {
	slots, ok := roleSlots[role]
	if !ok {
		return Devices{}, &ConfigError{File: file, Problem: fmt.Sprintf("unknown device role %q", role)}
	}
	d := Devices{Direction: "in"}
	switch c.Direction {
	case "", "in":
	case "out":
		d.Direction = "out"
	default:
		return Devices{}, &ConfigError{File: file, Slot: "direction", Problem: fmt.Sprintf("%q is not in or out", c.Direction)}
	}
	resolve := func(kind string, s *Slot) (*Device, error) {
		if s == nil {
			return nil, nil
		}
		if !slices.Contains(slots, kind) {
			return nil, &ConfigError{File: file, Slot: kind, Problem: fmt.Sprintf("a %s has no %s (its slots: %s)", role, kind, strings.Join(slots, ", "))}
		}
		p, ok := set[s.Profile]
		if !ok {
			return nil, &ConfigError{File: file, Slot: kind, Problem: fmt.Sprintf("no firmware profile %q (known %s profiles: %s)", s.Profile, kind, strings.Join(keysOf(set, kind), ", "))}
		}
		if err := p.Fits(kind, s.Port); err != nil {
			return nil, &ConfigError{File: file, Slot: kind, Problem: err.Error(), Err: err}
		}
		return &Device{Slot: kind, Profile: p, Port: s.Port}, nil
	}
	var err error
	if d.Printer, err = resolve(profile.KindPrinter, c.Printer); err != nil {
		return Devices{}, err
	}
	if d.Scanner, err = resolve(profile.KindScanner, c.Scanner); err != nil {
		return Devices{}, err
	}
	if d.RFID, err = resolve(profile.KindRFID, c.RFID); err != nil {
		return Devices{}, err
	}
	if d.IDCard, err = resolve(profile.KindIDCard, c.IDCard); err != nil {
		return Devices{}, err
	}
	if d.Turnstile, err = resolve(profile.KindTurnstile, c.Turnstile); err != nil {
		return Devices{}, err
	}
	if c.Relay != nil {
		if d.Relay, err = resolve(profile.KindRelay, &c.Relay.Slot); err != nil {
			return Devices{}, err
		}
		for _, ch := range []int{c.Relay.InChannel, c.Relay.OutChannel} {
			if _, err := d.Relay.Profile.Relay.Switch(ch, true); err != nil {
				return Devices{}, &ConfigError{File: file, Slot: "relay", Problem: err.Error(), Err: err}
			}
		}
		d.RelayIn, d.RelayOut = c.Relay.InChannel, c.Relay.OutChannel
	}
	if d.Turnstile != nil && d.Relay != nil {
		return Devices{}, &ConfigError{File: file, Slot: "relay", Problem: "a gate opens through a turnstile or a relay board, not both"}
	}
	return d, nil
}

func keysOf(set map[string]profile.Profile, kind string) []string {
	var out []string
	for k, p := range set {
		if p.Kind == kind {
			out = append(out, k)
		}
	}
	slices.Sort(out)
	return out
}
