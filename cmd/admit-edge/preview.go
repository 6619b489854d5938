package main

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"image/png"
	"io"
	"os"
	"time"

	"github.com/admitbox/admit/drivers/escpos"
	"github.com/admitbox/admit/drivers/render"
)

// demoTicket is the ticket print-preview shows unless flags override a field.
var (
	demoChinese = escpos.TicketLayout{
		Venue: "国家大剧院", Hall: "歌剧厅", Event: "歌剧《图兰朵》 Turandot", Seat: "2楼 7排 12座",
	}
	demoEnglish = escpos.TicketLayout{
		Venue: "National Centre for the Performing Arts", Hall: "Opera House", Event: "Turandot", Seat: "Level 2, Row 7, Seat 12",
	}
)

const (
	demoTime   = "2026-03-14T19:30:00+08:00"
	demoNumber = "20260314000123456789"
	demoQR     = "ADM1.SYS042.V0815.20260314.20260314000123456789.S77.R07C12.DEMO"
)

// previewCmd runs "admit-edge print-preview": it lays out a ticket as the
// printer driver would and renders it to a PNG.
func previewCmd(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("admit-edge print-preview", flag.ContinueOnError)
	fs.SetOutput(out)
	path := fs.String("out", "", "the PNG file to write (required)")
	paper := fs.String("paper", "80", "paper width in mm: 58 or 80")
	qr := fs.String("qr", demoQR, "the QR payload")
	venue := fs.String("venue", "", "venue name (default: a demo venue)")
	event := fs.String("event", "", "event name (default: a demo event)")
	hall := fs.String("hall", "", "hall (default: a demo hall)")
	seat := fs.String("seat", "", "seat (default: a demo seat)")
	number := fs.String("number", demoNumber, "ticket number, also printed as a CODE128 bar code")
	price := fs.Int64("price-cents", 28000, "price in hundredths of the currency unit")
	currency := fs.String("currency", "CNY", "ISO 4217 currency code")
	when := fs.String("time", demoTime, "session time, RFC 3339")
	englishOnly := fs.Bool("english-only", false, "print English text and labels only (no Chinese mode, no CJK font needed)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *path == "" {
		return errors.New("print-preview needs -out FILE.png")
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("print-preview: unexpected arguments %q", fs.Args())
	}
	var p escpos.Paper
	switch *paper {
	case "58":
		p = escpos.Paper58
	case "80":
		p = escpos.Paper80
	default:
		return fmt.Errorf("print-preview: -paper must be 58 or 80 (mm), not %q", *paper)
	}
	session, err := time.Parse(time.RFC3339, *when)
	if err != nil {
		return fmt.Errorf("print-preview: -time: %w", err)
	}
	t := demoChinese
	if *englishOnly {
		t = demoEnglish
	}
	for _, f := range []struct {
		dst *string
		val string
	}{{&t.Venue, *venue}, {&t.Event, *event}, {&t.Hall, *hall}, {&t.Seat, *seat}} {
		if f.val != "" {
			*f.dst = f.val
		}
	}
	t.SessionTime = session
	t.PriceCents = *price
	t.Currency = *currency
	t.TicketNumber = *number
	t.QR = *qr

	job, err := escpos.TicketJob(t, p, escpos.Options{ChineseMode: !*englishOnly})
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := render.PNG(&buf, job, render.Options{Dots: p.DotsPerLine}); err != nil {
		return err
	}
	cfg, err := png.DecodeConfig(bytes.NewReader(buf.Bytes()))
	if err != nil {
		return fmt.Errorf("print-preview: rendered PNG: %w", err)
	}
	if err := os.WriteFile(*path, buf.Bytes(), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(out, "wrote %s: %d×%d px (%s paper), %d bytes\n", *path, cfg.Width, cfg.Height, p.Name, buf.Len())
	return nil
}
