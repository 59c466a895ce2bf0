package workdays

import (
	"reflect"
	"strings"
	"testing"
)

func TestParseOverrides(t *testing.T) {
	in := `# comment
   # indented comment

2022-09-19 all State funeral
2031-06-13	scotland,northern-ireland   Two   spaces
-2022-05-30 england-and-wales
-2022-05-31 all moved
`
	got, err := ParseOverrides("x.txt", strings.NewReader(in))
	if err != nil {
		t.Fatalf("ParseOverrides: %v", err)
	}
	want := []Override{
		{Date: day(2022, 9, 19), Regions: Regions(), Name: "State funeral", Source: "x.txt:4"},
		{Date: day(2031, 6, 13), Regions: []Region{Scotland, NorthernIreland}, Name: "Two spaces", Source: "x.txt:5"},
		{Date: day(2022, 5, 30), Regions: []Region{EnglandWales}, Remove: true, Source: "x.txt:6"},
		{Date: day(2022, 5, 31), Regions: Regions(), Name: "moved", Remove: true, Source: "x.txt:7"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("ParseOverrides:\ngot  %+v\nwant %+v", got, want)
	}
}

func TestParseOverridesErrors(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"2022-09-19", "x.txt:1: want"},
		{"\n\n2022-09-19 all", "x.txt:3: holiday on 2022-09-19 has no name"},
		{"2022-02-30 all Nope", `x.txt:1: "2022-02-30" is not a day of the calendar`},
		{"19/09/2022 all Nope", "is not a date in the form YYYY-MM-DD"},
		{"0222-09-19 all Typo", "year 222 is outside 1900-2999"},
		{"2022-09-19 wales Nope", `"wales" is not a region`},
		{"2022-09-19 all,scotland Nope", `"all" is not a region`},
		{"2022-09-19 scotland,scotland Nope", "region scotland is listed twice"},
		{"2022-09-19 all Bell\a", "control character U+0007"},
		{"2022-09-19 all \xff", "not valid UTF-8"},
		{"--2022-09-19 all x", "is not a date"},
		{"# fine\n2022-09-19 all " + strings.Repeat("x", 70_000), "x.txt:2: bufio.Scanner: token too long"},
	}
	for _, tc := range tests {
		_, err := ParseOverrides("x.txt", strings.NewReader(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOverrides(%.40q): got %v, want an error containing %q", tc.in, err, tc.want)
		}
	}
}

func TestDefaultOverridesParse(t *testing.T) {
	ovs := DefaultOverrides()
	if len(ovs) == 0 {
		t.Fatal("DefaultOverrides: got none")
	}
	for _, o := range ovs {
		if !strings.HasPrefix(o.Source, "overrides.txt:") {
			t.Errorf("override %s: source %q, want overrides.txt:N", o, o.Source)
		}
	}
}

func TestOverrideString(t *testing.T) {
	o := Override{Date: day(2022, 5, 30), Regions: []Region{Scotland}, Remove: true}
	if got, want := o.String(), "-2022-05-30 scotland"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
	o = Override{Date: day(2022, 9, 19), Regions: Regions(), Name: "Funeral"}
	if got, want := o.String(), "2022-09-19 all Funeral"; got != want {
		t.Errorf("String: got %q, want %q", got, want)
	}
}

// FuzzParseOverrides: any input either fails with a line-numbered error or
// gives overrides that write back as lines which parse to the same thing.
func FuzzParseOverrides(f *testing.F) {
	f.Add(defaultOverrides)
	f.Add("2022-09-19 all State funeral\n-2022-05-30 scotland,england-and-wales\n")
	f.Add("2022-02-30 all x")
	f.Add("#\n\n  2031-06-13\tnorthern-ireland  a\u00a0b ")
	f.Fuzz(func(t *testing.T, in string) {
		ovs, err := ParseOverrides("f", strings.NewReader(in))
		if err != nil {
			if !strings.HasPrefix(err.Error(), "workdays: f:") {
				t.Fatalf("error without file and line: %v", err)
			}
			return
		}
		var b strings.Builder
		for _, o := range ovs {
			if len(o.Regions) == 0 || (o.Name == "" && !o.Remove) {
				t.Fatalf("incomplete override %+v", o)
			}
			b.WriteString(o.String() + "\n")
		}
		again, err := ParseOverrides("f", strings.NewReader(b.String()))
		if err != nil {
			t.Fatalf("re-parse of %q: %v", b.String(), err)
		}
		if len(again) != len(ovs) {
			t.Fatalf("re-parse: got %d overrides, want %d", len(again), len(ovs))
		}
		for i := range ovs {
			a, b := ovs[i], again[i]
			a.Source, b.Source = "", ""
			if !reflect.DeepEqual(a, b) {
				t.Fatalf("re-parse: got %+v, want %+v", b, a)
			}
		}
	})
}
