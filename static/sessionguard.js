/*
 * sessionguard.js: loads the sessionguard browser module (sessionguard.wasm,
 * next to this file) and defines window.sessionguard at once, so a page can
 * write sessionguard.ready.then(...) straight away. Load wasm_exec.js first.
 *
 *   ready                 Promise: resolves with the initial session (or null)
 *                         once the module runs; rejects with an Error if it
 *                         cannot load.
 *   session()             the current session, or null
 *   signIn({email, password, redirectUrl})
 *                         Promise of {ok, error?, redirectUrl?, retryAfter?, status}
 *   signOut({redirectUrl}?) Promise of {ok, redirectUrl?, error?, status}
 *   verifyTwoFactor({code} | {recoveryCode})
 *                         the second step of a sign-in that resolved
 *                         {ok: false, twoFactorRequired: true}
 *   reauth({password, code?}) proves the session again (a rotated session)
 *   twoFactor.setup()     Promise of {ok, secret, uri, qr, status}
 *   twoFactor.confirm(code) Promise of {ok, recoveryCodes, status}
 *   twoFactor.disable(code) Promise of {ok, status}
 *   goto(path, {replace}?) Promise of true (navigated) or false (cancelled)
 *   decide(path)          "allow", "deny" or "check": what the guard knows of
 *                         a navigation to path without asking the server
 *   check(path)           Promise of {allow, reason?, redirect?}: the guard's
 *                         decision, with the same one status request
 *   isPublic(path)        whether the server lets everybody see path
 *   onChange(fn)          fn(session|null) on every change; returns unsubscribe
 *   refresh()             Promise of the session read again from the server
 *                         (under the jwt strategy: after renewing the access
 *                         token, one tab at a time)
 *   devices()             Promise of the user's sessions [{handle, device,
 *                         userAgent, clientAddr, createdAt, lastSeen, expires,
 *                         current}], newest first
 *   endSession(handle)    Promise of {ok, error?, status}: ends one session
 *   endOtherSessions()    Promise of {ok, revoked?, error?, status}
 *   live()                whether the live event stream is connected and
 *                         spoke within the last 30 s
 *   changePassword({currentPassword, newPassword})
 *                         Promise of {ok, error?, retryAfter?, status}; on
 *                         success the session is the rotated one
 *   users()               administrators: Promise of every account [{id, email,
 *                         name, role, disabled, createdAt}]
 *   updateUser(id, {role?, disabled?})
 *                         administrators: Promise of {ok, error?, status}
 *   endUserSessions(id)   administrators: Promise of {ok, revoked?, error?, status}
 *
 * <script src="/sessionguard.js" data-instant-guard> turns on the
 * known-state rule (see README): guarded navigations go ahead at once while
 * the live event stream is connected and the user's role allows them.
 *
 * The logic lives in the Go module; this file only loads it and queues the
 * calls made before it runs. <html> gets the class sg-loading until then,
 * sg-ready after, or sg-failed if the module could not start.
 */
