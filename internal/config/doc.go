// Package config reads Plenary's settings from PLENARY_* environment
// variables into one Config and checks them, reporting every problem at
// once. Secrets may come from a file named by the _FILE variant of their
// variable.
package config
