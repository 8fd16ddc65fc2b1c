package push

import (
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/wharfmq/wharf/fsm/envelope"
)

var (
	identityOnce             sync.Once
	identityKey, identityCrt string
	identityErr              error
)

// testIdentity generates one identity for the whole test binary; RSA key
// generation is slow.
func testIdentity(t *testing.T) (keyPEM, certPEM string) {
	t.Helper()
	identityOnce.Do(func() { identityKey, identityCrt, identityErr = GenerateIdentity() })
	if identityErr != nil {
		t.Fatalf("GenerateIdentity: %v", identityErr)
	}
	return identityKey, identityCrt
}

func testSigner(t *testing.T) *Signer {
	t.Helper()
	key, _ := testIdentity(t)
	s, err := NewSigner(key)
	if err != nil {
		t.Fatalf("NewSigner: %v", err)
	}
	return s
}

func TestSignVerifyRoundTrip(t *testing.T) {
	s := testSigner(t)
	_, cert := testIdentity(t)
	for _, version := range []string{"1", "2", ""} {
		for _, e := range []*envelope.Envelope{awsNotification(), confirmation()} {
			e.Signature, e.SignatureVersion = "", ""
			if err := s.Sign(e, version); err != nil {
				t.Fatalf("Sign(%q): %v", version, err)
			}
			wantVersion := version
			if wantVersion == "" {
				wantVersion = "1"
			}
			if e.SignatureVersion != wantVersion || e.Signature == "" {
				t.Fatalf("Sign(%q) set version %q signature %q", version, e.SignatureVersion, e.Signature)
			}
			if err := Verify(e, cert); err != nil {
				t.Fatalf("Verify %s v%s: %v", e.Type, wantVersion, err)
			}

			tampered := *e
			tampered.Message += "!"
			if err := Verify(&tampered, cert); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("tampered Message verified: %v", err)
			}
			tampered = *e
			tampered.TopicArn += "x"
			if err := Verify(&tampered, cert); !errors.Is(err, ErrInvalidSignature) {
				t.Fatalf("tampered TopicArn verified: %v", err)
			}
			tampered = *e
			tampered.SigningCertURL = "https://elsewhere/cert.pem"
			if err := Verify(&tampered, cert); err != nil {
				t.Fatalf("SigningCertURL is not signed, yet changing it broke Verify: %v", err)
			}
		}
	}
}

func TestVerifyRefuses(t *testing.T) {
	s := testSigner(t)
	_, cert := testIdentity(t)
	e := awsNotification()
	if err := s.Sign(e, "1"); err != nil {
		t.Fatal(err)
	}

	wrongVersion := *e
	wrongVersion.SignatureVersion = "2"
	if err := Verify(&wrongVersion, cert); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("SHA1 signature verified as version 2: %v", err)
	}
	unknown := *e
	unknown.SignatureVersion = "3"
	if err := Verify(&unknown, cert); err == nil {
		t.Fatal("version 3 verified")
	}
	garbled := *e
	garbled.Signature = "%%%"
	if err := Verify(&garbled, cert); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("non-base64 signature: %v", err)
	}
	if err := Verify(e, "not a certificate"); err == nil {
		t.Fatal("Verify accepted a non-PEM certificate")
	}
	_, otherCert, err := GenerateIdentity()
	if err != nil {
		t.Fatal(err)
	}
	if err := Verify(e, otherCert); !errors.Is(err, ErrInvalidSignature) {
		t.Fatalf("another identity's certificate verified the signature: %v", err)
	}
	if err := s.Sign(&envelope.Envelope{Type: "Bogus"}, "1"); err == nil {
		t.Fatal("signed an unknown Type")
	}
	if err := s.Sign(awsNotification(), "3"); err == nil {
		t.Fatal("signed with version 3")
	}
}

