package service

import (
	"fmt"
	"net/netip"
	"regexp"
	"strings"

	"github.com/outpost-soc/outpost/sdk"
)

// checkObservable checks one observable given through the API: its value
// must match its type and hold something. Fields are trimmed.
func checkObservable(field string, o sdk.Observable) (sdk.Observable, error) {
	line := func(name string, p *string) error {
		v, err := checkLine(field+"."+name, *p, MaxWordLen, false)
		*p = v
		return err
	}
	ip := func(name string, p *string) error {
		if err := line(name, p); err != nil || *p == "" {
			return err
		}
		if _, err := netip.ParseAddr(*p); err != nil {
			return InvalidField(field+"."+name, "%s.%s must be an IPv4 or IPv6 address, got %q", field, name, *p)
		}
		return nil
	}
	port := func(name string, p int) error {
		if p < 0 || p > 65535 {
			return InvalidField(field+"."+name, "%s.%s must be from 0 to 65535, got %d", field, name, p)
		}
		return nil
	}
	empty := func() error {
		return InvalidField(field, "%s of type %s has no field set", field, o.Type)
	}
	first := func(errs ...error) error {
		for _, e := range errs {
			if e != nil {
				return e
			}
		}
		return nil
	}
	switch {
	case o.Type == sdk.ObservableUser && o.User != nil:
		u := *o.User
		if err := first(line("name", &u.Name), line("email", &u.Email), line("domain", &u.Domain), line("user_id", &u.UserID)); err != nil {
			return o, err
		}
		if u == (sdk.User{}) {
			return o, empty()
		}
		return sdk.UserObservable(u), nil
	case o.Type == sdk.ObservableHost && o.Host != nil:
		h := *o.Host
		if err := first(line("hostname", &h.Hostname), ip("ip", &h.IP), line("os", &h.OS), line("mac", &h.MAC)); err != nil {
			return o, err
		}
		if h == (sdk.Host{}) {
			return o, empty()
		}
		return sdk.HostObservable(h), nil
	case o.Type == sdk.ObservableIP && o.IP != nil:
		a := o.IP.Address
		if err := ip("address", &a); err != nil {
			return o, err
		}
		if a == "" {
			return o, InvalidField(field+".address", "%s.address is required", field)
		}
		return sdk.IPObservable(a), nil
	case o.Type == sdk.ObservableDomain && o.Domain != nil:
		n := o.Domain.Name
		if err := line("name", &n); err != nil {
			return o, err
		}
		if !validDomain(n) {
			return o, InvalidField(field+".name", "%s.name must be a DNS name, got %q", field, n)
		}
		return sdk.DomainObservable(n), nil
	case o.Type == sdk.ObservableFile && o.File != nil:
		f := *o.File
		if err := first(line("name", &f.Name), line("path", &f.Path), hash(field, "md5", &f.MD5, 32),
			hash(field, "sha1", &f.SHA1, 40), hash(field, "sha256", &f.SHA256, 64)); err != nil {
			return o, err
		}
		if f.Size < 0 {
			return o, InvalidField(field+".size", "%s.size must not be negative", field)
		}
		if f == (sdk.File{}) {
			return o, empty()
		}
		return sdk.FileObservable(f), nil
	case o.Type == sdk.ObservableEmail && o.Email != nil:
		e := *o.Email
		if err := first(line("address", &e.Address), line("display_name", &e.DisplayName)); err != nil {
			return o, err
		}
		if !validEmail(e.Address) {
			return o, InvalidField(field+".address", "%s.address must be an email address, got %q", field, e.Address)
		}
		return sdk.EmailObservable(e), nil
	case o.Type == sdk.ObservableNetworkTraffic && o.NetworkTraffic != nil:
		n := *o.NetworkTraffic
		if err := first(ip("src_ip", &n.SrcIP), ip("dst_ip", &n.DstIP), port("src_port", n.SrcPort),
			port("dst_port", n.DstPort), line("protocol", &n.Protocol)); err != nil {
			return o, err
		}
		if n == (sdk.NetworkTraffic{}) {
			return o, empty()
		}
		return sdk.NetworkTrafficObservable(n), nil
	}
	return o, InvalidField(field+".type", "%s.type must be one of user, host, ip, domain, file, email, network_traffic", field)
}

