//go:build js && wasm

// Command wasm is sessionguard's browser module, built as
// static/sessionguard.wasm and started by static/sessionguard.js. It wires
// the page (the *_wasm.go files, the only ones that import syscall/js; see
// browser_wasm.go) to the logic in package client and hands the page the
// object behind window.sessionguard (api_wasm.go).
//
// The loader sets globalThis.__sessionguardBoot = {attach(impl, session),
// fail(message)} before it runs the module; main takes it at once, boots,
// and calls one of the two.
package main

import "github.com/sessionguard/sessionguard/wasm/client"

func main() {
	boot := takeBoot()
	b := newBrowser()
	c := client.New(b, b, client.WithInstantGuard(boot.instantGuard()))
	// Listen first: a renewal at boot may wait for the refresh lock of
	// other tabs, which talk over the BroadcastChannel.
	b.listen(c)
	if err := c.Boot(); err != nil {
		b.close()
		boot.fail("sessionguard: " + err.Error())
		return
	}
	boot.attach(c, b)
	select {} // serve the page's events for as long as it lives
}
