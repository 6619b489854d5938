// Package platform is the cloud's HTTPS client of the national data
// platform: mutual TLS with the certificate the platform issued, every
// message signed, each communication sent up to the policy's number of
// times (cloud/report).
package platform

import (
	"bytes"
	"context"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/admitbox/admit/cloud/report"
	"github.com/admitbox/admit/cloud/report/wire"
)

// Config is how to reach the platform.
type Config struct {
	URL     string // https://host:port
	System  string // the system code the platform registered
	CertPEM []byte // the issued certificate
	KeyPEM  []byte // its RSA key
	CAPEM   []byte // the platform's certificate authority
	Signer  wire.Signer
	Policy  report.Policy
	Now     func() time.Time
}

// Client sends messages to the platform.
type Client struct {
	cfg  Config
	http *http.Client
}

// New checks the configuration and prepares the TLS client.
func New(cfg Config) (*Client, error) {
	if !strings.HasPrefix(cfg.URL, "https://") {
		return nil, fmt.Errorf("platform: %q is not an https URL", cfg.URL)
	}
	if cfg.System == "" || cfg.Signer == nil {
		return nil, errors.New("platform: the system code and a signer are required")
	}
	cert, err := tls.X509KeyPair(cfg.CertPEM, cfg.KeyPEM)
	if err != nil {
		return nil, fmt.Errorf("platform: the issued certificate and key: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(cfg.CAPEM) {
		return nil, errors.New("platform: no certificate in the platform's CA")
	}
	if cfg.Policy.Sends <= 0 {
		cfg.Policy = report.DefaultPolicy
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	tr := &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		MaxIdleConnsPerHost: maxConns, IdleConnTimeout: 90 * time.Second}
	return &Client{cfg: cfg, http: &http.Client{Transport: tr, Timeout: cfg.Policy.Timeout}}, nil
}

// maxConns is how many connections to the platform are kept open: more
// than the reporter's lanes (32), so a lane never waits on a new TLS
// handshake after an answer (a handshake costs more CPU than a report).
const maxConns = 64

// maxAnswer bounds what is read of an answer (downloads are the largest).
const maxAnswer = 16 << 20

// Seal signs a message once; every send of it is these bytes (§9.1.2:
// the sender resends the message), so a report can be sealed when it is
// planned and delivered later, at no signing cost on the way out.
func (c *Client) Seal(i wire.Interface, serial string, at time.Time, body any) ([]byte, error) {
	e, err := wire.Seal(c.cfg.Signer, c.cfg.System, i, serial, at, body)
	if err != nil {
		return nil, err
	}
	msg, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("platform: encode %s: %w", serial, err)
	}
	return msg, nil
}

// Send seals the message now and delivers it.
func (c *Client) Send(ctx context.Context, i wire.Interface, serial string, body any) report.Result {
	msg, err := c.Seal(i, serial, c.cfg.Now(), body)
	if err != nil {
		return report.Result{Outcome: report.Refused, Err: err}
	}
	return c.Deliver(ctx, i, serial, msg)
}

// Deliver is one communication: the sealed message sent until the
// platform answers or the policy's sends are spent. A send that gets no
// usable answer (no connection, a timeout, a 5xx, something that is not
// an answer) is sent again; an answer ends the communication.
func (c *Client) Deliver(ctx context.Context, i wire.Interface, serial string, msg []byte) report.Result {
	var res report.Result
	for res.Sends < c.cfg.Policy.Sends {
		if res.Sends > 0 {
			select {
			case <-time.After(c.cfg.Policy.Pause):
			case <-ctx.Done():
				res.Outcome, res.Err = report.Failed, ctx.Err()
				return res
			}
		}
		res.Sends++
		a, err := c.post(ctx, i, msg)
		if err != nil {
			res.Err = err
			if ctx.Err() != nil {
				break
			}
			continue
		}
		res.Answer, res.Err = a, nil
		switch {
		case a.OK:
			res.Outcome = report.Delivered
			return res
		case report.Retriable(a):
			res.Err = fmt.Errorf("platform: unavailable: %s", a.Reason)
			continue
		default:
			res.Outcome = report.Refused
			return res
		}
	}
	res.Outcome = report.Failed
	return res
}

