//go:build race

package auth_test

// raceDetector is whether the tests run under the race detector, whose
// sync.Pool drops objects at random: allocation counts mean nothing there.
const raceDetector = true
