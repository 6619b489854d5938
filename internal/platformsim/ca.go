package platformsim

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"time"

	"github.com/emmansun/gmsm/sm2"
	"github.com/emmansun/gmsm/smx509"

	"github.com/admitbox/admit/cloud/report/wire"
)

// authority is the platform's certificate authority: it signs the
// platform's own server certificate and each system's reporting
// certificate (§8.2.2: a system gets its certificate from the platform).
type authority struct {
	cert *x509.Certificate
	key  crypto.Signer
	pem  []byte
}

func newAuthority(now time.Time) (*authority, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial(),
		Subject:               pkix.Name{CommonName: "National Film Data Platform (simulator) CA"},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.AddDate(10, 0, 0),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, fmt.Errorf("platformsim: CA certificate: %w", err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, err
	}
	return &authority{cert: cert, key: key, pem: pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})}, nil
}

func serial() *big.Int {
	n, _ := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 120))
	return n
}

// serverCert is the platform's HTTPS certificate for the given hosts.
func (a *authority) serverCert(now time.Time, hosts ...string) (tls.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: "platform-sim"},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	for _, h := range hosts {
		if ip := net.ParseIP(h); ip != nil {
			tmpl.IPAddresses = append(tmpl.IPAddresses, ip)
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, h)
		}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &key.PublicKey, a.key)
	if err != nil {
		return tls.Certificate{}, fmt.Errorf("platformsim: server certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key}, nil
}

// Issued is what a system receives when it registers: its reporting
// certificate and keys (RSA for TLS and RSA-SHA256, SM2 for SM2-SM3) and
// the platform's CA, all PEM.
type Issued struct {
	System  string `json:"system_code"`
	CertPEM string `json:"cert_pem"`
	KeyPEM  string `json:"key_pem"`     // RSA, PKCS #8
	SM2PEM  string `json:"sm2_key_pem"` // SM2, PKCS #8
	CAPEM   string `json:"ca_pem"`
}

// issue makes a system's certificate (CommonName = its code; valid for
// its registered host, so the system also serves the platform's queries
// with it) and keys.
func (a *authority) issue(now time.Time, system, host string) (Issued, *x509.Certificate, *rsa.PublicKey, *ecdsa.PublicKey, error) {
	fail := func(err error) (Issued, *x509.Certificate, *rsa.PublicKey, *ecdsa.PublicKey, error) {
		return Issued{}, nil, nil, nil, fmt.Errorf("platformsim: issue for %s: %w", system, err)
	}
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return fail(err)
	}
	sk, err := sm2.GenerateKey(rand.Reader)
	if err != nil {
		return fail(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: system, Organization: []string{"ticketing system"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth, x509.ExtKeyUsageServerAuth},
	}
	if ip := net.ParseIP(host); ip != nil {
		tmpl.IPAddresses = []net.IP{ip}
	} else if host != "" {
		tmpl.DNSNames = []string{host}
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &rk.PublicKey, a.key)
	if err != nil {
		return fail(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return fail(err)
	}
	rder, err := x509.MarshalPKCS8PrivateKey(rk)
	if err != nil {
		return fail(err)
	}
	sder, err := smx509.MarshalPKCS8PrivateKey(sk)
	if err != nil {
		return fail(err)
	}
	return Issued{
		System:  system,
		CertPEM: string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})),
		KeyPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: rder})),
		SM2PEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: sder})),
		CAPEM:   string(a.pem),
	}, cert, &rk.PublicKey, &sk.PublicKey, nil
}

// identity is the platform's own certificate and RSA key: it calls the
// systems' query interfaces with them (mutual TLS) and signs its queries.
func (a *authority) identity(now time.Time) (tls.Certificate, *rsa.PrivateKey, error) {
	rk, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber: serial(),
		Subject:      pkix.Name{CommonName: wire.PlatformSystem, Organization: []string{"National Film Data Platform (simulator)"}},
		NotBefore:    now.Add(-time.Hour),
		NotAfter:     now.AddDate(2, 0, 0),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, a.cert, &rk.PublicKey, a.key)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("platformsim: its own certificate: %w", err)
	}
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: rk}, rk, nil
}

// IssuedFiles are the paths Write put an Issued in.
type IssuedFiles struct {
	Cert, Key, SM2Key, CA string
}

// IssuedIn are the paths Write uses in dir, and whether they all exist.
func IssuedIn(dir string) (IssuedFiles, bool) {
	f := IssuedFiles{Cert: filepath.Join(dir, "cert.pem"), Key: filepath.Join(dir, "key.pem"), SM2Key: filepath.Join(dir, "sm2-key.pem"), CA: filepath.Join(dir, "ca.pem")}
	for _, p := range []string{f.Cert, f.Key, f.SM2Key, f.CA} {
		if _, err := os.Stat(p); err != nil {
			return f, false
		}
	}
	return f, true
}

// Write saves what a system was issued as PEM files in dir (private:
// 0600), as a system keeps them.
func (is Issued) Write(dir string) (IssuedFiles, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return IssuedFiles{}, err
	}
	f, _ := IssuedIn(dir)
	for path, content := range map[string]string{f.Cert: is.CertPEM, f.Key: is.KeyPEM, f.SM2Key: is.SM2PEM, f.CA: is.CAPEM} {
		if err := os.WriteFile(path, []byte(content), 0o600); err != nil {
			return IssuedFiles{}, err
		}
	}
	return f, nil
}
