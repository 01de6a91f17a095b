package client

import "errors"

// withLock runs f under the refresh lock: navigator.locks where the page has
// it, else the lock over the BroadcastChannel.
func (c *Client) withLock(f func(waited bool)) error {
	if l, ok := c.b.(Locker); ok {
		err := l.WithLock(LockName, f)
		if !errors.Is(err, errors.ErrUnsupported) {
			if err != nil {
				return wrap(ErrLock, err.Error())
			}
			return nil
		}
	}
	c.chanLock.run(f)
	return nil
}
