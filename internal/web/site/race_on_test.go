//go:build race

package site

// raceOn: the race detector is on, and every frame is bigger.
const raceOn = true
