package web

import (
	"net"
	"net/http"
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
// with any forwarding header is treated as coming from outside.
func FromThisMachine(r *http.Request) bool {
	for _, h := range []string{"X-Forwarded-For", "Forwarded", "X-Real-Ip", "X-Forwarded-Host"} {
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
