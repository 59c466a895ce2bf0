package catalog

import "testing"

func TestFormatMoney(t *testing.T) {
	tests := []struct {
		minor    int64
		currency string
		want     string
	}{
		{12000, "GBP", "£120.00"},
		{9550, "GBP", "£95.50"},
		{5, "GBP", "£0.05"},
		{0, "GBP", "£0.00"},
		{148000, "GBP", "£1,480.00"},
		{123456789, "EUR", "€1,234,567.89"},
		{1999, "USD", "$19.99"},
		{12000, "CHF", "120.00 CHF"},
		{-500, "GBP", "-£5.00"},
	}
	for _, tt := range tests {
		if got := FormatMoney(tt.minor, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%d, %s): got %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}
