package client

// SSEParser exposes the event stream's parser to the tests of client_test.
type SSEParser = sseParser

// Feed is feed.
func (p *sseParser) Feed(text string) []string { return p.feed(text) }
