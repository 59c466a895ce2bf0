package catalog

import (
	"strconv"
	"strings"
)

// currencySymbols are the currencies written with a symbol before the
// amount; others are written "120.00 CHF".
var currencySymbols = map[string]string{"GBP": "£", "EUR": "€", "USD": "$"}

// FormatMoney writes an amount in minor units, e.g. 12000 GBP → "£120.00",
// 150000 GBP → "£1,500.00", 12000 CHF → "120.00 CHF".
func FormatMoney(minor int64, currency string) string {
	neg := minor < 0
	if neg {
		minor = -minor
	}
	units := strconv.FormatInt(minor/100, 10)
	// Group thousands.
	var b strings.Builder
	for i, r := range units {
		if i > 0 && (len(units)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	num := b.String() + "." + strconv.FormatInt(100+minor%100, 10)[1:]
	sign := ""
	if neg {
		sign = "-"
	}
	if sym, ok := currencySymbols[currency]; ok {
		return sign + sym + num
	}
	return sign + num + " " + currency
}
