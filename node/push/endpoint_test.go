package push

import (
	"errors"
	"net/netip"
	"testing"
)

// Every host here is an IP literal or a localhost name, so no test resolves
// a name through DNS or contacts an address.
func TestCheckEndpoint(t *testing.T) {
	cases := []struct {
		url, protocol string
		allowPrivate  bool
		want          error
	}{
		{"https://93.184.216.34/hook", "https", false, nil},
		{"http://93.184.216.34:8080/hook?x=1", "http", false, nil},
		{"HTTPS://93.184.216.34/", "HTTPS", false, nil},
		{"https://user:pass@93.184.216.34/", "https", false, nil},
		{"http://[2606:2800:220:1::248]/", "http", false, nil},

		{"http://93.184.216.34/", "https", false, ErrInvalidEndpoint},
		{"https://93.184.216.34/", "http", false, ErrInvalidEndpoint},
		{"ftp://93.184.216.34/", "ftp", false, ErrInvalidEndpoint},
		{"http:///path", "http", false, ErrInvalidEndpoint},
		{"not a url at all", "http", true, ErrInvalidEndpoint},
		{"http://93.184.216.34:99999/", "http", false, ErrInvalidEndpoint},
		{"http://%zz/", "http", false, ErrInvalidEndpoint},

		{"http://127.0.0.1/", "http", false, ErrPrivateEndpoint},
		{"http://127.9.9.9:8080/", "http", false, ErrPrivateEndpoint},
		{"http://[::1]:8080/", "http", false, ErrPrivateEndpoint},
		{"http://localhost:8080/", "http", false, ErrPrivateEndpoint},
		{"http://LocalHost./", "http", false, ErrPrivateEndpoint},
		{"http://api.localhost/", "http", false, ErrPrivateEndpoint},
		{"http://10.1.2.3/", "http", false, ErrPrivateEndpoint},
		{"http://172.16.0.1/", "http", false, ErrPrivateEndpoint},
		{"http://172.31.255.255/", "http", false, ErrPrivateEndpoint},
		{"http://192.168.1.1/", "http", false, ErrPrivateEndpoint},
		{"http://100.64.0.1/", "http", false, ErrPrivateEndpoint},
		{"http://169.254.169.254/latest/meta-data/", "http", false, ErrPrivateEndpoint},
		{"http://169.254.1.1/", "http", false, ErrPrivateEndpoint},
		{"http://0.0.0.0/", "http", false, ErrPrivateEndpoint},
		{"http://[::]/", "http", false, ErrPrivateEndpoint},
		{"http://[fd00:ec2::254]/", "http", false, ErrPrivateEndpoint},
		{"http://[fe80::1]/", "http", false, ErrPrivateEndpoint},
		{"http://[::ffff:127.0.0.1]/", "http", false, ErrPrivateEndpoint},
		{"http://[::ffff:169.254.169.254]/", "http", false, ErrPrivateEndpoint},
		{"http://[64:ff9b::a00:1]/", "http", false, ErrPrivateEndpoint},
		{"http://224.0.0.1/", "http", false, ErrPrivateEndpoint},
		{"http://255.255.255.255/", "http", false, ErrPrivateEndpoint},

		{"http://127.0.0.1:8080/", "http", true, nil},
		{"http://localhost/", "http", true, nil},
		{"http://169.254.169.254/", "http", true, nil},
		{"https://10.0.0.1/", "https", true, nil},
		{"http://internal-service/", "http", true, nil},
	}
	for _, c := range cases {
		err := CheckEndpoint(c.url, c.protocol, c.allowPrivate)
		if c.want == nil {
			if err != nil {
				t.Errorf("CheckEndpoint(%q, %q, %v) = %v", c.url, c.protocol, c.allowPrivate, err)
			}
			continue
		}
		if !errors.Is(err, c.want) {
			t.Errorf("CheckEndpoint(%q, %q, %v) = %v, want %v", c.url, c.protocol, c.allowPrivate, err, c.want)
		}
	}
}

func TestCheckEndpointMessages(t *testing.T) {
	err := CheckEndpoint("http://169.254.169.254/", "http", false)
	if err == nil || err.Error() != "push: endpoint address is not public: 169.254.169.254 (instance metadata address)" {
		t.Fatalf("metadata refusal reads: %v", err)
	}
	err = CheckEndpoint("http://localhost/", "http", false)
	if err == nil || err.Error() != "push: endpoint address is not public: localhost (loopback name)" {
		t.Fatalf("localhost refusal reads: %v", err)
	}
	if kind := blockedKind(netip.MustParseAddr("8.8.8.8")); kind != "" {
		t.Fatalf("public address blocked as %q", kind)
	}
}
