package catalog_test

import (
	"reflect"
	"strings"
	"testing"

	"plenary/internal/catalog"
)

// TestCourseFileAmountsInTheCurrencysDecimals reads and writes fees in
// each currency's own decimals and refuses a wrong number of them,
// naming the line, the field and how the currency is written.
func TestCourseFileAmountsInTheCurrencysDecimals(t *testing.T) {
	fees := func(lines string) string {
		return editMinimal(t, "status: published", "status: published\nfees:\n"+lines)
	}
	file := fees("  - name: Standard\n    currency: JPY\n    amount: \"1200\"\n" +
		"  - name: Dinar\n    amount: \"120.500\"\n    currency: BHD\n" +
		"  - name: Pounds\n    amount: \"120.00\"\n")
	c, err := catalog.ParseCourseFile("fees.md", []byte(file))
	if err != nil {
		t.Fatal(err)
	}
	want := []catalog.FeeTier{{Name: "Standard", Amount: 1200, Currency: "JPY"}, {Name: "Dinar", Amount: 120500, Currency: "BHD"},
		{Name: "Pounds", Amount: 12000, Currency: "GBP"}}
	if !reflect.DeepEqual(c.Fees, want) {
		t.Fatalf("fees: got %+v, want %+v", c.Fees, want)
	}
	out := string(catalog.FormatCourseFile(c))
	for _, w := range []string{"amount: \"1200\"\n    currency: JPY", "amount: \"120.500\"\n    currency: BHD", "amount: \"120.00\"\n    currency: GBP"} {
		if !strings.Contains(out, w) {
			t.Errorf("export lacks %q:\n%s", w, out)
		}
	}

	for _, tt := range []struct {
		name, lines, want string
	}{
		{"JPY with decimals", "  - name: Standard\n    amount: \"1200.00\"\n    currency: JPY\n",
			`fees.md:7: fees[0].amount: must be a whole amount in JPY, which has no minor unit, such as "1200"`},
		{"GBP with three decimals", "  - name: Standard\n    amount: \"120.000\"\n",
			`fees.md:7: fees[0].amount: must be an amount in GBP with two decimals, such as "120.00"`},
		{"BHD with two decimals", "  - name: Standard\n    currency: BHD\n    amount: \"120.50\"\n",
			`fees.md:8: fees[0].amount: must be an amount in BHD with three decimals, such as "120.000"`},
		{"a code ISO 4217 does not know", "  - name: Standard\n    amount: \"120.00\"\n    currency: ABC\n",
			`fees.md:8: fees[0].currency: must be a three-letter code such as GBP`},
	} {
		_, err := catalog.ParseCourseFile("fees.md", []byte(fees(tt.lines)))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
}

// TestCourseFileRoundTripInEveryDecimals exports and imports a course
// with fees in currencies of zero, two and three decimals: nothing
// changes, and exporting again gives the same bytes.
func TestCourseFileRoundTripInEveryDecimals(t *testing.T) {
	c, err := catalog.ParseCourseFile("min.md", []byte(minimalFile))
	if err != nil {
		t.Fatal(err)
	}
	c.Fees = []catalog.FeeTier{{Name: "Yen", Amount: 1200, Currency: "JPY"}, {Name: "Pence", Amount: 5, Currency: "GBP"},
		{Name: "Fils", Amount: 7, Currency: "BHD"}, {Name: "Free", Currency: "JPY"}}
	first := catalog.FormatCourseFile(c)
	back, err := catalog.ParseCourseFile("export.md", first)
	if err != nil {
		t.Fatalf("export does not import: %v\n%s", err, first)
	}
	if !reflect.DeepEqual(back.Fees, c.Fees) {
		t.Errorf("fees: got %+v, want %+v", back.Fees, c.Fees)
	}
	if again := catalog.FormatCourseFile(back); string(again) != string(first) {
		t.Errorf("second export differs:\n%s\nfirst:\n%s", again, first)
	}
}
