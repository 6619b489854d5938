package main

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/admitbox/admit/drivers/render"
)

func TestProfilesValidateShippedProfiles(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"profiles", "validate", "-dir", "../../firmware-profiles"}, &out); err != nil {
		t.Fatalf("shipped profiles: %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "ok  printer/epson-tm-t88-80mm  Seiko Epson TM-T88V (usb)\n") {
		t.Fatalf("no line for the Epson printer:\n%s", out.String())
	}
	for line := range strings.Lines(out.String()) {
		if !strings.HasPrefix(line, "ok  ") {
			t.Errorf("unexpected line %q", line)
		}
	}

	// Named files are validated alone.
	out.Reset()
	if err := run(context.Background(), []string{"profiles", "validate", "../../firmware-profiles/scanner/grow-gm65-uart.json"}, &out); err != nil {
		t.Fatalf("one named file: %v\n%s", err, out.String())
	}
	if got := out.String(); !strings.HasPrefix(got, "ok  scanner/grow-gm65-uart  ") || strings.Count(got, "\n") != 1 {
		t.Fatalf("one named file printed %q", got)
	}
}

func TestProfilesValidateReportsBrokenFiles(t *testing.T) {
	good, err := os.ReadFile("../../firmware-profiles/printer/epson-tm-t88-80mm.json")
	if err != nil {
		t.Fatal(err)
	}
	root := filepath.Join(t.TempDir(), "profiles")
	if err := os.MkdirAll(filepath.Join(root, "printer"), 0o755); err != nil {
		t.Fatal(err)
	}
	write := func(name string, data []byte) {
		t.Helper()
		if err := os.WriteFile(filepath.Join(root, "printer", name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("good.json", good)
	write("unknown.json", bytes.Replace(good, []byte(`"schema": 1,`), []byte(`"schema": 1, "colour": "red",`), 1))
	write("badhex.json", bytes.Replace(good, []byte(`"0x04b8"`), []byte(`"0xzz"`), 1))

	var out bytes.Buffer
	err = run(context.Background(), []string{"profiles", "validate", "-dir", root}, &out)
	if err == nil || err.Error() != "2 profiles have problems" {
		t.Fatalf("err = %v, want 2 profiles have problems\n%s", err, out.String())
	}
	got := out.String()
	for _, want := range []string{
		"ok  printer/good  Seiko Epson TM-T88V (usb)\n",
		"profiles/printer/unknown.json: colour: ",
		"profiles/printer/badhex.json: transport.usb.vendor_id: ",
	} {
		if !strings.Contains(got, want) {
			t.Errorf("output lacks %q:\n%s", want, got)
		}
	}

	// The same files named on the command line.
	out.Reset()
	err = run(context.Background(), []string{"profiles", "validate", filepath.Join(root, "printer", "badhex.json"), filepath.Join(root, "printer", "good.json")}, &out)
	if err == nil || err.Error() != "1 profile has problems" {
		t.Fatalf("named files: err = %v\n%s", err, out.String())
	}
	if !strings.Contains(out.String(), "badhex.json: transport.usb.vendor_id: ") || !strings.Contains(out.String(), "ok  printer/good  ") {
		t.Errorf("named files printed:\n%s", out.String())
	}

	if err := run(context.Background(), []string{"profiles", "validate", "-dir", filepath.Join(root, "missing")}, &out); err == nil {
		t.Error("a missing directory validated")
	}
	if err := run(context.Background(), []string{"profiles"}, &out); err == nil || !strings.Contains(err.Error(), "profiles validate") {
		t.Errorf("profiles without validate: %v", err)
	}
}

func TestPrintPreviewEnglishOnly(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticket.png")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"print-preview", "-out", path, "-english-only", "-venue", "Town Hall", "-price-cents", "1250", "-currency", "EUR"}, &out); err != nil {
		t.Fatal(err)
	}
	img := decodePNG(t, path)
	if w := img.Bounds().Dx(); w != 576 {
		t.Fatalf("width %d, want 576", w)
	}
	if !strings.Contains(out.String(), path) || !strings.Contains(out.String(), "576×") {
		t.Fatalf("print-preview said %q", out.String())
	}

	if err := run(context.Background(), []string{"print-preview", "-out", path, "-paper", "58", "-english-only"}, &out); err != nil {
		t.Fatal(err)
	}
	if w := decodePNG(t, path).Bounds().Dx(); w != 384 {
		t.Fatalf("58 mm width %d, want 384", w)
	}
}

func TestPrintPreviewChinese(t *testing.T) {
	font := os.Getenv(render.CJKFontEnv)
	if font == "" {
		font = render.DefaultCJKFont
	}
	if _, err := os.Stat(font); err != nil {
		t.Skip(render.ErrNoCJKFont)
	}
	path := filepath.Join(t.TempDir(), "ticket.png")
	var out bytes.Buffer
	if err := run(context.Background(), []string{"print-preview", "-out", path, "-paper", "58"}, &out); err != nil {
		t.Fatal(err)
	}
	if w := decodePNG(t, path).Bounds().Dx(); w != 384 {
		t.Fatalf("width %d, want 384", w)
	}
}

func TestPrintPreviewWithoutCJKFont(t *testing.T) {
	t.Setenv(render.CJKFontEnv, filepath.Join(t.TempDir(), "no-such-font.ttc"))
	path := filepath.Join(t.TempDir(), "ticket.png")
	err := run(context.Background(), []string{"print-preview", "-out", path}, new(bytes.Buffer))
	if !errors.Is(err, render.ErrNoCJKFont) || !strings.Contains(err.Error(), "fonts-noto-cjk") {
		t.Fatalf("err = %v, want the render package's missing-font error", err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a failed render left %s behind (%v)", path, err)
	}
}

func TestPrintPreviewRefusesBadFlags(t *testing.T) {
	path := filepath.Join(t.TempDir(), "ticket.png")
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-out", path, "-paper", "70"}, `-paper must be 58 or 80 (mm), not "70"`},
		{[]string{"-paper", "80"}, "needs -out"},
		{[]string{"-out", path, "-time", "tomorrow"}, "-time"},
	} {
		err := run(context.Background(), append([]string{"print-preview"}, tc.args...), new(bytes.Buffer))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%q: err = %v, want %q", tc.args, err, tc.want)
		}
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("a refused preview wrote %s", path)
	}
}

func decodePNG(t *testing.T, path string) image.Image {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return img
}
