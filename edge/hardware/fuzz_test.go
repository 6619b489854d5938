package hardware_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/admitbox/admit/edge/hardware"
)

// FuzzParseConfig: any bytes either fail to parse or give a config that
// survives a round trip and that Resolve judges, for every role, without
// panicking.
func FuzzParseConfig(f *testing.F) {
	for _, s := range []string{
		`{}`,
		`{"printer": {"profile": "printer/snbc-bt-t080-kiosk-80mm", "port": "/dev/ttyS0"}}`,
		`{"printer": {"profile": "printer/network-escpos-80mm", "port": "10.0.0.5"}}`,
		`{"printer": {"profile": "printer/epson-tm-t88-80mm", "port": "1-1.4"}}`,
		`{"scanner": {"profile": "scanner/grow-gm65-uart"}, "turnstile": {"profile": "turnstile/tripod-serial-feedback", "port": "/dev/ttyUSB1"}, "direction": "out"}`,
		`{"rfid": {"profile": "rfid/dual-frequency-uart-reader", "port": "/dev/ttyUSB2"}, "relay": {"profile": "relay/lcus-1-usb-relay", "in_channel": 1, "out_channel": 1}}`,
		`{"profiles": "/etc/admit/firmware-profiles"}`,
	} {
		f.Add([]byte(s))
	}
	set := shipped(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := hardware.ParseConfig("devices.json", data)
		if err != nil {
			return
		}
		b, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		again, err := hardware.ParseConfig("devices.json", b)
		if err != nil || !reflect.DeepEqual(again, c) {
			t.Fatalf("round trip of %s: %+v, %v", b, again, err)
		}
		for _, role := range []string{"kiosk", "pos", "gate", "nope"} {
			c.Resolve("devices.json", role, set)
		}
	})
}
