// Package messages sends what the box office tells the public (event plan
// §6.1.11): lottery results, tickets issued, entry reminders, over SMS, a
// WeChat service account or the site's own inbox, each channel behind a
// Provider (simulators in sim.go).
//
// A message is rendered from a template (zh or en) when it is queued and
// stored with a key that names what it is about ("presale/7/A1B2/won"):
// queueing the same key again does nothing, so whatever triggers messages
// may do so as often as it likes. A sender sends the due ones at each
// channel's pace (its provider's rate limit), retries a failure with
// backoff and gives up after MaxAttempts; a person may queue a failed one
// again from the portal.
//
// This file holds the types and rendering, free of I/O.
package messages

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Channel is how a message reaches a person.
type Channel string

const (
	SMS    Channel = "sms"
	WeChat Channel = "wechat"
	Inbox  Channel = "inbox" // the site's own messages
)

// Channels lists every channel.
func Channels() []Channel { return []Channel{SMS, WeChat, Inbox} }

// State is where a message is.
type State string

const (
	Queued State = "queued"
	Sent   State = "sent"
	Failed State = "failed" // gave up; a person may queue it again
)

// MaxAttempts is how often a message is tried before it is Failed.
const MaxAttempts = 5

// Message is one message to one person.
type Message struct {
	ID       int64   `json:"id"`
	TenantID int64   `json:"tenant_id"`
	Channel  Channel `json:"channel"`
	// Recipient is the phone number, the WeChat openid or the account;
	// sealed when stored, shown masked.
	Recipient string     `json:"recipient"`
	Template  string     `json:"template"`
	Lang      string     `json:"lang"`
	Body      string     `json:"body"` // rendered; sealed when stored
	Key       string     `json:"key"`  // what it is about: one message per key
	State     State      `json:"state"`
	Attempts  int        `json:"attempts"`
	LastError string     `json:"last_error,omitempty"`
	Ref       string     `json:"provider_ref,omitempty"`
	CreatedAt time.Time  `json:"created_at"`
	NextAt    time.Time  `json:"next_at"`
	SentAt    *time.Time `json:"sent_at,omitempty"`
}

// Request asks for a message: which template to which person about what.
type Request struct {
	TenantID  int64
	Channel   Channel
	Recipient string
	Template  string
	Lang      string // zh (default) or en
	Vars      map[string]string
	Key       string
}

// Template is a message's text in each language, with {{name}} variables.
type Template struct {
	Name string
	Text map[string]string // lang -> text
}

// Built-in templates. Variables a template names must be given.
var templates = map[string]Template{
	"presale.won": {Name: "presale.won", Text: map[string]string{
		"zh": "【{{org}}】恭喜您在「{{presale}}」预售抽签中签：{{quantity}} 张，已扣款 {{amount}}。选座与出票将另行通知。申请号 {{ref}}。",
		"en": "[{{org}}] You won the {{presale}} presale draw: {{quantity}} tickets, {{amount}} charged. We will tell you when seats are given. Application {{ref}}.",
	}},
	"presale.lost": {Name: "presale.lost", Text: map[string]string{
		"zh": "【{{org}}】很遗憾，您在「{{presale}}」预售抽签中未中签，预授权已撤销，款项不会扣除。申请号 {{ref}}。",
		"en": "[{{org}}] Your application to the {{presale}} presale was not drawn. The authorisation is released: nothing is charged. Application {{ref}}.",
	}},
	"presale.choose": {Name: "presale.choose", Text: map[string]string{
		"zh": "【{{org}}】「{{presale}}」选座已开放：请在 {{until}} 前为您的 {{quantity}} 张票选座，逾期系统自动分配。{{link}}",
		"en": "[{{org}}] Choose your seats for the {{presale}} presale: {{quantity}} tickets, by {{until}}; after that we assign them. {{link}}",
	}},
	"tickets.issued": {Name: "tickets.issued", Text: map[string]string{
		"zh": "【{{org}}】您的 {{quantity}} 张票已出票：{{seats}}。取票码 {{pickup}}，凭证件入场。",
		"en": "[{{org}}] Your {{quantity}} tickets are issued: {{seats}}. Pickup code {{pickup}}; bring your ID to enter.",
	}},
	"account.code": {Name: "account.code", Text: map[string]string{
		"zh": "【{{org}}】您的验证码是 {{code}}，5 分钟内有效。请勿告诉他人。",
		"en": "[{{org}}] Your code is {{code}}. It is valid for 5 minutes; do not share it.",
	}},
	"sale.open": {Name: "sale.open", Text: map[string]string{
		"zh": "【{{org}}】「{{event}}」{{starts}} 场已开售，先到先得：{{link}}",
		"en": "[{{org}}] {{event}} ({{starts}}) is on sale now: {{link}}",
	}},
	"session.reminder": {Name: "session.reminder", Text: map[string]string{
		"zh": "【{{org}}】提醒：「{{event}}」将于 {{starts}} 开始，请提前到场，凭证件入场。",
		"en": "[{{org}}] Reminder: {{event}} starts at {{starts}}. Please come early and bring your ID.",
	}},
}

