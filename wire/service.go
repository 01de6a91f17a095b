package wire

// The service API: what other Go services (package service) use to trust
// sessionguard's jwt-strategy sessions without a store of their own. Every
// request carries a service credential, `Authorization: Bearer <token>`,
// one of the server's -service-token-file lines.
const (
	// PathServiceIntrospect answers whether an access token's session is
	// live now (POST, ServiceIntrospectRequest → ServiceIntrospection).
	PathServiceIntrospect = "/api/service/introspect"
	// PathServiceRevocations is the revocation feed: Server-Sent Events
	// "ready", then "revoked" (ServiceRevocation) for every session or
	// user whose tokens died, and "resync" when events may have been lost
	// (forget what was learnt of live sessions). A comment heartbeat comes
	// every ServiceHeartbeatSeconds.
	PathServiceRevocations = "/api/service/revocations"
)

// ServiceHeartbeatSeconds is how often the revocation feed speaks at least:
// a service that heard nothing for three times as long takes the feed for
// dead and fails closed.
const ServiceHeartbeatSeconds = 5

// ServiceIntrospectRequest is the body of PathServiceIntrospect.
type ServiceIntrospectRequest struct {
	Token string `json:"token"`
}

// ServiceIntrospection is PathServiceIntrospect's answer: Active with the
// session (its id as the token's sid claim has it) when the token's session
// is live, else only Active false.
type ServiceIntrospection struct {
	Active    bool     `json:"active"`
	SessionID string   `json:"sid,omitempty"`
	Session   *Session `json:"session,omitempty"`
}

// ServiceRevocation is the data of a "revoked" event of the feed: the
// session SessionID of User ended, or, without SessionID, every session of
// User (a password change, a role change, a disabled account).
type ServiceRevocation struct {
	User      string `json:"user"`
	SessionID string `json:"sid,omitempty"`
	At        string `json:"at"`
}
