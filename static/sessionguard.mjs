/*
 * sessionguard.mjs: the browser module as an ES module, beside the classic
 * scripts. It loads wasm_exec.js and sessionguard.js from its own folder
 * (once: a page that has the classic scripts shares the same object) and
 * exports window.sessionguard's members:
 *
 *   import { ready, session, signIn, decide, check } from '/sessionguard.mjs';
 *   const s = await ready;
 *
 * The known-state rule (data-instant-guard on the classic script) is turned
 * on with ?instant-guard on this module's URL: '/sessionguard.mjs?instant-guard'.
 * See docs/MODULE.md; the types are in sessionguard.d.ts.
 */
const url = new URL(import.meta.url);
if (!globalThis.sessionguard) {
  globalThis.__sessionguardModule = { base: url.href, instantGuard: url.searchParams.has('instant-guard') };
  try {
    if (typeof globalThis.Go !== 'function') await import(new URL('wasm_exec.js', url).href);
    await import(new URL('sessionguard.js', url).href);
  } finally {
    delete globalThis.__sessionguardModule;
  }
}
const sg = globalThis.sessionguard;

export default sg;
export const {
  ready,
  session,
  isPublic,
  goto,
  decide,
  check,
  signIn,
  signOut,
  verifyTwoFactor,
  reauth,
  twoFactor,
  onChange,
  refresh,
  live,
  devices,
  endSession,
  endOtherSessions,
  changePassword,
  users,
  updateUser,
  endUserSessions,
} = sg;
