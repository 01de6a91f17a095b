// Package testgate holds a test's fake at a named step while the test acts.
// It is its own package, apart from internal/testenv, so a test binary that
// needs only this links none of the database clients: fuzzing instruments
// every package a test binary links, and each one slows every run of a
// target (docs/TESTING.md).
//
// The package is imported by tests only.
package testgate

import "sync"

// Gate holds one call of a test's fake at a named step, so a test can act
// while that call is in flight: Arm names the step; the first At of that
// step then closes Reached and blocks until Resume. Other steps, and the
// same step once taken, pass. The zero Gate is disarmed.
type Gate struct {
	mu      sync.Mutex
	step    string
	reached chan struct{}
	resume  chan struct{}
}

// Arm makes the next At(step) stop.
func (g *Gate) Arm(step string) {
	g.mu.Lock()
	g.step, g.reached, g.resume = step, make(chan struct{}), make(chan struct{})
	g.mu.Unlock()
}

// At stops the calling goroutine when step is armed, until Resume.
func (g *Gate) At(step string) {
	g.mu.Lock()
	if g.step != step {
		g.mu.Unlock()
		return
	}
	g.step = ""
	reached, resume := g.reached, g.resume
	g.mu.Unlock()
	close(reached)
	<-resume
}

// Reached is closed once a call has stopped at the armed step.
func (g *Gate) Reached() <-chan struct{} {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.reached
}

// Resume lets the stopped call go on.
func (g *Gate) Resume() {
	g.mu.Lock()
	resume := g.resume
	g.mu.Unlock()
	close(resume)
}
