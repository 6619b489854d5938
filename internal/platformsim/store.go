package platformsim

import (
	"bufio"
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"crypto/x509"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/smx509"

	"github.com/admitbox/admit/cloud/report/wire"
)

// With Config.DataDir the platform keeps what it was told across restarts,
// as the real one does: its certificate authority, the systems, cinemas and
// films registered (platform.json, rewritten whole on each registration),
// and every message stored, duplicate copy, review and loss, appended to
// records.jsonl as it happens and replayed on start. Appends reach the
// operating system before the answer goes out (a killed simulator keeps
// them); they are not synced to the disk one by one.

const (
	stateFile   = "platform.json"
	recordsFile = "records.jsonl"
)

type savedState struct {
	CAKeyPEM  string        `json:"ca_key_pem"`
	CACertPEM string        `json:"ca_cert_pem"`
	Systems   []savedSystem `json:"systems"`
	Cinemas   []cinema      `json:"cinemas"`
	Films     []wire.Film   `json:"films"`
}

type savedSystem struct {
	Code      string    `json:"system_code"`
	Version   string    `json:"software_version"`
	Address   string    `json:"address"`
	Callback  string    `json:"callback_url,omitempty"`
	At        time.Time `json:"registered_at"`
	CertPEM   string    `json:"cert_pem"`
	SM2PubPEM string    `json:"sm2_public_key_pem"`
}

// logLine is one line of records.jsonl.
type logLine struct {
	Record    *Record    `json:"record,omitempty"`
	Duplicate string     `json:"duplicate,omitempty"` // a stored message's key, received again
	Forget    string     `json:"forget,omitempty"`
	Review    *savedView `json:"review,omitempty"`
}

type savedView struct {
	Key    string    `json:"key"`
	Review string    `json:"review"`
	Reason string    `json:"reason,omitempty"`
	At     time.Time `json:"at"`
}

