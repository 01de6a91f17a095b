package auth

// SetStreamReleased makes s call f each time an event stream ends and its
// slots are given back, so tests wait for that instead of sleeping.
func SetStreamReleased(s *Server, f func()) {
	s.hub.mu.Lock()
	s.hub.released = f
	s.hub.mu.Unlock()
}
