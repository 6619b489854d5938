package wire

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"errors"
	"fmt"

	"github.com/emmansun/gmsm/sm2"
)

// The signature algorithms: RSA-SHA256 as §9.1.2 describes, and SM2 with
// SM3 (GB/T 32918.2, the default user id), which the platform's newer
// interfaces use.
const (
	AlgRSA = "RSA-SHA256"
	AlgSM2 = "SM2-SM3"
)

// Signer signs messages with a system's issued key.
type Signer interface {
	Alg() string
	Sign(msg []byte) ([]byte, error)
}

// Verifier checks a signature made with one of a system's keys.
type Verifier interface {
	Verify(alg string, msg, sig []byte) error
}

// RSASigner signs with RSA PKCS #1 v1.5 over SHA-256.
type RSASigner struct{ Key *rsa.PrivateKey }

func (s RSASigner) Alg() string { return AlgRSA }

func (s RSASigner) Sign(msg []byte) ([]byte, error) {
	h := sha256.Sum256(msg)
	return rsa.SignPKCS1v15(nil, s.Key, crypto.SHA256, h[:])
}

// SM2Signer signs with SM2 over SM3 of the message and the signer's Z value.
type SM2Signer struct{ Key *sm2.PrivateKey }

func (s SM2Signer) Alg() string { return AlgSM2 }

func (s SM2Signer) Sign(msg []byte) ([]byte, error) {
	return sm2.SignASN1(rand.Reader, s.Key, msg, sm2.NewSM2SignerOption(true, nil))
}

// Keys are the public keys a system was issued; either may be absent.
type Keys struct {
	RSA *rsa.PublicKey
	SM2 *ecdsa.PublicKey // on the SM2 curve
}

var errNoKey = errors.New("no key of that algorithm was issued to the sender")

// Verify checks sig over msg with the key of alg.
func (k Keys) Verify(alg string, msg, sig []byte) error {
	switch alg {
	case AlgRSA:
		if k.RSA == nil {
			return errNoKey
		}
		h := sha256.Sum256(msg)
		return rsa.VerifyPKCS1v15(k.RSA, crypto.SHA256, h[:], sig)
	case AlgSM2:
		if k.SM2 == nil {
			return errNoKey
		}
		if !sm2.VerifyASN1WithSM2(k.SM2, nil, msg, sig) {
			return errors.New("sm2: bad signature")
		}
		return nil
	}
	return fmt.Errorf("unknown algorithm %q", alg)
}
