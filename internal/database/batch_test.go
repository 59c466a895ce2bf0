package database_test

import (
	"strings"
	"testing"

	"plenary/internal/database"
)

func TestInBatches(t *testing.T) {
	values := make([]int64, 2*database.BatchSize+1)
	for i := range values {
		values[i] = int64(i)
	}
	var sizes []int
	var seen []int64
	err := database.InBatches(values, func(marks string, args []any) error {
		sizes = append(sizes, len(args))
		if got := strings.Count(marks, "$"); got != len(args) {
			t.Errorf("%d placeholders for %d values", got, len(args))
		}
		if !strings.HasPrefix(marks, "$1, $2") && len(args) > 1 {
			t.Errorf("placeholders start %q, want $1, $2", marks[:min(len(marks), 8)])
		}
		for _, a := range args {
			seen = append(seen, a.(int64))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(sizes) != 3 || sizes[0] != database.BatchSize || sizes[2] != 1 {
		t.Fatalf("batch sizes %v, want [%d %d 1]", sizes, database.BatchSize, database.BatchSize)
	}
	for i, v := range seen {
		if v != int64(i) {
			t.Fatalf("value %d is %d: order lost", i, v)
		}
	}
	calls := 0
	if err := database.InBatches([]string(nil), func(string, []any) error { calls++; return nil }); err != nil || calls != 0 {
		t.Fatalf("no values: %d calls, %v", calls, err)
	}
}
