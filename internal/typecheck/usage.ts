// usage.ts uses every member of window.sessionguard and every event the way
// docs/MODULE.md describes, so tsc checks static/sessionguard.d.ts against
// the documented API. The @ts-expect-error lines are misuses the
// declarations must refuse: tsc fails when one of them compiles.

import sg, { ready as esReady, decide as esDecide, signIn as esSignIn } from '../../static/sessionguard.mjs';

async function esModule(): Promise<void> {
  const s: SessionGuard.Session | null = await esReady;
  const d: 'allow' | 'deny' | 'check' = esDecide('/');
  const r: SessionGuard.Result = await esSignIn({ email: 'a@example.com', password: 'pw' });
  console.log(s, d, r, sg === sessionguard);
}

async function usage(): Promise<void> {
  const first: SessionGuard.Session | null = await sessionguard.ready;
  const now = sessionguard.session();
  if (first && now) {
    const name: string = now.user.name;
    const expires: string = first.expires;
    console.log(name, expires, now.user.id, now.user.email, now.user.role);
  }
  const pub: boolean = sessionguard.isPublic('/public');
  const went: boolean = await sessionguard.goto('/dashboard', { replace: true });
  await sessionguard.goto('/');
  const d: 'allow' | 'deny' | 'check' = sessionguard.decide('/admin');
  const v: SessionGuard.Verdict = await sessionguard.check('/admin');
  if (!v.allow && v.redirect) console.log(v.reason, v.redirect, d);

  const signedIn: SessionGuard.Result = await sessionguard.signIn({ email: 'a@example.com', password: 'pw', redirectUrl: '/' });
  if (!signedIn.ok) console.log(signedIn.error, signedIn.status, signedIn.retryAfter);
  else console.log(signedIn.redirectUrl);
  await sessionguard.signIn({ email: 'a@example.com', password: 'pw' });
  const step1 = await sessionguard.signIn({ email: 'a@example.com', password: 'pw' });
  if (step1.twoFactorRequired && step1.methods?.includes('totp')) {
    const second: SessionGuard.Result = await sessionguard.verifyTwoFactor({ code: '123456' });
    console.log(second.ok, (await sessionguard.verifyTwoFactor({ recoveryCode: 'abcd-efgh' })).ok);
  }
  const proved = await sessionguard.reauth({ password: 'pw', code: '123456' });
  const setup = await sessionguard.twoFactor.setup();
  console.log(proved.ok, setup.secret, setup.uri, setup.qr);
  const confirmed = await sessionguard.twoFactor.confirm('123456');
  console.log(confirmed.recoveryCodes?.length, (await sessionguard.twoFactor.disable('123456')).code);
  const s0 = sessionguard.session();
  if (s0) console.log(s0.aal === 'aal2', s0.authenticatedAt, s0.enrollmentRequired);
  window.addEventListener('sessionguard:reauth', (e) => console.log(e.detail.code, e.detail.path));
  await sessionguard.signOut();
  await sessionguard.signOut({ redirectUrl: '/' });

  const off: () => void = sessionguard.onChange((s) => console.log(s?.user.name ?? 'signed out'));
  off();
  const again: SessionGuard.Session | null = await sessionguard.refresh();
  const live: boolean = sessionguard.live();

  for (const d of await sessionguard.devices()) {
    const current: boolean = d.current;
    console.log(d.handle, d.device, d.userAgent, d.clientAddr, d.createdAt, d.lastSeen, d.expires, current);
    await sessionguard.endSession(d.handle);
  }
  const others = await sessionguard.endOtherSessions();
  console.log(others.revoked);
  await sessionguard.changePassword({ currentPassword: 'old', newPassword: 'new' });

  for (const u of await sessionguard.users()) {
    const disabled: boolean = u.disabled;
    console.log(u.id, u.email, u.name, u.role, u.createdAt, disabled);
    await sessionguard.updateUser(u.id, { role: 'admin' });
    await sessionguard.updateUser(u.id, { disabled: true });
    await sessionguard.endUserSessions(u.id);
  }
  console.log(pub, went, again, live, window.sessionguard === sessionguard);

  window.addEventListener('sessionguard:change', (e) => console.log(e.detail?.user.email));
  window.addEventListener('sessionguard:blocked', (e) => {
    const reason: SessionGuard.BlockedReason = e.detail.reason;
    console.log(e.detail.to, reason);
  });
  window.addEventListener('sessionguard:ended', (e) => {
    const reason: 'revoked' | 'expired' | 'role-changed' = e.detail.reason;
    console.log(reason);
  });
  window.addEventListener('sessionguard:navigate', (e) => console.log(e.detail.url, e.detail.path, e.detail.signIn));
}

async function misuses(): Promise<void> {
  // @ts-expect-error: the session may be null
  console.log(sessionguard.session().user);
  // @ts-expect-error: signIn needs a password
  await sessionguard.signIn({ email: 'a@example.com' });
  // @ts-expect-error: goto resolves with a boolean, not a Result
  const r: SessionGuard.Result = await sessionguard.goto('/');
  // @ts-expect-error: decide answers at once, it is no Promise
  await sessionguard.decide('/').then(() => 0);
  // @ts-expect-error: a second step needs a code or a recovery code
  await sessionguard.verifyTwoFactor({});
  // @ts-expect-error: there is no such member
  sessionguard.signin({ email: 'a@example.com', password: 'pw' });
  // @ts-expect-error: window.sessionguard is read-only
  window.sessionguard = sessionguard;
  window.addEventListener('sessionguard:blocked', (e) => {
    // @ts-expect-error: a blocked reason is one of three strings
    const reason: 'revoked' = e.detail.reason;
    console.log(reason, r);
  });
}

export { usage, misuses, esModule };
