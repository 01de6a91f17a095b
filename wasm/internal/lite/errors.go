package lite

// Wrap returns err with a detail, as fmt.Errorf("%w: %s", err, detail)
// does: its message is err's, ": " and the detail, and errors.Is and
// errors.As see err.
func Wrap(err error, detail string) error { return &detailError{err, detail} }

type detailError struct {
	err    error
	detail string
}

func (e *detailError) Error() string { return e.err.Error() + ": " + e.detail }

func (e *detailError) Unwrap() error { return e.err }
