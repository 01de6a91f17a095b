// usage.ts uses every member of window.sessionguard and every event the way
// docs/MODULE.md describes, so tsc checks static/sessionguard.d.ts against
// the documented API. The @ts-expect-error lines are misuses the
// declarations must refuse: tsc fails when one of them compiles.

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

export { usage, misuses };
