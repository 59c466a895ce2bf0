package web

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"mime"
	"net/http"
	"path"
	"strings"
)

// staticFiles serves static/ under /static/{hash}/{name}. The hash is of
// the file's content, so a URL never changes meaning and browsers may keep
// the file for a year; a new release changes the URL.
type staticFiles struct {
	fsys   fs.FS // rooted at static/
	dev    bool
	hashes map[string]string // name → hash; nil in dev
}

func newStaticFiles(files fs.FS, dev bool) (*staticFiles, error) {
	sub, err := fs.Sub(files, "static")
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	sf := &staticFiles{fsys: sub, dev: dev}
	if dev {
		return sf, nil
	}
	sf.hashes = map[string]string{}
	err = fs.WalkDir(sub, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(sub, name)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		sf.hashes[name] = hex.EncodeToString(sum[:6])
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("web: static files: %w", err)
	}
	return sf, nil
}

// url returns the address of the static file name (e.g. "css/site.css").
func (sf *staticFiles) url(name string) string {
	if sf.dev {
		return "/static/dev/" + name
	}
	h, ok := sf.hashes[name]
	if !ok {
		h = "missing"
	}
	return "/static/" + h + "/" + name
}

// staticFile serves GET /static/{hash}/{name...}.
func (s *Server) staticFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("name")
	if !fs.ValidPath(name) || strings.HasPrefix(path.Base(name), ".") {
		s.NotFound(w, r)
		return
	}
	b, err := fs.ReadFile(s.static.fsys, name)
	if err != nil {
		s.NotFound(w, r)
		return
	}
	h := w.Header()
	ctype := mime.TypeByExtension(path.Ext(name))
	if ctype == "" {
		ctype = "application/octet-stream"
	}
	h.Set("Content-Type", ctype)
	if !s.static.dev && r.PathValue("hash") == s.static.hashes[name] {
		h.Set("Cache-Control", "public, max-age=31536000, immutable")
	} else {
		// An old or unknown hash (or dev mode): serve the current file
		// but do not let it stick.
		h.Set("Cache-Control", "no-cache")
	}
	w.Write(b)
}
