package session

// ForgetVerifiedForTest empties the verified-token cache, so a benchmark
// measures signature verification.
func (j *JWT) ForgetVerifiedForTest() {
	j.mu.Lock()
	j.verified.Clear()
	j.nVerified = 0
	j.mu.Unlock()
}
