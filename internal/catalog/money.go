package catalog

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"golang.org/x/text/currency"
)

// Money is an integer number of a currency's minor units (pence for GBP,
// yen for JPY, fils for BHD); how many decimals a currency has comes from
// ISO 4217 through golang.org/x/text/currency, never from an assumption
// of two.

// ErrUnknownCurrency is a currency code ISO 4217 does not know.
var ErrUnknownCurrency = errors.New("not a currency code")

// currencyCodeRE is how a code is written: three capital letters.
var currencyCodeRE = regexp.MustCompile(`^[A-Z]{3}$`)

// CurrencyDecimals returns how many decimals code's minor unit has: 2 for
// GBP, 0 for JPY, 3 for BHD.
func CurrencyDecimals(code string) (int, error) {
	u, err := currency.ParseISO(code)
	if err != nil || !currencyCodeRE.MatchString(code) {
		return 0, fmt.Errorf("%q is %w", code, ErrUnknownCurrency)
	}
	scale, _ := currency.Standard.Rounding(u)
	return scale, nil
}

// signFirst are the currencies written with their sign before the amount
// ("£120.00", "¥1,200"): those whose narrow sign a reader here takes for
// that currency alone. Others with a sign of their own in CLDR use it
// ("CA$120.00", "₩1,200"); the rest are written "120.000 BHD".
var signFirst = map[string]bool{"GBP": true, "EUR": true, "USD": true, "JPY": true}

// FormatMoney writes an amount in minor units with the currency's own
// decimals and thousands grouped: 12000 GBP → "£120.00", 1200 JPY →
// "¥1,200", 120500 BHD → "120.500 BHD", 12000 CHF → "120.00 CHF". A code
// ISO 4217 does not know is written with two decimals and the code.
func FormatMoney(minor int64, code string) string {
	sign := ""
	if minor < 0 {
		sign, minor = "-", -minor
	}
	decimals, err := CurrencyDecimals(code)
	if err != nil {
		return sign + groupedAmount(minor, 2) + " " + code
	}
	u := currency.MustParseISO(code)
	sym := fmt.Sprint(currency.Symbol(u))
	if signFirst[code] {
		sym = fmt.Sprint(currency.NarrowSymbol(u))
	}
	if sym == code {
		return sign + groupedAmount(minor, decimals) + " " + code
	}
	return sign + sym + groupedAmount(minor, decimals)
}

// groupedAmount writes minor units with decimals and a comma between
// thousands: 150000, 2 → "1,500.00".
func groupedAmount(minor int64, decimals int) string {
	units, frac, _ := strings.Cut(plainAmount(minor, decimals), ".")
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String()
}

// FormatAmount writes an amount in minor units as a plain decimal with
// exactly the currency's decimals, as course files hold it: 12000 GBP →
// "120.00", 1200 JPY → "1200", 120500 BHD → "120.500". A code ISO 4217
// does not know gets two decimals.
func FormatAmount(minor int64, code string) string {
	decimals, err := CurrencyDecimals(code)
	if err != nil {
		decimals = 2
	}
	if minor < 0 {
		return "-" + plainAmount(-minor, decimals)
	}
	return plainAmount(minor, decimals)
}

// plainAmount writes a non-negative amount with decimals places.
func plainAmount(minor int64, decimals int) string {
	s := strconv.FormatInt(minor, 10)
	if decimals == 0 {
		return s
	}
	if len(s) <= decimals {
		s = strings.Repeat("0", decimals-len(s)+1) + s
	}
	return s[:len(s)-decimals] + "." + s[len(s)-decimals:]
}

// amountRE is a plain, non-negative decimal: digits, then optionally a
// point and digits. The number of decimals is checked against the
// currency after.
var amountRE = regexp.MustCompile(`^([0-9]{1,12})(?:\.([0-9]+))?$`)

// ParseAmount reads a plain decimal amount in the currency code, written
// with exactly the currency's decimals or as a whole amount without any:
// "120.00" or "120" GBP → 12000; "1200" JPY → 1200; "120.500" BHD →
// 120500. It refuses "1200.00" JPY and "120.5" GBP. The text is read as
// written, never through a float; the error says how the currency's
// amounts are written.
func ParseAmount(s, code string) (int64, error) {
	decimals, err := CurrencyDecimals(code)
	if err != nil {
		return 0, err
	}
	m := amountRE.FindStringSubmatch(s)
	if m == nil || (m[2] != "" && len(m[2]) != decimals) {
		return 0, errors.New(AmountRule(code))
	}
	whole, _ := strconv.ParseInt(m[1], 10, 64)
	frac, _ := strconv.ParseInt("0"+m[2], 10, 64)
	return whole*pow10(decimals) + frac, nil
}

// AmountRule says how an amount in code is written in a course file, for
// messages: "must be an amount in GBP with two decimals, such as "120.00"".
func AmountRule(code string) string {
	decimals, err := CurrencyDecimals(code)
	if err != nil {
		decimals = 2
	}
	switch decimals {
	case 0:
		return fmt.Sprintf("must be a whole amount in %s, which has no minor unit, such as %q", code, "1200")
	case 1:
		return fmt.Sprintf("must be an amount in %s with one decimal, such as %q", code, "120.0")
	}
	return fmt.Sprintf("must be an amount in %s with %s decimals, such as %q", code,
		map[int]string{2: "two", 3: "three", 4: "four"}[decimals], plainAmount(120*pow10(decimals), decimals))
}

func pow10(n int) int64 {
	p := int64(1)
	for range n {
		p *= 10
	}
	return p
}
