package auth

import "time"

// SetStreamReleased makes s call f each time an event stream ends and its
// slots are given back, so tests wait for that instead of sleeping.
func SetStreamReleased(s *Server, f func()) {
	s.hub.mu.Lock()
	s.hub.released = f
	s.hub.mu.Unlock()
}

// SetDirect makes the Handlers built from now on answer paths in front of
// their router (nil: none), until restore is called.
func SetDirect(paths []string) (restore func()) {
	old := direct
	direct = paths
	return func() { direct = old }
}

// SetStreamWriteTimeout makes every event stream's writes time out after d,
// until the returned function puts the default back.
func SetStreamWriteTimeout(d time.Duration) (restore func()) {
	old := writeTimeout
	writeTimeout = d
	return func() { writeTimeout = old }
}
