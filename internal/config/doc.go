// Package config reads Plenary's settings from PLENARY_* environment
// variables into one typed Config.
//
// Every setting is declared once, in the table in settings.go: its name,
// default, parser, whether it is a secret, and its help text. Load (every
// problem reported at once; secrets also from the file their _FILE
// variable names), Values (`plenary config`, secrets masked) and the
// README's Configuration table (Markdown, checked by TestREADMETable) all
// come from that table. Values are parsed once into their types — the
// time zone as a *time.Location, the region as a workdays.Region, the
// holidays file read and checked, the joining time as a Clock, addresses
// checked — and zero means what the setting says it means ("0 turns it
// off"); the services take it with that meaning.
//
// config imports only leaf packages: workdays (regions and holidays) and
// messaging (its SMTP URL parser, the one grammar of PLENARY_SMTP_URL).
package config