// Films downloads the films screening in a period (§9.2.1).
func (c *Client) Films(ctx context.Context, from, to string) (wire.Films, error) {
	q := wire.FilmQuery{From: from, To: to}
	if err := q.Validate(); err != nil {
		return wire.Films{}, err
	}
	r := c.Send(ctx, wire.FilmDownload, fmt.Sprintf("F%d", c.cfg.Now().UnixNano()), q)
	if r.Outcome != report.Delivered {
		if r.Err == nil {
			r.Err = fmt.Errorf("%s: %s", r.Answer.Code, r.Answer.Reason)
		}
		return wire.Films{}, fmt.Errorf("platform: download films: %w", r.Err)
	}
	var fs wire.Films
	if err := json.Unmarshal(r.Answer.Data, &fs); err != nil {
		return wire.Films{}, fmt.Errorf("platform: the films downloaded: %w", err)
	}
	for _, f := range fs.Films {
		if !wire.ValidFilmCode(f.Code) {
			return wire.Films{}, fmt.Errorf("platform: a downloaded film has the code %q", f.Code)
		}
	}
	return fs, nil
}

// Received downloads what the platform holds of a cinema's business day.
func (c *Client) Received(ctx context.Context, cinema, date string) (wire.Holdings, error) {
	q := wire.ReceivedQuery{Cinema: cinema, BusinessDate: date}
	if err := q.Validate(); err != nil {
		return wire.Holdings{}, err
	}
	r := c.Send(ctx, wire.ReceivedDownload, fmt.Sprintf("R%d", c.cfg.Now().UnixNano()), q)
	if r.Outcome != report.Delivered {
		if r.Err == nil {
			r.Err = fmt.Errorf("%s: %s", r.Answer.Code, r.Answer.Reason)
		}
		return wire.Holdings{}, fmt.Errorf("platform: download what it holds of %s %s: %w", cinema, date, r.Err)
	}
	var out wire.Holdings
	if err := json.Unmarshal(r.Answer.Data, &out); err != nil {
		return wire.Holdings{}, fmt.Errorf("platform: what it holds of %s %s: %w", cinema, date, err)
	}
	if out.Cinema != cinema || out.BusinessDate != date {
		return wire.Holdings{}, fmt.Errorf("platform: asked for %s %s, it answered %s %s", cinema, date, out.Cinema, out.BusinessDate)
	}
	return out, nil
}

// post sends the message once and reads the answer.
func (c *Client) post(ctx context.Context, i wire.Interface, msg []byte) (wire.Answer, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", c.cfg.URL+i.Path(), bytes.NewReader(msg))
	if err != nil {
		return wire.Answer{}, err
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return wire.Answer{}, fmt.Errorf("platform: send: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxAnswer))
	if err != nil {
		return wire.Answer{}, fmt.Errorf("platform: read the answer: %w", err)
	}
	if resp.StatusCode >= 500 {
		return wire.Answer{}, fmt.Errorf("platform: answered %s", resp.Status)
	}
	a, err := wire.ReadAnswer(b)
	if err != nil {
		return wire.Answer{}, fmt.Errorf("platform: %s: %w", resp.Status, err)
	}
	return a, nil
}

// Signer reads the issued key for the algorithm: an RSA key (PKCS #8 or
// PKCS #1 PEM) for RSA-SHA256, an SM2 key (PKCS #8 PEM) for SM2-SM3.
func Signer(alg string, rsaPEM, sm2PEM []byte) (wire.Signer, error) {
	switch alg {
	case "", wire.AlgRSA:
		blk, _ := pem.Decode(rsaPEM)
		if blk == nil {
			return nil, errors.New("platform: no PEM block in the RSA key")
		}
		k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			if k1, err1 := x509.ParsePKCS1PrivateKey(blk.Bytes); err1 == nil {
				return wire.RSASigner{Key: k1}, nil
			}
			return nil, fmt.Errorf("platform: the RSA key: %w", err)
		}
		rk, ok := k.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("platform: the key is a %T, not RSA", k)
		}
		return wire.RSASigner{Key: rk}, nil
	case wire.AlgSM2:
		blk, _ := pem.Decode(sm2PEM)
		if blk == nil {
			return nil, errors.New("platform: no PEM block in the SM2 key")
		}
		k, err := smx509.ParsePKCS8PrivateKey(blk.Bytes)
		if err != nil {
			return nil, fmt.Errorf("platform: the SM2 key: %w", err)
		}
		sk, ok := k.(*sm2.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("platform: the key is a %T, not SM2", k)
		}
		return wire.SM2Signer{Key: sk}, nil
	}
	return nil, fmt.Errorf("platform: unknown signature algorithm %q", alg)
}
