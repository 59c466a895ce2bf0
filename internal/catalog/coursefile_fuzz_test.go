package catalog_test

import (
	"os"
	"path/filepath"
	"reflect"
	"testing"

	"plenary/demo"
	"plenary/internal/catalog"
)

// FuzzParseCourseFile checks that no input makes the parser panic, and that
// any course it accepts formats to a file that parses back to the same
// course and formats to the same bytes again.
func FuzzParseCourseFile(f *testing.F) {
	f.Add([]byte(minimalFile))
	f.Add([]byte(rulesFile))
	for _, b := range append(badFiles(f), hostileFiles(f)...) {
		if len(b.file) <= 64<<10 {
			f.Add([]byte(b.file))
		}
	}
	golden, _ := filepath.Glob("testdata/coursefile/*.md")
	for _, name := range golden {
		data, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, name := range demo.Names() {
		data, err := demo.Render(name, catalog.Date{Year: 2022, Month: 5, Day: 1})
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.ParseCourseFile("fuzz.md", data)
		if err != nil {
			if _, ok := err.(*catalog.FileError); !ok {
				t.Fatalf("got error %T %v, want a *catalog.FileError", err, err)
			}
			return
		}
		out := catalog.FormatCourseFile(c)
		back, err := catalog.ParseCourseFile("formatted.md", out)
		if err != nil {
			t.Fatalf("formatted file does not parse: %v\ninput:\n%q\nformatted:\n%s", err, data, out)
		}
		if !reflect.DeepEqual(back, c) {
			t.Fatalf("round trip: got %#v, want %#v\ninput:\n%q\nformatted:\n%s", back, c, data, out)
		}
		if again := catalog.FormatCourseFile(back); string(again) != string(out) {
			t.Fatalf("format is not a fixed point: got\n%s\nwant\n%s", again, out)
		}
	})
}
