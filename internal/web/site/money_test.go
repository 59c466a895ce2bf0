package site

import (
	"strings"
	"testing"

	"plenary/internal/catalog"
)

func TestFeeSummary(t *testing.T) {
	gbp := func(name string, amount int64) catalog.FeeTier {
		return catalog.FeeTier{Name: name, Amount: amount, Currency: "GBP"}
	}
	tests := []struct {
		name string
		fees []catalog.FeeTier
		want string
	}{
		{"no fees", nil, "Free"},
		{"zero fee", []catalog.FeeTier{gbp("Standard", 0)}, "Free"},
		{"one fee", []catalog.FeeTier{gbp("Standard", 12000)}, "£120.00"},
		{"two fees", []catalog.FeeTier{gbp("Standard", 12000), gbp("NHS", 9500)}, "From £95.00"},
		{"free tier and a paid one", []catalog.FeeTier{gbp("Staff", 0), gbp("External", 15000)}, "Free or from £150.00"},
		{"yen, which has no minor unit", []catalog.FeeTier{{Name: "Standard", Amount: 1200, Currency: "JPY"},
			{Name: "Members", Amount: 950, Currency: "JPY"}}, "From ¥950"},
	}
	for _, tt := range tests {
		if got := feeSummary(catalog.Course{Fees: tt.fees}); got != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestJoiningPromise(t *testing.T) {
	tests := []struct {
		days int
		want string
	}{
		{0, "Joining instructions are e-mailed before the course starts."},
		{1, "Joining instructions are e-mailed at least one working day before the course."},
		{2, "Joining instructions are e-mailed at least 2 working days before the course."},
	}
	for _, tt := range tests {
		if got := joiningPromise(tt.days); got != tt.want {
			t.Errorf("joiningPromise(%d): got %q, want %q", tt.days, got, tt.want)
		}
	}
}

func TestRenderMarkdown(t *testing.T) {
	tests := []struct{ in, want, notWant string }{
		{"**bold**", "<strong>bold</strong>", ""},
		{"# Title", "<h3", "<h1"},
		{"<script>alert(1)</script>", "", "<script"},
		{"[x](javascript:alert(1))", "", "javascript:"},
		{"<img src=x onerror=alert(1)>", "", "onerror"},
	}
	for _, tt := range tests {
		got := string(renderMarkdown(tt.in))
		if tt.want != "" && !strings.Contains(got, tt.want) {
			t.Errorf("renderMarkdown(%q): got %q, want %q in it", tt.in, got, tt.want)
		}
		if tt.notWant != "" && strings.Contains(got, tt.notWant) {
			t.Errorf("renderMarkdown(%q): got %q, want no %q", tt.in, got, tt.notWant)
		}
	}
}
