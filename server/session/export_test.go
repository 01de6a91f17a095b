package session

// ForgetVerifiedForTest empties the verified-token cache, so a benchmark
// measures signature verification.
func (j *JWT) ForgetVerifiedForTest() {
	j.mu.Lock()
	clear(j.verified)
	j.mu.Unlock()
}
