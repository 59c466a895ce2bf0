package config

import (
	"slices"
	"strings"
	"testing"
	"time"

	"plenary/internal/account"
)

func TestStaffSessionSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionIdleTimeout != 30*time.Minute || c.SessionMaxAge != 12*time.Hour || len(c.TOTPRequiredRoles) != 0 {
		t.Fatalf("defaults: idle %v, max %v, roles %v", c.SessionIdleTimeout, c.SessionMaxAge, c.TOTPRequiredRoles)
	}
	c, err = Load(env(map[string]string{"PLENARY_SESSION_IDLE_TIMEOUT": "15m", "PLENARY_SESSION_MAX_AGE": "8h",
		"PLENARY_TOTP_REQUIRED_ROLES": " admin, finance ,admin"}))
	if err != nil {
		t.Fatal(err)
	}
	if c.SessionIdleTimeout != 15*time.Minute || c.SessionMaxAge != 8*time.Hour ||
		!slices.Equal(c.TOTPRequiredRoles, []account.Role{account.Admin, account.Finance}) {
		t.Fatalf("set: idle %v, max %v, roles %v", c.SessionIdleTimeout, c.SessionMaxAge, c.TOTPRequiredRoles)
	}
	for _, tt := range []struct {
		env  map[string]string
		want []string
	}{
		{map[string]string{"PLENARY_TOTP_REQUIRED_ROLES": "admin,root"}, []string{"PLENARY_TOTP_REQUIRED_ROLES", `"root"`}},
		{map[string]string{"PLENARY_SESSION_IDLE_TIMEOUT": "10s"}, []string{"PLENARY_SESSION_IDLE_TIMEOUT"}},
		{map[string]string{"PLENARY_SESSION_MAX_AGE": "1000h"}, []string{"PLENARY_SESSION_MAX_AGE"}},
		{map[string]string{"PLENARY_SESSION_IDLE_TIMEOUT": "2h", "PLENARY_SESSION_MAX_AGE": "1h"},
			[]string{"PLENARY_SESSION_IDLE_TIMEOUT (2h0m0s) is longer than PLENARY_SESSION_MAX_AGE"}},
	} {
		_, err := Load(env(tt.env))
		for _, w := range tt.want {
			if err == nil || !strings.Contains(err.Error(), w) {
				t.Errorf("%v: got %v, want an error with %s", tt.env, err, w)
			}
		}
	}
}