(() => {
  'use strict';
  if (window.sessionguard) return;

  const root = document.documentElement;
  root.classList.add('sg-loading');
  const script = document.currentScript;
  // Loaded by sessionguard.mjs there is no current script: it says where
  // the files are, and the options.
  const entry = globalThis.__sessionguardModule || {};
  const base = (script && script.src) || entry.base || location.href;
  // The server names the module's content-hashed copy here, which a
  // browser keeps for a year (docs/MODULE.md); as a plain file this loader
  // asks for sessionguard.wasm, which is revalidated on every use.
  const wasmName = 'sessionguard.wasm';
  const wasmURL = new URL(wasmName, base).href;
  const options = {
    instantGuard: !!(script ? script.hasAttribute('data-instant-guard') : entry.instantGuard),
  };

  let impl = null; // the module's object, once attached
  const waiting = []; // onChange subscriptions made before that

  let resolveReady;
  let rejectReady;
  const ready = new Promise((resolve, reject) => {
    resolveReady = resolve;
    rejectReady = reject;
  });

  const report = (err) => {
    if (typeof reportError === 'function') reportError(err);
    else console.error(err);
  };

  // call runs impl[name](...args, resolve, reject) once the module is ready.
  const call = (name, ...args) =>
    ready.then(() => new Promise((resolve, reject) => impl[name](...args, resolve, reject)));

  const api = {
    ready,
    session: () => (impl ? impl.session() : null),
    isPublic: (path) => (impl ? impl.isPublic(String(path)) : false),
    goto: (path, opts) => call('goto', String(path), opts || {}),
    decide: (path) => (impl ? impl.decide(String(path)) : 'check'),
    check: (path) => call('check', String(path)),
    signIn: (opts) => call('signIn', opts || {}),
    signOut: (opts) => call('signOut', opts || {}),
    verifyTwoFactor: (opts) => call('verifyTwoFactor', opts || {}),
    reauth: (opts) => call('reauth', opts || {}),
    twoFactor: Object.freeze({
      setup: () => call('totpSetup'),
      confirm: (code) => call('totpConfirm', String(code)),
      disable: (code) => call('totpDisable', String(code)),
    }),
    refresh: () => call('refresh'),
    live: () => (impl ? impl.live() : false),
    devices: () => call('devices'),
    endSession: (handle) => call('endSession', String(handle)),
    endOtherSessions: () => call('endOtherSessions'),
    changePassword: (opts) => call('changePassword', opts || {}),
    users: () => call('users'),
    updateUser: (id, opts) => call('updateUser', String(id), opts || {}),
    endUserSessions: (id) => call('endUserSessions', String(id)),
    onChange(fn) {
      if (typeof fn !== 'function') throw new TypeError('sessionguard.onChange: fn must be a function');
      const safe = (session) => {
        try {
          fn(session);
        } catch (err) {
          report(err);
        }
      };
      let off = null;
      let active = true;
      const subscribe = () => {
        if (active) off = impl.onChange(safe);
      };
      if (impl) subscribe();
      else waiting.push(subscribe);
      return () => {
        if (!active) return;
        active = false;
        if (off) {
          const f = off;
          off = null;
          f();
        }
      };
    },
  };
  ready.catch(() => {}); // reported below; callers still see the rejection
  Object.defineProperty(window, 'sessionguard', { value: Object.freeze(api), enumerable: true });

  const domReady = new Promise((resolve) => {
    if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', resolve, { once: true });
    else resolve();
  });

  const fetchWasm = async () => {
    const resp = await fetch(wasmURL, { credentials: 'same-origin' });
    if (!resp.ok) throw new Error(`HTTP ${resp.status} for ${wasmURL}`);
    return resp;
  };

  // The server's app shell starts compiling the module while the page is
  // parsed (docs/MODULE.md); taken here only when it is this loader's own
  // module, and at most once.
  const early = globalThis.__sessionguardCompile;
  delete globalThis.__sessionguardCompile;

  // instantiate takes the module the shell is compiling, or streams it
  // when the server labels it application/wasm and falls back to a buffer
  // when it does not (or when streaming fails for another reason that is
  // no compile error).
  const instantiate = async (go) => {
    if (early && early.url === wasmURL) {
      let compiled = null;
      try {
        compiled = await early.module;
      } catch {
        // not compiled there (say, no application/wasm): load it below
      }
      if (compiled) return { instance: await WebAssembly.instantiate(compiled, go.importObject) };
    }
    const resp = await fetchWasm();
    const type = (resp.headers.get('Content-Type') || '').toLowerCase();
    if (typeof WebAssembly.instantiateStreaming === 'function' && type.startsWith('application/wasm')) {
      try {
        return await WebAssembly.instantiateStreaming(resp, go.importObject);
      } catch (err) {
        if (!(err instanceof TypeError)) throw err;
      }
      return WebAssembly.instantiate(await (await fetchWasm()).arrayBuffer(), go.importObject);
    }
    return WebAssembly.instantiate(await resp.arrayBuffer(), go.importObject);
  };

  const start = async () => {
    if (typeof Go !== 'function') throw new Error('wasm_exec.js must be loaded before sessionguard.js');
    const go = new Go();
    const { instance } = await instantiate(go);
    await domReady;
    return new Promise((resolve, reject) => {
      // The module takes this object as soon as it starts and calls
      // attach when it knows the session, or fail.
      globalThis.__sessionguardBoot = {
        options,
        attach(object, session) {
          impl = object;
          for (const subscribe of waiting.splice(0)) subscribe();
          resolve(session);
        },
        fail(message) {
          reject(new Error(message));
        },
      };
      let exited;
      try {
        exited = go.run(instance);
      } finally {
        delete globalThis.__sessionguardBoot;
      }
      exited.then(() => {
        impl = null;
        reject(new Error('sessionguard: the module stopped'));
      });
    });
  };

  start().then(
    (session) => {
      root.classList.remove('sg-loading');
      root.classList.add('sg-ready');
      resolveReady(session);
    },
    (err) => {
      const error = err instanceof Error ? err : new Error(String(err));
      if (!error.message.startsWith('sessionguard')) error.message = `sessionguard: could not start: ${error.message}`;
      root.classList.remove('sg-loading');
      root.classList.add('sg-failed');
      console.error(error);
      rejectReady(error);
    },
  );
})();
