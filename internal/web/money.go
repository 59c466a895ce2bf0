package web

import (
	"slices"
	"strconv"
	"strings"

	"plenary/internal/catalog"
)

// currencySymbols are the currencies written with a symbol before the
// amount; others are written "120.00 CHF".
var currencySymbols = map[string]string{"GBP": "£", "EUR": "€", "USD": "$"}

// formatMoney writes an amount in minor units, e.g. 12000 GBP → "£120.00",
// 150000 GBP → "£1,500.00", 12000 CHF → "120.00 CHF".
func formatMoney(minor int64, currency string) string {
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

// feeView is one fee tier as a page shows it.
type feeView struct {
	Name  string
	Price string
}

func feeViews(fees []catalog.FeeTier) []feeView {
	out := make([]feeView, len(fees))
	for i, f := range fees {
		out[i] = feeView{Name: f.Name, Price: priceLabel(f)}
	}
	return out
}

func priceLabel(f catalog.FeeTier) string {
	if f.Amount == 0 {
		return "Free"
	}
	return formatMoney(f.Amount, f.Currency)
}

// feeSummary is the fee in a few words for a catalogue card: "Free",
// "£120.00", or "From £95.00" when there are several prices.
func feeSummary(c catalog.Course) string {
	if c.Free() {
		return "Free"
	}
	var paid []catalog.FeeTier
	for _, f := range c.Fees {
		if f.Amount > 0 {
			paid = append(paid, f)
		}
	}
	lowest := slices.MinFunc(paid, func(a, b catalog.FeeTier) int { return int(a.Amount - b.Amount) })
	if len(c.Fees) == 1 {
		return priceLabel(lowest)
	}
	if len(paid) < len(c.Fees) {
		return "Free or from " + priceLabel(lowest)
	}
	return "From " + priceLabel(lowest)
}
