package push

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"
)

// ErrInvalidEndpoint marks an endpoint URL that cannot be used for the
// protocol.
var ErrInvalidEndpoint = errors.New("push: invalid endpoint")

// ErrPrivateEndpoint marks an endpoint that is, or resolves to, an address
// inside the cluster's network: loopback, private, link-local (including
// the 169.254.169.254 metadata service), unspecified, multicast or
// reserved.
var ErrPrivateEndpoint = errors.New("push: endpoint address is not public")

// resolveTimeout bounds CheckEndpoint's DNS lookup.
const resolveTimeout = 2 * time.Second

// blockedPrefixes are the ranges an endpoint may not reach unless private
// endpoints are allowed, with the word used in errors.
var blockedPrefixes = []struct {
	prefix netip.Prefix
	kind   string
}{
	{netip.MustParsePrefix("0.0.0.0/8"), "unspecified"},
	{netip.MustParsePrefix("10.0.0.0/8"), "private"},
	{netip.MustParsePrefix("100.64.0.0/10"), "shared (carrier-grade NAT)"},
	{netip.MustParsePrefix("127.0.0.0/8"), "loopback"},
	{netip.MustParsePrefix("169.254.0.0/16"), "link-local"},
	{netip.MustParsePrefix("172.16.0.0/12"), "private"},
	{netip.MustParsePrefix("192.0.0.0/24"), "reserved"},
	{netip.MustParsePrefix("192.168.0.0/16"), "private"},
	{netip.MustParsePrefix("198.18.0.0/15"), "reserved"},
	{netip.MustParsePrefix("224.0.0.0/4"), "multicast"},
	{netip.MustParsePrefix("240.0.0.0/4"), "reserved"},
	{netip.MustParsePrefix("::/128"), "unspecified"},
	{netip.MustParsePrefix("::1/128"), "loopback"},
	{netip.MustParsePrefix("fc00::/7"), "private"},
	{netip.MustParsePrefix("fe80::/10"), "link-local"},
	{netip.MustParsePrefix("ff00::/8"), "multicast"},
}

// metadataAddr is the cloud instance metadata service, named in errors.
var metadataAddr = netip.MustParseAddr("169.254.169.254")

// nat64 is the well-known NAT64 prefix; its last 32 bits are an IPv4
// address that must pass the same check.
var nat64 = netip.MustParsePrefix("64:ff9b::/96")

// blockedKind returns why ip may not be an endpoint address, or "".
func blockedKind(ip netip.Addr) string {
	ip = ip.Unmap().WithZone("")
	if nat64.Contains(ip) {
		b := ip.As16()
		ip = netip.AddrFrom4([4]byte{b[12], b[13], b[14], b[15]})
	}
	if ip == metadataAddr {
		return "instance metadata"
	}
	for _, p := range blockedPrefixes {
		if p.prefix.Contains(ip) {
			return p.kind
		}
	}
	return ""
}

// checkIP returns an ErrPrivateEndpoint error when ip is blocked.
func checkIP(host string, ip netip.Addr) error {
	if kind := blockedKind(ip); kind != "" {
		if host == ip.String() {
			return fmt.Errorf("%w: %s (%s address)", ErrPrivateEndpoint, ip, kind)
		}
		return fmt.Errorf("%w: %s resolves to %s (%s address)", ErrPrivateEndpoint, host, ip, kind)
	}
	return nil
}

// CheckEndpoint validates an http or https subscription endpoint: the URL
// parses, its scheme is protocol and it names a host. Unless allowPrivate,
// it also refuses hosts that are, or resolve to, loopback, private
// (RFC 1918, fc00::/7), link-local, metadata, unspecified, multicast or
// reserved addresses, and the names localhost and *.localhost. Only
// non-IP hosts are resolved, with a short timeout; a name that does not
// resolve is accepted, since NewHTTPClient checks the address it actually
// connects to.
func CheckEndpoint(rawURL string, protocol string, allowPrivate bool) error {
	protocol = strings.ToLower(protocol)
	if protocol != "http" && protocol != "https" {
		return fmt.Errorf("%w: protocol %q is not http or https", ErrInvalidEndpoint, protocol)
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fmt.Errorf("%w: %v", ErrInvalidEndpoint, err)
	}
	if strings.ToLower(u.Scheme) != protocol {
		return fmt.Errorf("%w: endpoint must start with %s://", ErrInvalidEndpoint, protocol)
	}
	host := u.Hostname()
	if host == "" {
		return fmt.Errorf("%w: endpoint has no host", ErrInvalidEndpoint)
	}
	if port := u.Port(); port != "" {
		if _, err := netip.ParseAddrPort("0.0.0.0:" + port); err != nil {
			return fmt.Errorf("%w: bad port %q", ErrInvalidEndpoint, port)
		}
	}
	if allowPrivate {
		return nil
	}
	if ip, err := netip.ParseAddr(host); err == nil {
		return checkIP(host, ip)
	}
	name := strings.TrimSuffix(strings.ToLower(host), ".")
	if name == "localhost" || strings.HasSuffix(name, ".localhost") {
		return fmt.Errorf("%w: %s (loopback name)", ErrPrivateEndpoint, host)
	}
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	addrs, err := net.DefaultResolver.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil
	}
	for _, ip := range addrs {
		if err := checkIP(host, ip); err != nil {
			return err
		}
	}
	return nil
}
