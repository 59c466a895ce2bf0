package web

import (
	"net"
	"net/http"
	"net/netip"
	"strconv"
)

// IDParam reads a positive decimal ID written plainly ("12", not "012"
// or "+12"), as path values and ?event= carry them.
func IDParam(s string) (int64, bool) {
	id, err := strconv.ParseInt(s, 10, 64)
	return id, err == nil && id > 0 && strconv.FormatInt(id, 10) == s
}

// FromThisMachine reports whether r came straight from a loopback address.
// A proxy on the same machine also connects from loopback, so a request
// with any forwarding header is treated as coming from outside, and so is
// one from an address named in PLENARY_TRUSTED_PROXIES (a proxy that adds
// no header at all can only be told apart that way).
func (s *Server) FromThisMachine(r *http.Request) bool {
	if !fromLoopback(r) {
		return false
	}
	host, _, _ := net.SplitHostPort(r.RemoteAddr)
	if a, err := netip.ParseAddr(host); err == nil {
		for _, p := range s.proxies {
			if p.Contains(a.Unmap()) {
				return false
			}
		}
	}
	return true
}

// fromLoopback reports whether r came from a loopback address with no
// forwarding header.
func fromLoopback(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host", "X-Forwarded-Proto", "Via"} {
		if _, ok := r.Header[http.CanonicalHeaderKey(h)]; ok {
			return false
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
