package config

import "strings"

// Markdown writes the settings as the README's Configuration table: the
// variable, its default and what it does, with the _FILE variant of each
// secret. TestREADMETable keeps README.md equal to it.
func Markdown() string {
	var b strings.Builder
	b.WriteString("| variable | default | meaning |\n|---|---|---|\n")
	for _, s := range settings {
		def := s.DefaultDoc
		switch {
		case def != "":
		case s.Default != "":
			def = "`" + s.Default + "`"
		default:
			def = "none"
		}
		help := s.Help
		if s.Secret {
			help += " `" + s.Name + "_FILE` reads it from a file (for secrets)."
		}
		b.WriteString("| `" + s.Name + "` | " + def + " | " + help + " |\n")
	}
	return b.String()
}
