package main

import (
	"os/user"

	"plenary/internal/audit"
)

// operator is whoever runs this command, as the audit log names them:
// their login name on this machine, when it can be found.
func operator() audit.Actor {
	name := ""
	if u, err := user.Current(); err == nil {
		name = u.Username
	}
	return audit.CommandLine(name)
}
