//go:build js && wasm

// Command wasm is sessionguard's browser module, built as
// static/sessionguard.wasm and started by static/sessionguard.js. It wires
// the page (js_wasm.go) to the logic in package client and hands the page
// the object behind window.sessionguard.
//
// The loader sets globalThis.__sessionguardBoot = {attach(impl, session),
// fail(message)} before it runs the module; main takes it at once, boots,
// and calls one of the two.
package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

const bootGlobal = "__sessionguardBoot"

func main() {
	boot := js.Global().Get(bootGlobal)
	b := newBrowser()
	c := client.New(b, client.WithClock(b))
	if err := c.Boot(); err != nil {
		b.close()
		if boot.Type() == js.TypeObject {
			boot.Call("fail", "sessionguard: "+err.Error())
		}
		return
	}
	b.listen(c)
	if boot.Type() == js.TypeObject {
		a := newAPI(c, b)
		boot.Call("attach", a.object, sessionJS(c.Session()))
	}
	select {} // serve the page's events for as long as it lives
}

// api is the object the loader wraps as window.sessionguard. Methods that
// wait take the Promise's resolve (and reject) functions as their last
// arguments and call them from a goroutine; none of them blocks.
type api struct {
	c      *client.Client
	b      *browser
	object js.Value

	session, isPublic, gotoFn, signIn, signOut, onChange, refresh js.Func
}

func newAPI(c *client.Client, b *browser) *api {
	a := &api{c: c, b: b, object: js.Global().Get("Object").New()}
	a.session = js.FuncOf(func(js.Value, []js.Value) any { return sessionJS(c.Session()) })
	a.isPublic = js.FuncOf(func(_ js.Value, args []js.Value) any {
		p := arg(args, 0)
		return p.Type() == js.TypeString && c.IsPublic(p.String())
	})
	// goto(path, {replace}, resolve)
	a.gotoFn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		done := c.Goto(str(arg(args, 0)), arg(args, 1).Type() == js.TypeObject && arg(args, 1).Get("replace").Truthy())
		resolve := arg(args, 2)
		go func() { resolve.Invoke(<-done) }()
		return nil
	})
	// signIn({email, password, redirectUrl}, resolve)
	a.signIn = js.FuncOf(func(_ js.Value, args []js.Value) any {
		opts, resolve := arg(args, 0), arg(args, 1)
		email, password, redirect := field(opts, "email"), field(opts, "password"), field(opts, "redirectUrl")
		go func() { resolve.Invoke(resultJS(c.SignIn(email, password, redirect))) }()
		return nil
	})
	// signOut({redirectUrl}, resolve)
	a.signOut = js.FuncOf(func(_ js.Value, args []js.Value) any {
		redirect, resolve := field(arg(args, 0), "redirectUrl"), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.SignOut(redirect))) }()
		return nil
	})
	// onChange(fn) → off()
	a.onChange = js.FuncOf(func(_ js.Value, args []js.Value) any {
		fn := arg(args, 0)
		if fn.Type() != js.TypeFunction {
			return js.Undefined()
		}
		return newSubscription(c, b, fn).off.Value
	})
	// refresh(resolve, reject)
	a.refresh = js.FuncOf(func(_ js.Value, args []js.Value) any {
		resolve, reject := arg(args, 0), arg(args, 1)
		go func() {
			s, err := c.Refresh()
			if err != nil {
				reject.Invoke(js.Global().Get("Error").New("sessionguard: " + err.Error()))
				return
			}
			resolve.Invoke(sessionJS(s))
		}()
		return nil
	})
	a.object.Set("session", a.session)
	a.object.Set("isPublic", a.isPublic)
	a.object.Set("goto", a.gotoFn)
	a.object.Set("signIn", a.signIn)
	a.object.Set("signOut", a.signOut)
	a.object.Set("onChange", a.onChange)
	a.object.Set("refresh", a.refresh)
	return a
}

// subscription is one onChange listener; calling off ends it and releases
// off itself.
type subscription struct {
	off   js.Func
	unsub func()
}

func newSubscription(c *client.Client, b *browser, fn js.Value) *subscription {
	s := &subscription{}
	s.unsub = c.OnChange(func(sess *wire.Session) {
		b.try("onChange listener", func() { fn.Invoke(sessionJS(sess)) })
	})
	s.off = js.FuncOf(func(js.Value, []js.Value) any {
		if s.unsub != nil {
			s.unsub()
			s.unsub = nil
			s.off.Release()
		}
		return nil
	})
	return s
}

// resultJS returns a sign-in or sign-out result as
// {ok, error?, redirectUrl?, retryAfter?, status}.
func resultJS(r client.Result) js.Value {
	o := js.Global().Get("Object").New()
	o.Set("ok", r.OK)
	if r.OK {
		o.Set("redirectUrl", r.RedirectURL)
	} else {
		o.Set("error", r.Error)
	}
	if r.Status == 429 {
		o.Set("retryAfter", r.RetryAfter)
	}
	o.Set("status", r.Status)
	return o
}

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

func str(v js.Value) string {
	if v.Type() != js.TypeString {
		return ""
	}
	return v.String()
}

func field(o js.Value, key string) string {
	if o.Type() != js.TypeObject {
		return ""
	}
	return str(o.Get(key))
}
