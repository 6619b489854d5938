package main

import (
	"bytes"
	"strings"
	"testing"
)

// TestUdevRulesNameEachUSBProfileByItsIDs: the rules give every raw USB
// device of the built-in profiles to the agent's group under a stable
// name, and a group name that could break out of the rule is refused.
func TestUdevRulesNameEachUSBProfileByItsIDs(t *testing.T) {
	var out bytes.Buffer
	if err := udevRules([]string{"-group", "admit-edge"}, &out); err != nil {
		t.Fatal(err)
	}
	want := `ATTR{idVendor}=="04b8", ATTR{idProduct}=="0202", MODE="0660", GROUP="admit-edge", SYMLINK+="admit/printer-epson-tm-t88-80mm"`
	if !strings.Contains(out.String(), want) {
		t.Fatalf("no rule for the Epson TM-T88 (USB 04b8:0202):\n%s", out.String())
	}
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		if !strings.HasPrefix(line, "#") && !strings.HasPrefix(line, `SUBSYSTEM=="usb"`) {
			t.Errorf("a line that is neither a comment nor a USB rule: %q", line)
		}
	}
	if err := udevRules([]string{"-group", `admit", RUN+="/bin/sh`}, &out); err == nil {
		t.Fatal("a group name with quotes was accepted")
	}
}
