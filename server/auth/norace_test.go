//go:build !race

package auth_test

// raceDetector is whether the tests run under the race detector (see
// race_test.go).
const raceDetector = false
