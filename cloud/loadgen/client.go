// Package loadgen drives a running cloud over real HTTP the way box-office
// clients do, and measures it: the engine behind `admit bench`.
package loadgen

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// Client is a small JSON client for the cloud API.
type Client struct {
	Base  string
	Token string
	HTTP  *http.Client
}

// NewHTTPClient returns an HTTP client tuned to keep conns connections alive.
func NewHTTPClient(conns int) *http.Client {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.MaxIdleConns = conns * 2
	t.MaxIdleConnsPerHost = conns * 2
	t.MaxConnsPerHost = 0
	return &http.Client{Transport: t, Timeout: 30 * time.Second}
}

// ForwardedFor makes c's requests say, as a trusted proxy would, that
// they come from addr.
func ForwardedFor(c *http.Client, addr string) *http.Client {
	cc := *c
	cc.Transport = forwarded{next: c.Transport, addr: addr}
	return &cc
}

type forwarded struct {
	next http.RoundTripper
	addr string
}

func (f forwarded) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("X-Forwarded-For", f.addr)
	return f.next.RoundTrip(r)
}

// APIError is a non-2xx answer.
type APIError struct {
	Status int
	Code   string
	Body   string
}

func (e *APIError) Error() string { return fmt.Sprintf("HTTP %d %s: %s", e.Status, e.Code, e.Body) }

// Do sends in as JSON (when non-nil) and decodes the answer into out; an
// out of type *[]byte gets the answer's bytes, for the caller to read.
func (c *Client) Do(ctx context.Context, method, path string, in, out any) error {
	var body io.Reader
	if in != nil {
		b, err := json.Marshal(in)
		if err != nil {
			return err
		}
		body = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, c.Base+path, body)
	if err != nil {
		return err
	}
	if in != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.Token != "" {
		req.Header.Set("Authorization", "Bearer "+c.Token)
	}
	resp, err := c.HTTP.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode >= 300 {
		var e struct {
			Error struct{ Code string } `json:"error"`
		}
		_ = json.Unmarshal(b, &e)
		return &APIError{Status: resp.StatusCode, Code: e.Error.Code, Body: string(b)}
	}
	if raw, ok := out.(*[]byte); ok {
		*raw = b
		return nil
	}
	if out != nil && len(b) > 0 {
		return json.Unmarshal(b, out)
	}
	return nil
}

// Login logs in and keeps the token.
func (c *Client) Login(ctx context.Context, user, password string) error {
	var res struct {
		Token string `json:"token"`
	}
	if err := c.Do(ctx, "POST", "/api/v1/auth/login", map[string]string{"username": user, "password": password}, &res); err != nil {
		return fmt.Errorf("login %s: %w", user, err)
	}
	c.Token = res.Token
	return nil
}
