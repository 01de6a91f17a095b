/*
 * app.js: glue for the demo page only (no logic of the module lives here):
 * the sign-in form, the sign-out button, the messages for blocked
 * navigations and ended sessions, the "you need to sign in" notice, and the
 * buttons and password form of /account (the module renders the device
 * list itself).
 */
(() => {
  'use strict';
  // The demo's elements, by id (typed loosely: tsc checks this file for its
  // use of window.sessionguard, internal/typecheck).
  /** @type {(id: string) => any} */
  const $ = (id) => document.getElementById(id);
  const sg = window.sessionguard;
  let moduleFailed = !sg;

  const show = (el, text) => {
    if (!el) return;
    el.textContent = text || '';
    el.hidden = !text;
  };

  // Times: the module writes them as RFC 3339 ("2026-11-23T16:11:44Z") or,
  // in lists, "2026-11-23 16:11:44 UTC". The demo shows each <time
  // class="when"> in the reader's locale — relative when recent and the
  // element has data-relative ("5 min ago") — with the exact time as its
  // tooltip and the original in its datetime attribute.
  const parseTime = (text) => {
    const m = /^(\d{4}-\d\d-\d\d)[T ](\d\d:\d\d:\d\d)(?:Z| UTC)$/.exec(text.trim());
    return m ? `${m[1]}T${m[2]}Z` : null;
  };
  const exact = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
  const relative = new Intl.RelativeTimeFormat(undefined, { numeric: 'auto', style: 'long' });
  const formatWhen = (el) => {
    const iso = parseTime(el.textContent) || el.getAttribute('datetime');
    if (!iso || !el.textContent) return;
    const d = new Date(iso);
    let text = exact.format(d);
    if (el.hasAttribute('data-relative')) {
      const s = Math.round((d.getTime() - Date.now()) / 1000);
      if (Math.abs(s) < 60) text = s <= 0 ? 'just now' : 'in a moment';
      else if (Math.abs(s) < 3600) text = relative.format(Math.round(s / 60), 'minute');
      else if (Math.abs(s) < 86400) text = relative.format(Math.round(s / 3600), 'hour');
    }
    if (el.getAttribute('datetime') !== iso) el.setAttribute('datetime', iso);
    if (el.title !== exact.format(d)) el.title = exact.format(d);
    if (el.textContent !== text) el.textContent = text;
  };
  const formatTimes = () => document.querySelectorAll('time.when').forEach(formatWhen);
  new MutationObserver(formatTimes).observe(document.documentElement, { subtree: true, childList: true, characterData: true });
  setInterval(formatTimes, 30000);

  // The nav link of the page shown is marked as the current one.
  const markNav = (path) => {
    for (const a of document.querySelectorAll('.nav a')) {
      const p = a.getAttribute('href');
      const current = p === path || (p !== '/' && path.startsWith(`${p}/`));
      if (current) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
  };

  // The page a sign-in should lead to: ?callbackUrl=… when present.
  const callbackUrl = () => new URLSearchParams(location.search).get('callbackUrl');

  // The server shows a plain form's refusal (?error=…); it goes once the
  // visitor tries again or moves on.
  const hideFormNotices = () => {
    for (const el of document.querySelectorAll('.form-notice')) /** @type {HTMLElement} */ (el).hidden = true;
  };

  const renderNotice = () => {
    const cb = callbackUrl();
    $('signin-callback').textContent = cb || '';
    $('signin-notice').hidden = !cb;
    $('not-found-path').textContent = location.pathname;
  };

  // Confirm it is you: the dialog that proves the session again (reauth),
  // with the app's code when the account has a second factor. askReauth
  // resolves true once proved, false when cancelled.
  const askReauth = (why) =>
    new Promise((resolve) => {
      const dialog = $('reauth-dialog');
      const form = $('reauth-form');
      $('reauth-why').textContent =
        why === 'aal2_required'
          ? 'This needs your authenticator app: confirm with your password and a code.'
          : 'You signed in a while ago. To do this, confirm with your password.';
      show($('reauth-error'), '');
      form.reset();
      const done = (ok) => {
        form.removeEventListener('submit', submit);
        $('reauth-cancel').removeEventListener('click', cancel);
        dialog.close();
        resolve(ok);
      };
      const cancel = () => done(false);
      const submit = async (ev) => {
        ev.preventDefault();
        $('reauth-submit').disabled = true;
        const r = await sg.reauth({ password: $('reauth-password').value, code: $('reauth-code').value.trim() || undefined });
        $('reauth-submit').disabled = false;
        if (r.ok) done(true);
        else show($('reauth-error'), r.error);
      };
      form.addEventListener('submit', submit);
      $('reauth-cancel').addEventListener('click', cancel);
      dialog.showModal();
      $('reauth-password').focus();
    });
  // withReauth runs call; when the server wants the session proved again
  // first, it asks, and runs call once more.
  const withReauth = async (call) => {
    const r = await call();
    if (r.code !== 'reauth_required' && r.code !== 'aal2_required') return r;
    return (await askReauth(r.code)) ? call() : r;
  };

  const start = () => {
    renderNotice();
    markNav(location.pathname);
    formatTimes();

    // Fill the form from a demo account.
    for (const b of /** @type {NodeListOf<HTMLElement>} */ (document.querySelectorAll('.account'))) {
      b.addEventListener('click', () => {
        $('signin-email').value = b.dataset.email;
        $('signin-password').value = b.dataset.password;
        $('signin-email').dispatchEvent(new Event('input'));
        $('signin-submit').focus();
      });
    }

    const form = $('signin-form');
    const submit = $('signin-submit');
    let waitTimer = 0;
    let waitingFor = ''; // the e-mail whose limit the button waits out
    const stopWaiting = () => {
      clearInterval(waitTimer);
      waitingFor = '';
      submit.disabled = false;
      submit.textContent = 'Sign in';
    };
    // The limit holds one account: another e-mail may try at once.
    $('signin-email').addEventListener('input', () => {
      if (waitingFor && $('signin-email').value !== waitingFor) stopWaiting();
    });
    const waitFor = (seconds) => {
      clearInterval(waitTimer);
      waitingFor = $('signin-email').value;
      let left = seconds;
      const tick = () => {
        if (left <= 0) {
          stopWaiting();
          return;
        }
        submit.disabled = true;
        submit.textContent = `Wait ${left} s`;
        left -= 1;
      };
      tick();
      waitTimer = setInterval(tick, 1000);
    };

    form.addEventListener('submit', async (ev) => {
      if (moduleFailed) return; // the server takes the plain form post
      ev.preventDefault();
      hideFormNotices();
      show($('signin-error'), '');
      $('signin-redirect').value = callbackUrl() || '/dashboard';
      submit.disabled = true;
      submit.textContent = 'Signing in…';
      let result;
      try {
        result = await sg.signIn({
          email: $('signin-email').value,
          password: $('signin-password').value,
          redirectUrl: $('signin-redirect').value,
        });
      } catch (err) {
        result = { ok: false, error: `Sign-in is not available: ${err.message}` };
      }
      submit.disabled = false;
      submit.textContent = 'Sign in';
      if (result.ok) {
        form.reset();
        return;
      }
      if (result.twoFactorRequired) {
        // The password was right: the second step asks for the code.
        form.hidden = true;
        $('signin-2fa-form').hidden = false;
        $('signin-2fa-code').focus();
        return;
      }
      show($('signin-error'), result.error);
      $('signin-password').value = '';
      if (result.retryAfter > 0) waitFor(result.retryAfter);
      $('signin-password').focus();
    });

    // The second step of a sign-in: a code of the app, or a recovery code.
    const twoFA = $('signin-2fa-form');
    $('signin-2fa-use-recovery').addEventListener('change', (ev) => {
      const recovery = ev.target.checked;
      $('signin-2fa-label').textContent = recovery ? 'Recovery code' : 'Code from your authenticator app';
      $('signin-2fa-code').inputMode = recovery ? 'text' : 'numeric';
      $('signin-2fa-code').focus();
    });
    twoFA.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show($('signin-2fa-error'), '');
      const value = $('signin-2fa-code').value.trim();
      $('signin-2fa-submit').disabled = true;
      const r = await sg.verifyTwoFactor($('signin-2fa-use-recovery').checked ? { recoveryCode: value } : { code: value });
      $('signin-2fa-submit').disabled = false;
      if (r.ok) {
        twoFA.reset();
        twoFA.hidden = true;
        form.hidden = false;
        form.reset();
        return;
      }
      $('signin-2fa-code').value = '';
      show($('signin-2fa-error'), r.error);
      if (r.status === 401 && /sign in again/i.test(r.error || '')) {
        // The challenge is gone (it lives five minutes): start over.
        twoFA.hidden = true;
        form.hidden = false;
        show($('signin-error'), r.error);
      }
    });

    // /account: the device list's buttons, "sign out all other devices"
    // and the password form.
    const note = (text) => show($('account-message'), text);
    $('devices').addEventListener('click', async (ev) => {
      const button = /** @type {HTMLButtonElement | null} */ (/** @type {Element} */ (ev.target).closest('.end-session'));
      const row = /** @type {HTMLElement | null} */ (button && button.closest('[data-sg-handle]'));
      if (!row) return;
      button.disabled = true;
      const r = await withReauth(() => sg.endSession(row.dataset.sgHandle));
      button.disabled = false;
      note(r.ok ? 'That device is signed out.' : `Could not sign that device out: ${r.error}`);
    });
    $('end-others').addEventListener('click', async () => {
      const r = await withReauth(() => sg.endOtherSessions());
      note(r.ok ? `Signed out ${r.revoked || 0} other device(s).` : `Could not sign the other devices out: ${r.error}`);
    });
    const pwForm = $('password-form');
    pwForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show($('password-error'), '');
      $('password-submit').disabled = true;
      const r = await withReauth(() =>
        sg.changePassword({
          currentPassword: $('password-current').value,
          newPassword: $('password-new').value,
        }),
      );
      $('password-submit').disabled = false;
      if (!r.ok) {
        show($('password-error'), r.error);
        return;
      }
      pwForm.reset();
      note('Your password is changed. Every other device is signed out.');
    });

    // /admin: the users table's buttons (the module renders the rows).
    $('users').addEventListener('click', async (ev) => {
      const button = /** @type {HTMLButtonElement | null} */ (/** @type {Element} */ (ev.target).closest('button[data-act]'));
      const row = /** @type {HTMLElement | null} */ (button && button.closest('[data-sg-user]'));
      if (!row) return;
      const id = row.dataset.sgUser;
      const act = button.dataset.act;
      button.disabled = true;
      const r = await withReauth(() =>
        act === 'end'
          ? sg.endUserSessions(id)
          : sg.updateUser(id, act === 'role' ? { role: button.dataset.role } : { disabled: act === 'disable' }),
      );
      button.disabled = false;
      const field = (name) => row.querySelector(`[data-sg-field="${name}"]`)?.textContent || '';
      const who = field('name') ? `${field('name')} (${field('email')})` : field('email');
      const done = {
        role: `${who} is now ${button.dataset.role === 'admin' ? 'an administrator' : 'a user'}; their sessions ended, so they sign in again with the new role.`,
        disable: `${who} is disabled; their sessions ended.`,
        enable: `${who} is enabled again and can sign in.`,
        end: `Ended ${r.revoked || 0} session(s) of ${who}.`,
      }[act];
      show($('admin-message'), r.ok ? done : `Could not do that: ${r.error}`);
    });

    // /account: two-factor authentication. A session proved with the
    // second factor (aal2) shows it on; enrolling here turns it on.
    let twoFactorOn = false;
    const renderTwoFactor = () => {
      const s = sg.session();
      const on = twoFactorOn || !!(s && s.aal === 'aal2');
      $('twofa-status').textContent = on
        ? 'On: every sign-in asks for a code of your authenticator app.'
        : 'Off. An authenticator app (any TOTP app) adds a code to every sign-in.';
      $('twofa-setup').hidden = on;
      $('twofa-disable-form').hidden = !on;
      if (on) $('twofa-enrol').hidden = true;
    };
    const twoNote = (text) => show($('twofa-message'), text);
    $('twofa-setup').addEventListener('click', async () => {
      twoNote('');
      const r = await withReauth(() => sg.twoFactor.setup());
      if (r.status === 409) {
        twoFactorOn = true; // on already (enrolled on another device)
        renderTwoFactor();
        return;
      }
      if (!r.ok) {
        twoNote(`Could not start: ${r.error}`);
        return;
      }
      $('twofa-qr').src = r.qr;
      $('twofa-secret').textContent = r.secret;
      $('twofa-recovery').hidden = true;
      $('twofa-enrol').hidden = false;
      $('twofa-confirm-code').focus();
    });
    $('twofa-confirm-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show($('twofa-confirm-error'), '');
      const r = await sg.twoFactor.confirm($('twofa-confirm-code').value.trim());
      if (!r.ok) {
        show($('twofa-confirm-error'), r.error);
        return;
      }
      ev.target.reset();
      twoFactorOn = true;
      const list = $('twofa-codes');
      list.replaceChildren(...r.recoveryCodes.map((c) => Object.assign(document.createElement('li'), { textContent: c })));
      $('twofa-recovery').hidden = false;
      renderTwoFactor();
      twoNote('Two-factor authentication is on.');
    });
    $('twofa-copy').addEventListener('click', async () => {
      const text = [...$('twofa-codes').children].map((li) => li.textContent).join('\n');
      try {
        await navigator.clipboard.writeText(text);
        twoNote('The recovery codes are copied.');
      } catch {
        twoNote('Copying is not allowed here: select the codes and copy them.');
      }
    });
    $('twofa-disable-form').addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show($('twofa-disable-error'), '');
      const code = $('twofa-disable-code').value.trim();
      const r = await withReauth(() => sg.twoFactor.disable(code));
      if (!r.ok) {
        show($('twofa-disable-error'), r.error);
        return;
      }
      ev.target.reset();
      twoFactorOn = false;
      $('twofa-recovery').hidden = true;
      renderTwoFactor();
      twoNote('Two-factor authentication is off.');
    });
    sg.onChange(renderTwoFactor);
    window.addEventListener('sessionguard:two-factor-changed', () => {
      twoNote('Your two-factor settings changed (here or on another device).');
    });
    renderTwoFactor();

    // A page load of an aal2 path with a password-only session lands here
    // with ?stepUp=1 and the callback: ask, then go there.
    const params = new URLSearchParams(location.search);
    if (params.get('stepUp') === '1' && sg.session()) {
      askReauth('aal2_required').then((ok) => {
        if (ok) sg.goto(callbackUrl() || '/dashboard');
      });
    }

    $('signout').addEventListener('click', async (ev) => {
      ev.preventDefault(); // the form is for pages without the module
      const r = await sg.signOut({ redirectUrl: '/' }).catch((err) => ({ ok: false, error: err.message }));
      if (!r.ok) show($('blocked-message'), `Could not sign out: ${r.error}`);
      else $('signout-message').hidden = false;
    });
  };

  const messages = {
    unauthenticated: (to) => `You need to sign in to see ${to}.`,
    forbidden: (to) => `You need the admin role to see ${to}.`,
    error: (to) => `Could not check your session with the server, so ${to} was not opened. Please try again.`,
  };
  window.addEventListener('sessionguard:blocked', async (ev) => {
    const { to, reason } = ev.detail;
    if (reason === 'step-up') {
      // Signed in, but the page needs the second factor: ask, then go.
      if (await askReauth('aal2_required')) sg.goto(to);
      return;
    }
    show($('blocked-message'), (messages[reason] || messages.error)(to));
  });
  const ended = {
    'role-changed': 'Your role changed. Please sign in again.',
    revoked: 'You were signed out on another device or by an administrator.',
    expired: 'Your session expired. Please sign in again.',
  };
  window.addEventListener('sessionguard:ended', (ev) => {
    show($('blocked-message'), ended[ev.detail.reason] || ended.revoked);
  });
  window.addEventListener('sessionguard:navigate', (ev) => {
    // The move to the sign-in page right after a refusal keeps the message.
    if (!ev.detail.signIn) show($('blocked-message'), '');
    if (ev.detail.path !== '/') $('signout-message').hidden = true;
    markNav(ev.detail.path);
    hideFormNotices();
    if (ev.detail.path !== '/account') show($('account-message'), '');
    if (!ev.detail.path.startsWith('/admin')) show($('admin-message'), '');
    renderNotice();
  });
  window.addEventListener('sessionguard:change', (ev) => {
    if (ev.detail) {
      show($('signin-error'), '');
      $('signout-message').hidden = true;
    }
  });

  if (!sg) return;
  sg.ready.then(start, () => {
    moduleFailed = true;
  });
})();
