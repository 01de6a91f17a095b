//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
)

// channelName is the BroadcastChannel that tabs of one origin share.
const channelName = "sessionguard"

// openChannel opens the BroadcastChannel, where the page has one.
func (b *browser) openChannel() {
	if bc := b.win.Get("BroadcastChannel"); bc.Type() == js.TypeFunction {
		b.try("BroadcastChannel", func() { b.channel = bc.New(channelName) })
	}
}

// listenChannel hands the channel's messages to c.
func (b *browser) listenChannel(c *client.Client) {
	if b.channel.Type() != js.TypeObject {
		return
	}
	// One goroutine handles the messages, in the order they came: a tab's
	// new session must be known before its release of the refresh lock.
	b.inbox = make(chan client.Value, 256)
	go func(inbox <-chan client.Value) {
		for m := range inbox {
			c.HandleBroadcast(m)
		}
	}(b.inbox)
	b.on(b.channel, "message", func(ev js.Value) {
		select {
		case b.inbox <- wrap(ev.Get("data")):
		default: // hundreds behind: drop rather than block the page
		}
	})
}

// closeChannel ends the message goroutine and closes the channel. The
// channel's listener is removed with the others.
func (b *browser) closeChannel() {
	if b.inbox != nil {
		close(b.inbox)
		b.inbox = nil
	}
	if b.channel.Type() == js.TypeObject {
		b.channel.Call("close")
	}
}

func (b *browser) Broadcast(message string) bool {
	if b.channel.Type() != js.TypeObject {
		return false
	}
	return b.try("postMessage", func() { b.channel.Call("postMessage", parseJSON(message)) })
}
