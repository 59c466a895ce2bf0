package web

import (
	"io/fs"
	"testing/fstest"
)

// fstestMap is a small in-memory file system for template tests.
type fstestMap map[string]string

func (m fstestMap) fs() fs.FS {
	out := fstest.MapFS{}
	for k, v := range m {
		out[k] = &fstest.MapFile{Data: []byte(v)}
	}
	return out
}
