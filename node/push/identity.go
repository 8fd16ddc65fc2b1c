package push

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"time"
)

// IdentityCommonName is the subject CN of the generated certificate.
const IdentityCommonName = "wharf-sns"

// identityLifetime is how long a generated certificate is valid.
const identityLifetime = 10 * 365 * 24 * time.Hour

// GenerateIdentity creates the cluster's signing identity: a 2048-bit RSA
// key (PKCS#8 PEM) and a self-signed x509 certificate for it (CN
// "wharf-sns", valid from an hour ago for ten years). The leader creates it
// once and replicates both PEM texts; the certificate is what
// SigningCertURL serves.
func GenerateIdentity() (keyPEM, certPEM string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", fmt.Errorf("push: generate key: %w", err)
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
	if err != nil {
		return "", "", fmt.Errorf("push: certificate serial: %w", err)
	}
	now := time.Now()
	template := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: IdentityCommonName},
		NotBefore:             now.Add(-time.Hour),
		NotAfter:              now.Add(identityLifetime),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		BasicConstraintsValid: true,
		IsCA:                  true,
	}
	der, err := x509.CreateCertificate(rand.Reader, template, template, &key.PublicKey, key)
	if err != nil {
		return "", "", fmt.Errorf("push: create certificate: %w", err)
	}
	pkcs8, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return "", "", fmt.Errorf("push: encode key: %w", err)
	}
	keyPEM = string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pkcs8}))
	certPEM = string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	return keyPEM, certPEM, nil
}
