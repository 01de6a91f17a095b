package client

import (
	"strings"

	"github.com/sessionguard/sessionguard/wasm/internal/lite"
	"github.com/sessionguard/sessionguard/wire"
)

// Click filtering: the Client takes over only the clicks a browser would
// turn into a same-origin navigation of this tab that the page's views can
// show; everything else (new tabs, downloads, other origins, the API,
// fragment links, page code that handled the click) is left to the
// browser. HandleClick states the rules.

// ClickEvent is what the Client needs to know about a click.
type ClickEvent struct {
	// Button is the mouse button; 0 is the main (left) one.
	Button                 int
	Ctrl, Meta, Shift, Alt bool
	// DefaultPrevented reports whether page code already handled it.
	DefaultPrevented bool
	// Target is the element clicked on, or nil.
	Target Element
}

// HandleClick decides whether the Client takes over a click: a plain main
// button click on a same-origin link (<a href> or <area href>, found by
// walking up from the target) that opens in this tab, is no download, has no
// rel="external" or data-sg-reload, does not lead into the server's API
// (/api/…, not a view of the page), and does not only change the fragment of
// the current URL. When it does, the caller must prevent the browser's
// default action, and the channel tells the navigation's outcome as Goto's
// does; otherwise HandleClick returns nil.
func (c *Client) HandleClick(ev ClickEvent) <-chan bool {
	if ev.Button != 0 || ev.Ctrl || ev.Meta || ev.Shift || ev.Alt || ev.DefaultPrevented || !c.Ready() {
		return nil
	}
	a := anchorOf(ev.Target)
	if a == nil {
		return nil
	}
	if t, ok := a.Attr("target"); ok && t != "" && !lite.EqualFold(t, "_self") {
		return nil
	}
	if _, ok := a.Attr("download"); ok {
		return nil
	}
	if _, ok := a.Attr("data-sg-reload"); ok {
		return nil
	}
	if rel, ok := a.Attr("rel"); ok && lite.HasToken(rel, "external") {
		return nil
	}
	loc := c.b.Location()
	target, ok := sameOrigin(a.Href(), loc.Origin)
	if !ok || strings.HasPrefix(target, wire.APIPrefix) {
		return nil
	}
	current := loc.Path + loc.Search
	if withoutHash(target) == current && len(target) > len(current) {
		return nil // only the fragment changes: the browser scrolls
	}
	kind := navPush
	if target == loc.Target() {
		kind = navReplace
	}
	return c.navigate(kind, target, -1, false).done
}

// anchorOf walks up from el to the nearest link element.
func anchorOf(el Element) Element {
	for ; el != nil; el = el.Parent() {
		if tag := el.Tag(); lite.EqualFold(tag, "A") || lite.EqualFold(tag, "AREA") {
			if _, ok := el.Attr("href"); ok {
				return el
			}
			return nil
		}
	}
	return nil
}
