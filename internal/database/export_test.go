package database

import (
	"context"
	"io/fs"
	"strconv"
	"testing/fstest"
)

// MigrateBefore applies the embedded migrations (SQL and Go) numbered below version,
// for tests that put data in an older schema and then migrate it.
func (db *DB) MigrateBefore(ctx context.Context, version int) error {
	files := fstest.MapFS{}
	err := fs.WalkDir(db.migrationFiles(), ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if n, _ := strconv.Atoi(name[:4]); n < version {
			data, err := fs.ReadFile(db.migrationFiles(), name)
			files[name] = &fstest.MapFile{Data: data}
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	src := migrationSource{files: files}
	for _, m := range goMigrations {
		if m.version < int64(version) {
			src.code = append(src.code, m)
		}
	}
	_, err = db.migrate(ctx, src)
	return err
}