// open loads what DataDir holds, or makes a new authority (and, with a
// DataDir, saves it).
func (s *Sim) open() error {
	dir := s.cfg.DataDir
	if dir == "" {
		ca, err := newAuthority(s.now())
		s.ca = ca
		return err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("platformsim: data dir: %w", err)
	}
	b, err := os.ReadFile(filepath.Join(dir, stateFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
		if s.ca, err = newAuthority(s.now()); err != nil {
			return err
		}
		if err := s.saveState(); err != nil {
			return err
		}
	case err != nil:
		return fmt.Errorf("platformsim: %w", err)
	default:
		if err := s.loadState(b); err != nil {
			return fmt.Errorf("platformsim: %s: %w", stateFile, err)
		}
	}
	if err := s.replay(filepath.Join(dir, recordsFile)); err != nil {
		return fmt.Errorf("platformsim: %s: %w", recordsFile, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, recordsFile), os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("platformsim: %w", err)
	}
	s.journal = f
	return nil
}

func (s *Sim) loadState(b []byte) error {
	var st savedState
	if err := json.Unmarshal(b, &st); err != nil {
		return err
	}
	cb, _ := pem.Decode([]byte(st.CACertPEM))
	kb, _ := pem.Decode([]byte(st.CAKeyPEM))
	if cb == nil || kb == nil {
		return errors.New("no CA certificate or key")
	}
	cert, err := x509.ParseCertificate(cb.Bytes)
	if err != nil {
		return err
	}
	key, err := x509.ParsePKCS8PrivateKey(kb.Bytes)
	if err != nil {
		return err
	}
	signer, ok := key.(crypto.Signer)
	if !ok {
		return errors.New("the CA key cannot sign")
	}
	s.ca = &authority{cert: cert, key: signer, pem: []byte(st.CACertPEM)}
	for _, x := range st.Systems {
		sys := &system{Code: x.Code, Version: x.Version, Address: x.Address, Callback: x.Callback, At: x.At}
		blk, _ := pem.Decode([]byte(x.CertPEM))
		if blk == nil {
			return fmt.Errorf("system %s: no certificate", x.Code)
		}
		if sys.cert, err = x509.ParseCertificate(blk.Bytes); err != nil {
			return fmt.Errorf("system %s: %w", x.Code, err)
		}
		rk, ok := sys.cert.PublicKey.(*rsa.PublicKey)
		if !ok {
			return fmt.Errorf("system %s: the certificate holds no RSA key", x.Code)
		}
		sb, _ := pem.Decode([]byte(x.SM2PubPEM))
		if sb == nil {
			return fmt.Errorf("system %s: no SM2 key", x.Code)
		}
		pub, err := smx509.ParsePKIXPublicKey(sb.Bytes)
		if err != nil {
			return fmt.Errorf("system %s: %w", x.Code, err)
		}
		sk, ok := pub.(*ecdsa.PublicKey)
		if !ok {
			return fmt.Errorf("system %s: not an SM2 key", x.Code)
		}
		sys.keys = wire.Keys{RSA: rk, SM2: sk}
		s.systems[x.Code] = sys
	}
	for i := range st.Cinemas {
		c := st.Cinemas[i]
		s.cinemas[c.Code] = &c
	}
	s.films = st.Films
	return nil
}

// saveState writes platform.json whole (s.mu held, or before serving).
func (s *Sim) saveState() error {
	if s.cfg.DataDir == "" {
		return nil
	}
	kder, err := x509.MarshalPKCS8PrivateKey(s.ca.key)
	if err != nil {
		return err
	}
	st := savedState{CAKeyPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kder})), CACertPEM: string(s.ca.pem),
		Cinemas: []cinema{}, Films: s.films}
	for _, x := range s.systems {
		sder, err := smx509.MarshalPKIXPublicKey(x.keys.SM2)
		if err != nil {
			return err
		}
		st.Systems = append(st.Systems, savedSystem{Code: x.Code, Version: x.Version, Address: x.Address, Callback: x.Callback, At: x.At,
			CertPEM:   string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: x.cert.Raw})),
			SM2PubPEM: string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: sder}))})
	}
	for _, c := range s.cinemas {
		st.Cinemas = append(st.Cinemas, *c)
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	path := filepath.Join(s.cfg.DataDir, stateFile)
	tmp := path + ".tmp"
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return fmt.Errorf("platformsim: save: %w", err)
	}
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("platformsim: save: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("platformsim: save: %w", err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("platformsim: save: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		return fmt.Errorf("platformsim: save: %w", err)
	}
	return nil
}

// appendLog records one change (s.mu held).
func (s *Sim) appendLog(l logLine) {
	if s.journal == nil {
		return
	}
	b, err := json.Marshal(l)
	if err == nil {
		_, err = s.journal.Write(append(b, '\n'))
	}
	if err != nil {
		s.log.Error("platform simulator: keep a record", "err", err)
	}
}

// replay applies records.jsonl.
func (s *Sim) replay(path string) error {
	f, err := os.Open(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), wire.MaxMessage+1<<20)
	n := 0
	for sc.Scan() {
		n++
		var l logLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			// A line cut by a crash mid-write is the last one: stop there.
			s.log.Warn("platform simulator: a cut line in its records", "line", n, "err", err)
			break
		}
		switch {
		case l.Record != nil:
			rec := l.Record
			b, err := wire.NewBody(rec.Interface)
			if err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			if err := json.Unmarshal(rec.Body, b); err != nil {
				return fmt.Errorf("line %d: %w", n, err)
			}
			rec.body = b
			key := rec.System + "/" + rec.Serial
			s.received[key] = rec
			s.order = append(s.order, rec)
			if st, ok := b.(*wire.StatusReport); ok && s.cinemas[st.Cinema] != nil {
				s.cinemas[st.Cinema].Status = st.Status
			}
		case l.Duplicate != "":
			if rec := s.received[l.Duplicate]; rec != nil {
				rec.Duplicates++
			}
		case l.Forget != "":
			s.forget(l.Forget)
		case l.Review != nil:
			if rec := s.received[l.Review.Key]; rec != nil {
				at := l.Review.At
				rec.Review, rec.ReviewReason, rec.ReviewedAt = l.Review.Review, l.Review.Reason, &at
			}
		}
	}
	return sc.Err()
}
