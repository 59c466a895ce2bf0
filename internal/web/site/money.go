package site

import (
	"slices"

	"plenary/internal/catalog"
)

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
	return catalog.FormatMoney(f.Amount, f.Currency)
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
