package push

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"

	"github.com/wharfmq/wharf/fsm/envelope"
)

// Signature versions: "1" signs with SHA1withRSA (the AWS default), "2"
// with SHA256withRSA.
const (
	SignatureVersion1 = "1"
	SignatureVersion2 = "2"
)

// ErrInvalidSignature is returned by Verify when the signature does not
// match the envelope.
var ErrInvalidSignature = errors.New("push: invalid SNS message signature")

// digest hashes the canonical string with the hash of version.
func digest(e *envelope.Envelope, version string) (crypto.Hash, []byte, error) {
	text := []byte(envelope.StringToSign(e))
	switch version {
	case SignatureVersion1:
		sum := sha1.Sum(text)
		return crypto.SHA1, sum[:], nil
	case SignatureVersion2:
		sum := sha256.Sum256(text)
		return crypto.SHA256, sum[:], nil
	default:
		return 0, nil, fmt.Errorf("push: unsupported SignatureVersion %q", version)
	}
}

// Signer signs envelopes with the cluster's RSA key.
type Signer struct {
	key *rsa.PrivateKey
}

// NewSigner parses an RSA private key in PEM, PKCS#1 ("RSA PRIVATE KEY")
// or PKCS#8 ("PRIVATE KEY").
func NewSigner(keyPEM string) (*Signer, error) {
	block, _ := pem.Decode([]byte(keyPEM))
	if block == nil {
		return nil, errors.New("push: signing key is not PEM")
	}
	switch block.Type {
	case "RSA PRIVATE KEY":
		key, err := x509.ParsePKCS1PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("push: signing key: %w", err)
		}
		return &Signer{key: key}, nil
	case "PRIVATE KEY":
		parsed, err := x509.ParsePKCS8PrivateKey(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("push: signing key: %w", err)
		}
		key, ok := parsed.(*rsa.PrivateKey)
		if !ok {
			return nil, fmt.Errorf("push: signing key is %T, not RSA", parsed)
		}
		return &Signer{key: key}, nil
	default:
		return nil, fmt.Errorf("push: signing key has PEM type %q", block.Type)
	}
}

// Sign sets e.SignatureVersion and e.Signature (base64 PKCS#1 v1.5 over
// envelope.StringToSign). version is "1" (SHA1withRSA) or "2" (SHA256withRSA); ""
// means "1", the AWS default. Set every signed field first; SigningCertURL
// is not signed and may be set at any time.
func (s *Signer) Sign(e *envelope.Envelope, version string) error {
	if version == "" {
		version = SignatureVersion1
	}
	if e.Type != envelope.TypeNotification && !envelope.IsConfirmation(e.Type) {
		return fmt.Errorf("push: cannot sign envelope Type %q", e.Type)
	}
	hash, sum, err := digest(e, version)
	if err != nil {
		return err
	}
	sig, err := rsa.SignPKCS1v15(rand.Reader, s.key, hash, sum)
	if err != nil {
		return fmt.Errorf("push: sign: %w", err)
	}
	e.SignatureVersion = version
	e.Signature = base64.StdEncoding.EncodeToString(sig)
	return nil
}

// Verify checks e's signature against the RSA public key of the PEM
// certificate, the way an endpoint does after fetching SigningCertURL. It
// checks the signature only, not the certificate's chain or dates.
func Verify(e *envelope.Envelope, certPEM string) error {
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		return errors.New("push: signing certificate is not a PEM CERTIFICATE")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		return fmt.Errorf("push: signing certificate: %w", err)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return fmt.Errorf("push: signing certificate key is %T, not RSA", cert.PublicKey)
	}
	hash, sum, err := digest(e, e.SignatureVersion)
	if err != nil {
		return err
	}
	sig, err := base64.StdEncoding.DecodeString(e.Signature)
	if err != nil {
		return fmt.Errorf("%w: signature is not base64", ErrInvalidSignature)
	}
	if err := rsa.VerifyPKCS1v15(pub, hash, sum, sig); err != nil {
		return ErrInvalidSignature
	}
	return nil
}