var hexRE = regexp.MustCompile(`^[0-9a-fA-F]+$`)

func hash(field, name string, p *string, n int) error {
	v := strings.TrimSpace(*p)
	*p = v
	if v != "" && (len(v) != n || !hexRE.MatchString(v)) {
		return InvalidField(field+"."+name, "%s.%s must be %d hexadecimal digits", field, name, n)
	}
	return nil
}

var domainRE = regexp.MustCompile(`^([A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.)*[A-Za-z0-9_]([A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?\.?$`)

// validDomain accepts a DNS name of letters, digits, hyphens and
// underscores (seen in service records); internationalised names come as
// punycode.
func validDomain(s string) bool { return s != "" && len(s) <= 253 && domainRE.MatchString(s) }

// validEmail accepts local@domain: vendors report mailboxes as they saw
// them, so only the shape is checked.
func validEmail(s string) bool {
	local, domain, ok := strings.Cut(s, "@")
	return ok && local != "" && !strings.ContainsAny(s, " \t<>") && validDomain(domain) && len(s) <= 320
}

// iocTypes are the IOC types of API.md.
var iocTypes = []sdk.IOCType{sdk.IOCUnspecified, sdk.IOCDomain, sdk.IOCIPAddress, sdk.IOCEmail, sdk.IOCHash}

func iocTypeNames() string {
	names := make([]string, len(iocTypes))
	for i, t := range iocTypes {
		names[i] = string(t)
	}
	return strings.Join(names, ", ")
}

// checkIOCType normalises an IOC type given in any letter case; "" is
// UNSPECIFIED when allowEmpty.
func checkIOCType(field, t string, allowEmpty bool) (sdk.IOCType, error) {
	u := sdk.IOCType(strings.ToUpper(strings.TrimSpace(t)))
	if u == "" && allowEmpty {
		return sdk.IOCUnspecified, nil
	}
	for _, x := range iocTypes {
		if x == u {
			return u, nil
		}
	}
	return "", InvalidField(field, "%s must be one of %s, got %q", field, iocTypeNames(), t)
}

// checkIndicator checks an indicator against its type: an IP_ADDRESS must
// parse, a DOMAIN be a DNS name, an EMAIL have the shape of one and a HASH
// be an MD5, SHA-1, SHA-256 or SHA-512 in hex.
func checkIndicator(field, indicator string, t sdk.IOCType) (string, error) {
	v := strings.TrimSpace(indicator)
	switch {
	case v == "":
		return "", InvalidField(field, "%s is required", field)
	case len(v) > MaxIndicatorLen:
		return "", InvalidField(field, "%s is longer than %d bytes", field, MaxIndicatorLen)
	case strings.ContainsFunc(v, isControl):
		return "", InvalidField(field, "%s must not contain control characters", field)
	}
	bad := func(what string) error {
		return InvalidField(field, "%s of type %s must be %s, got %q", field, t, what, v)
	}
	switch t {
	case sdk.IOCIPAddress:
		if _, err := netip.ParseAddr(v); err != nil {
			return "", bad("an IPv4 or IPv6 address")
		}
	case sdk.IOCDomain:
		if !validDomain(v) {
			return "", bad("a DNS name")
		}
	case sdk.IOCEmail:
		if !validEmail(v) {
			return "", bad("an email address")
		}
	case sdk.IOCHash:
		switch len(v) {
		case 32, 40, 64, 128:
		default:
			return "", bad("an MD5, SHA-1, SHA-256 or SHA-512 in hexadecimal")
		}
		if !hexRE.MatchString(v) {
			return "", bad("an MD5, SHA-1, SHA-256 or SHA-512 in hexadecimal")
		}
	}
	return v, nil
}

func fieldAt(name string, i int) string { return fmt.Sprintf("%s[%d]", name, i) }
