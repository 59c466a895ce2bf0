package config

import (
	"strings"
	"testing"
)

// TestAttentionDigestAt checks PLENARY_ATTENTION_DIGEST_AT: off by
// default, a time of day when set, and a clear error for anything else.
func TestAttentionDigestAt(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.AttentionDigestAt != nil {
		t.Fatalf("default: %v, %v", c.AttentionDigestAt, err)
	}
	c, err = Load(env(map[string]string{"PLENARY_ATTENTION_DIGEST_AT": "07:30"}))
	if err != nil || c.AttentionDigestAt == nil || c.AttentionDigestAt.Minutes != 7*60+30 {
		t.Fatalf("07:30: %v, %v", c.AttentionDigestAt, err)
	}
	for _, bad := range []string{"7:30", "25:00", "morning"} {
		_, err := Load(env(map[string]string{"PLENARY_ATTENTION_DIGEST_AT": bad}))
		if err == nil || !strings.Contains(err.Error(), "PLENARY_ATTENTION_DIGEST_AT") {
			t.Errorf("%q: got %v", bad, err)
		}
	}
}
