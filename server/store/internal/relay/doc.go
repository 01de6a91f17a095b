// Package relay carries store.Events over a shared store's server, for the
// backends that several instances share (postgres: LISTEN/NOTIFY; redis:
// pub/sub). A backend publishes an event as a payload (Encode) through its
// server, and gives a Relay the function that listens: one connection per
// process, whatever the number of subscribers. The Relay starts it on the
// first Subscribe, fans its payloads out to this process's subscribers
// (package bus), and when the connection drops it calls the function again,
// after a back-off, while the subscribers' channels stay open.
package relay
