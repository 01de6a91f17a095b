//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/sessionguard/sessionguard/wasm/client"
	"github.com/sessionguard/sessionguard/wire"
)

// api is the object the loader wraps as window.sessionguard. Methods that
// wait take the Promise's resolve (and reject) functions as their last
// arguments and call them from a goroutine; none of them blocks. Its
// functions live as long as the page, unless the loader refuses the object
// (see bootHandle.attach), which releases them.
type api struct {
	object js.Value
	funcs  []js.Func
}

func newAPI(c *client.Client, b *browser) *api {
	a := &api{object: js.Global().Get("Object").New()}
	// users(resolve, reject)
	a.method("users", listMethod(c.Users))
	// updateUser(id, {role, disabled}, resolve)
	a.method("updateUser", func(args []js.Value) any {
		id, opts, resolve := str(arg(args, 0)), arg(args, 1), arg(args, 2)
		role, disabled := field(opts, "role"), ""
		if opts.Type() == js.TypeObject && opts.Get("disabled").Type() == js.TypeBoolean {
			disabled = "false"
			if opts.Get("disabled").Bool() {
				disabled = "true"
			}
		}
		go func() { resolve.Invoke(resultJS(c.UpdateUser(id, role, disabled))) }()
		return nil
	})
	// endUserSessions(id, resolve)
	a.method("endUserSessions", func(args []js.Value) any {
		id, resolve := str(arg(args, 0)), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.EndUserSessions(id))) }()
		return nil
	})
	a.method("live", func([]js.Value) any { return c.Live() })
	// devices(resolve, reject)
	a.method("devices", listMethod(c.Devices))
	// endSession(handle, resolve)
	a.method("endSession", func(args []js.Value) any {
		handle, resolve := str(arg(args, 0)), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.EndSession(handle))) }()
		return nil
	})
	// endOtherSessions(resolve)
	a.method("endOtherSessions", func(args []js.Value) any {
		resolve := arg(args, 0)
		go func() { resolve.Invoke(resultJS(c.EndOtherSessions())) }()
		return nil
	})
	// changePassword({currentPassword, newPassword}, resolve)
	a.method("changePassword", func(args []js.Value) any {
		opts, resolve := arg(args, 0), arg(args, 1)
		cur, next := field(opts, "currentPassword"), field(opts, "newPassword")
		go func() { resolve.Invoke(resultJS(c.ChangePassword(cur, next))) }()
		return nil
	})
	a.method("session", func([]js.Value) any { return sessionJS(c.Session()) })
	a.method("isPublic", func(args []js.Value) any {
		p := arg(args, 0)
		return p.Type() == js.TypeString && c.IsPublic(p.String())
	})
	// decide(path) → "allow" | "deny" | "check"
	a.method("decide", func(args []js.Value) any { return c.Decide(str(arg(args, 0))) })
	// check(path, resolve)
	a.method("check", func(args []js.Value) any {
		verdict, resolve := c.Check(str(arg(args, 0))), arg(args, 1)
		go func() { resolve.Invoke(parseJSON((<-verdict).JSON())) }()
		return nil
	})
	// goto(path, {replace}, resolve)
	a.method("goto", func(args []js.Value) any {
		done := c.Goto(str(arg(args, 0)), arg(args, 1).Type() == js.TypeObject && arg(args, 1).Get("replace").Truthy())
		resolve := arg(args, 2)
		go func() { resolve.Invoke(<-done) }()
		return nil
	})
	// signIn({email, password, redirectUrl}, resolve)
	a.method("signIn", func(args []js.Value) any {
		opts, resolve := arg(args, 0), arg(args, 1)
		email, password, redirect := field(opts, "email"), field(opts, "password"), field(opts, "redirectUrl")
		go func() { resolve.Invoke(resultJS(c.SignIn(email, password, redirect))) }()
		return nil
	})
	// verifyTwoFactor({code} | {recoveryCode}, resolve)
	a.method("verifyTwoFactor", func(args []js.Value) any {
		opts, resolve := arg(args, 0), arg(args, 1)
		code, recovery := field(opts, "code"), field(opts, "recoveryCode")
		go func() {
			if recovery != "" {
				resolve.Invoke(resultJS(c.VerifyTwoFactor(recovery, true)))
				return
			}
			resolve.Invoke(resultJS(c.VerifyTwoFactor(code, false)))
		}()
		return nil
	})
	// reauth({password, code}, resolve)
	a.method("reauth", func(args []js.Value) any {
		opts, resolve := arg(args, 0), arg(args, 1)
		password, code := field(opts, "password"), field(opts, "code")
		go func() { resolve.Invoke(resultJS(c.Reauth(password, code))) }()
		return nil
	})
	// totpSetup(resolve), totpConfirm(code, resolve), totpDisable(code, resolve)
	a.method("totpSetup", func(args []js.Value) any {
		resolve := arg(args, 0)
		go func() { resolve.Invoke(resultJS(c.TOTPSetup())) }()
		return nil
	})
	a.method("totpConfirm", func(args []js.Value) any {
		code, resolve := str(arg(args, 0)), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.TOTPConfirm(code))) }()
		return nil
	})
	a.method("totpDisable", func(args []js.Value) any {
		code, resolve := str(arg(args, 0)), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.TOTPDisable(code))) }()
		return nil
	})
	// signOut({redirectUrl}, resolve)
	a.method("signOut", func(args []js.Value) any {
		redirect, resolve := field(arg(args, 0), "redirectUrl"), arg(args, 1)
		go func() { resolve.Invoke(resultJS(c.SignOut(redirect))) }()
		return nil
	})
	// onChange(fn) → off()
	a.method("onChange", func(args []js.Value) any {
		fn := arg(args, 0)
		if fn.Type() != js.TypeFunction {
			return js.Undefined()
		}
		return newSubscription(c, b, fn).off.Value
	})
	// refresh(resolve, reject)
	a.method("refresh", func(args []js.Value) any {
		resolve, reject := arg(args, 0), arg(args, 1)
		go func() {
			s, err := c.Refresh()
			if err != nil {
				reject.Invoke(jsErrorValue(err))
				return
			}
			resolve.Invoke(sessionJS(s))
		}()
		return nil
	})
	return a
}

// method makes fn the object's member name; the function is kept to be
// released.
func (a *api) method(name string, fn func(args []js.Value) any) {
	f := js.FuncOf(func(_ js.Value, args []js.Value) any { return fn(args) })
	a.funcs = append(a.funcs, f)
	a.object.Set(name, f)
}

// release releases the object's functions; calling them afterwards throws.
func (a *api) release() {
	for _, f := range a.funcs {
		f.Release()
	}
	a.funcs = nil
}

// listMethod returns a method(resolve, reject) that resolves with the JSON
// array read, or [] when the answer had none.
func listMethod(read func() (client.Value, error)) func(args []js.Value) any {
	return func(args []js.Value) any {
		resolve, reject := arg(args, 0), arg(args, 1)
		go func() {
			items, err := read()
			if err != nil {
				reject.Invoke(jsErrorValue(err))
				return
			}
			out := js.Global().Get("Array").New()
			if v, ok := items.(value); ok {
				out = v.v
			}
			resolve.Invoke(out)
		}()
		return nil
	}
}

// jsErrorValue returns err as a JavaScript Error for a rejection.
func jsErrorValue(err error) js.Value {
	return js.Global().Get("Error").New("sessionguard: " + err.Error())
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