// Templates lists the built-in templates by name.
func Templates() []Template {
	out := make([]Template, 0, len(templates))
	for _, t := range templates {
		out = append(out, t)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Errors of rendering.
var (
	ErrTemplate = errors.New("messages: no such template")
	ErrVars     = errors.New("messages: a template's variable is missing")
	ErrRequest  = errors.New("messages: bad request")
)

// Render fills a template's text in lang (zh when lang is unknown) with
// vars; a variable the text names but vars lacks is an error, so no
// message goes out with a hole in it.
func Render(name, lang string, vars map[string]string) (string, string, error) {
	tp, ok := templates[name]
	if !ok {
		return "", "", fmt.Errorf("%w: %q", ErrTemplate, name)
	}
	if _, ok := tp.Text[lang]; !ok {
		lang = "zh"
	}
	text := tp.Text[lang]
	var b strings.Builder
	for {
		i := strings.Index(text, "{{")
		if i < 0 {
			b.WriteString(text)
			break
		}
		j := strings.Index(text[i:], "}}")
		if j < 0 {
			b.WriteString(text)
			break
		}
		name := text[i+2 : i+j]
		v, ok := vars[name]
		if !ok {
			return "", "", fmt.Errorf("%w: %s needs %q", ErrVars, tp.Name, name)
		}
		b.WriteString(text[:i])
		b.WriteString(v)
		text = text[i+j+2:]
	}
	return b.String(), lang, nil
}

// Make makes the message a request asks for, queued at now.
func Make(r Request, now time.Time) (Message, error) {
	switch {
	case r.Key == "" || len(r.Key) > 200:
		return Message{}, fmt.Errorf("%w: a message needs a key of at most 200 bytes", ErrRequest)
	case r.Recipient == "":
		return Message{}, fmt.Errorf("%w: no recipient", ErrRequest)
	}
	known := false
	for _, c := range Channels() {
		known = known || c == r.Channel
	}
	if !known {
		return Message{}, fmt.Errorf("%w: channel %q", ErrRequest, r.Channel)
	}
	body, lang, err := Render(r.Template, r.Lang, r.Vars)
	if err != nil {
		return Message{}, err
	}
	return Message{TenantID: r.TenantID, Channel: r.Channel, Recipient: r.Recipient, Template: r.Template, Lang: lang, Body: body,
		Key: r.Key, State: Queued, CreatedAt: now.UTC(), NextAt: now.UTC()}, nil
}

// Backoff is the wait after the attempt-th failure (from 1): 10 s doubling.
func Backoff(attempt int) time.Duration {
	d := 10 * time.Second
	for range min(attempt-1, 10) {
		d *= 2
	}
	return d
}

// Outcome moves a message after a send: sent, or queued again later, or
// failed for good after MaxAttempts.
func Outcome(m Message, ref string, err error, now time.Time) Message {
	m.Attempts++
	if err == nil {
		at := now.UTC()
		m.State, m.Ref, m.SentAt, m.LastError = Sent, ref, &at, ""
		return m
	}
	m.LastError = err.Error()
	if m.Attempts >= MaxAttempts || errors.Is(err, ErrPermanent) {
		m.State = Failed
		return m
	}
	m.NextAt = now.Add(Backoff(m.Attempts)).UTC()
	return m
}

// ErrPermanent marks a provider's refusal that no retry will change (a
// number that does not exist).
var ErrPermanent = errors.New("messages: refused for good")
