package users

import "context"

// Hold runs fn while holding one hashing slot, so tests can show that the cap
// makes later hashes wait.
func (h *Hasher) Hold(fn func()) error {
	if err := h.acquire(context.Background()); err != nil {
		return err
	}
	defer h.release()
	fn()
	return nil
}
