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
      show($('signin-error'), result.error);
      $('signin-password').value = '';
      if (result.retryAfter > 0) waitFor(result.retryAfter);
      $('signin-password').focus();
    });

    // /account: the device list's buttons, "sign out all other devices"
    // and the password form.
    const note = (text) => show($('account-message'), text);
    $('devices').addEventListener('click', async (ev) => {
      const button = /** @type {HTMLButtonElement | null} */ (/** @type {Element} */ (ev.target).closest('.end-session'));
      const row = /** @type {HTMLElement | null} */ (button && button.closest('[data-sg-handle]'));
      if (!row) return;
      button.disabled = true;
      const r = await sg.endSession(row.dataset.sgHandle);
      note(r.ok ? 'That device is signed out.' : `Could not sign that device out: ${r.error}`);
    });
    $('end-others').addEventListener('click', async () => {
      const r = await sg.endOtherSessions();
      note(r.ok ? `Signed out ${r.revoked || 0} other device(s).` : `Could not sign the other devices out: ${r.error}`);
    });
    const pwForm = $('password-form');
    pwForm.addEventListener('submit', async (ev) => {
      ev.preventDefault();
      show($('password-error'), '');
      $('password-submit').disabled = true;
      const r = await sg.changePassword({
        currentPassword: $('password-current').value,
        newPassword: $('password-new').value,
      });
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
      const r =
        act === 'end'
          ? await sg.endUserSessions(id)
          : await sg.updateUser(id, act === 'role' ? { role: button.dataset.role } : { disabled: act === 'disable' });
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
  window.addEventListener('sessionguard:blocked', (ev) => {
    const { to, reason } = ev.detail;
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
