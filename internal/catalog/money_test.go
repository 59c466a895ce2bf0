package catalog

import (
	"errors"
	"strings"
	"testing"
)

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
		// Currencies whose minor unit is not a hundredth.
		{1200, "JPY", "¥1,200"},
		{5, "JPY", "¥5"},
		{1500000, "KRW", "₩1,500,000"},
		{120500, "BHD", "120.500 BHD"},
		{5, "BHD", "0.005 BHD"},
		{1234567, "KWD", "1,234.567 KWD"},
		{-1200, "JPY", "-¥1,200"},
		// A sign of its own in CLDR, not taken for another currency's.
		{12000, "CAD", "CA$120.00"},
		// A code ISO 4217 does not know: two decimals and the code.
		{12000, "ABC", "120.00 ABC"},
	}
	for _, tt := range tests {
		if got := FormatMoney(tt.minor, tt.currency); got != tt.want {
			t.Errorf("FormatMoney(%d, %s): got %q, want %q", tt.minor, tt.currency, got, tt.want)
		}
	}
}

func TestCurrencyDecimals(t *testing.T) {
	for code, want := range map[string]int{"GBP": 2, "EUR": 2, "JPY": 0, "KRW": 0, "BHD": 3, "KWD": 3, "CLF": 4} {
		if got, err := CurrencyDecimals(code); err != nil || got != want {
			t.Errorf("%s: got %d, %v; want %d", code, got, err, want)
		}
	}
	for _, code := range []string{"", "gbp", "GB", "POUNDS", "ABC"} {
		if _, err := CurrencyDecimals(code); !errors.Is(err, ErrUnknownCurrency) {
			t.Errorf("%q: got %v, want ErrUnknownCurrency", code, err)
		}
	}
}

func TestAmountInTheCurrencysDecimals(t *testing.T) {
	good := []struct {
		text, currency string
		minor          int64
		canonical      string
	}{
		{"120.00", "GBP", 12000, "120.00"},
		{"120", "GBP", 12000, "120.00"},
		{"0.05", "GBP", 5, "0.05"},
		{"1200", "JPY", 1200, "1200"},
		{"0", "JPY", 0, "0"},
		{"120.500", "BHD", 120500, "120.500"},
		{"120", "BHD", 120000, "120.000"},
		{"0.005", "BHD", 5, "0.005"},
	}
	for _, tt := range good {
		got, err := ParseAmount(tt.text, tt.currency)
		if err != nil || got != tt.minor {
			t.Errorf("ParseAmount(%q, %s): got %d, %v; want %d", tt.text, tt.currency, got, err, tt.minor)
		}
		if s := FormatAmount(tt.minor, tt.currency); s != tt.canonical {
			t.Errorf("FormatAmount(%d, %s): got %q, want %q", tt.minor, tt.currency, s, tt.canonical)
		}
	}
	bad := []struct{ text, currency, msg string }{
		{"1200.00", "JPY", `whole amount in JPY, which has no minor unit, such as "1200"`},
		{"120.5", "GBP", `amount in GBP with two decimals, such as "120.00"`},
		{"120.000", "GBP", "two decimals"},
		{"120.50", "BHD", `amount in BHD with three decimals, such as "120.000"`},
		{"-1.00", "GBP", "two decimals"},
		{"1e3", "GBP", "two decimals"},
		{"1,200", "JPY", "whole amount"},
		{"", "GBP", "two decimals"},
		{"1.00", "ABC", "not a currency code"},
	}
	for _, tt := range bad {
		if _, err := ParseAmount(tt.text, tt.currency); err == nil || !strings.Contains(err.Error(), tt.msg) {
			t.Errorf("ParseAmount(%q, %s): got %v, want an error saying %q", tt.text, tt.currency, err, tt.msg)
		}
	}
}