// TestVerifyLikeSDKValidators checks a signed body the way the AWS SDK
// message validators do, independently of this package's envelope.Envelope: parse
// the POSTed JSON, rebuild the string to sign from the body's own fields
// for its Type, hash with SHA1 or SHA256 by SignatureVersion, and check the
// PKCS#1 v1.5 signature with the x509 certificate's public key.
func TestVerifyLikeSDKValidators(t *testing.T) {
	s := testSigner(t)
	_, certPEM := testIdentity(t)
	block, _ := pem.Decode([]byte(certPEM))
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	pub := cert.PublicKey.(*rsa.PublicKey)

	for _, version := range []string{"1", "2"} {
		for _, e := range []*envelope.Envelope{awsNotification(), confirmation()} {
			e.Message = "line one\nline \"two\" <&>"
			if err := s.Sign(e, version); err != nil {
				t.Fatal(err)
			}
			body, err := e.MarshalJSON()
			if err != nil {
				t.Fatal(err)
			}
			var msg map[string]any
			if err := json.Unmarshal(body, &msg); err != nil {
				t.Fatal(err)
			}
			keys := []string{"Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"}
			if msg["Type"] != envelope.TypeNotification {
				keys = []string{"Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"}
			}
			var text strings.Builder
			for _, k := range keys {
				v, ok := msg[k].(string)
				if !ok {
					continue // Subject is optional
				}
				text.WriteString(k + "\n" + v + "\n")
			}
			hash := crypto.SHA1
			sum := sha1.Sum([]byte(text.String()))
			digest := sum[:]
			if msg["SignatureVersion"] == "2" {
				hash = crypto.SHA256
				sum256 := sha256.Sum256([]byte(text.String()))
				digest = sum256[:]
			}
			sig, err := base64.StdEncoding.DecodeString(msg["Signature"].(string))
			if err != nil {
				t.Fatal(err)
			}
			if err := rsa.VerifyPKCS1v15(pub, hash, digest, sig); err != nil {
				t.Fatalf("SDK-style verification of a v%s %s failed: %v", version, e.Type, err)
			}
		}
	}
}

func TestGenerateIdentity(t *testing.T) {
	key, certPEM := testIdentity(t)
	if !strings.HasPrefix(key, "-----BEGIN PRIVATE KEY-----") {
		t.Fatalf("key is not PKCS#8 PEM: %.40q", key)
	}
	block, _ := pem.Decode([]byte(certPEM))
	if block == nil || block.Type != "CERTIFICATE" {
		t.Fatal("certificate is not PEM")
	}
	cert, err := x509.ParseCertificate(block.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	if cert.Subject.CommonName != IdentityCommonName {
		t.Fatalf("CN = %q", cert.Subject.CommonName)
	}
	if err := cert.CheckSignatureFrom(cert); err != nil {
		t.Fatalf("certificate is not self-signed: %v", err)
	}
	life := cert.NotAfter.Sub(time.Now())
	if life < 9*365*24*time.Hour || life > 11*365*24*time.Hour {
		t.Fatalf("certificate valid for %v", life)
	}
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok || pub.N.BitLen() != 2048 {
		t.Fatalf("certificate key is not RSA 2048: %T", cert.PublicKey)
	}
	s := testSigner(t)
	if !s.key.PublicKey.Equal(pub) {
		t.Fatal("certificate does not hold the key's public half")
	}
}

func TestNewSignerPKCS1(t *testing.T) {
	s := testSigner(t)
	pkcs1 := string(pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(s.key)}))
	s1, err := NewSigner(pkcs1)
	if err != nil {
		t.Fatalf("NewSigner(PKCS#1): %v", err)
	}
	_, cert := testIdentity(t)
	e := awsNotification()
	if err := s1.Sign(e, "2"); err != nil {
		t.Fatal(err)
	}
	if err := Verify(e, cert); err != nil {
		t.Fatalf("PKCS#1 signer's signature: %v", err)
	}
	for _, bad := range []string{"", "garbage", "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"} {
		if _, err := NewSigner(bad); err == nil {
			t.Fatalf("NewSigner(%q) succeeded", bad)
		}
	}
}

func confirmation() *envelope.Envelope {
	return &envelope.Envelope{
		Type:         envelope.TypeSubscriptionConfirmation,
		MessageID:    "165545c9-2a5c-472c-8df2-7ff2be2b3b1b",
		Token:        "2336412f37f",
		TopicArn:     "arn:aws:sns:us-west-2:123456789012:MyTopic",
		Message:      envelope.SubscriptionConfirmationMessage("arn:aws:sns:us-west-2:123456789012:MyTopic"),
		SubscribeURL: "https://sns.example/?Action=ConfirmSubscription&Token=2336412f37f",
		Timestamp:    "2012-04-26T20:45:04.751Z",
	}
}
