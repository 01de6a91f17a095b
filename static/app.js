/*
 * app.js: glue for the demo page only (no logic of the module lives here):
 * the sign-in form, the sign-out button, the messages for blocked
 * navigations and ended sessions, the "you need to sign in" notice, and the
 * buttons and password form of /account (the module renders the device
 * list itself).
 */
(() => {
  'use strict';
  const $ = (id) => document.getElementById(id);
  const sg = window.sessionguard;
  let moduleFailed = !sg;

  const show = (el, text) => {
    if (!el) return;
    el.textContent = text || '';
    el.hidden = !text;
  };

  // The page a sign-in should lead to: ?callbackUrl=… when present.
  const callbackUrl = () => new URLSearchParams(location.search).get('callbackUrl');

  // The server shows a plain form's refusal (?error=…); it goes once the
  // visitor tries again or moves on.
  const hideFormNotices = () => {
    for (const el of document.querySelectorAll('.form-notice')) el.hidden = true;
  };

  const renderNotice = () => {
    const cb = callbackUrl();
    $('signin-callback').textContent = cb || '';
    $('signin-notice').hidden = !cb;
    $('not-found-path').textContent = location.pathname;
  };

  const start = () => {
    renderNotice();

    // Fill the form from a demo account.
    for (const b of document.querySelectorAll('.account')) {
      b.addEventListener('click', () => {
        $('signin-email').value = b.dataset.email;
        $('signin-password').value = b.dataset.password;
        $('signin-submit').focus();
      });
    }

    const form = $('signin-form');
    const submit = $('signin-submit');
    let waitTimer = 0;
    const waitFor = (seconds) => {
      clearInterval(waitTimer);
      let left = seconds;
      const tick = () => {
        if (left <= 0) {
          clearInterval(waitTimer);
          submit.disabled = false;
          submit.textContent = 'Sign in';
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
      const button = ev.target.closest('.end-session');
      const row = button && button.closest('[data-sg-handle]');
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
      const button = ev.target.closest('button[data-act]');
      const row = button && button.closest('[data-sg-user]');
      if (!row) return;
      const id = row.dataset.sgUser;
      const act = button.dataset.act;
      button.disabled = true;
      const r =
        act === 'end'
          ? await sg.endUserSessions(id)
          : await sg.updateUser(id, act === 'role' ? { role: button.dataset.role } : { disabled: act === 'disable' });
      button.disabled = false;
      show($('admin-message'), r.ok ? (act === 'end' ? `Ended ${r.revoked || 0} session(s).` : 'Saved.') : `Could not do that: ${r.error}`);
    });

    $('signout').addEventListener('click', async (ev) => {
      ev.preventDefault(); // the form is for pages without the module
      const r = await sg.signOut({ redirectUrl: '/' }).catch((err) => ({ ok: false, error: err.message }));
      if (!r.ok) show($('blocked-message'), `Could not sign out: ${r.error}`);
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
    hideFormNotices();
    if (ev.detail.path !== '/account') show($('account-message'), '');
    if (!ev.detail.path.startsWith('/admin')) show($('admin-message'), '');
    renderNotice();
  });
  window.addEventListener('sessionguard:change', (ev) => {
    if (ev.detail) show($('signin-error'), '');
  });

  if (!sg) return;
  sg.ready.then(start, () => {
    moduleFailed = true;
  });
})();
