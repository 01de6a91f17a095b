/*
 * Type declarations for window.sessionguard, the object sessionguard.js
 * defines (docs/MODULE.md), and the events it dispatches on window.
 *
 * Use them from TypeScript with a triple-slash reference (or list the file in
 * tsconfig.json's "files"):
 *
 *   /// <reference path="./sessionguard.d.ts" />
 *   const s = await sessionguard.ready;          // SessionGuard.Session | null
 *   addEventListener('sessionguard:blocked', (e) => e.detail.reason);
 *
 * and from plain JavaScript checked by tsc (checkJs) the same way. The
 * project's tests check these declarations with tsc against the demo's
 * script and a usage file (internal/typecheck).
 */

declare namespace SessionGuard {
  /** The account a session belongs to. */
  interface User {
    id: string;
    email: string;
    name: string;
    /** "user", "admin" or another role the server knows. */
    role: string;
  }

  /** A live session, as GET /api/session answers it. */
  interface Session {
    user: User;
    /** When the session ends without activity: RFC 3339, UTC, whole seconds. */
    expires: string;
    /** How the user proved it: a password ("aal1") or with a second factor ("aal2"). */
    aal?: 'aal1' | 'aal2';
    /** When the user last proved it (sign-in or reauth), RFC 3339. */
    authenticatedAt?: string;
    /** The account's role needs a second factor and has none: the session can only enrol and sign out. */
    enrollmentRequired?: boolean;
  }

  /** What signIn, signOut and the account calls resolve with. */
  interface Result {
    ok: boolean;
    /** The HTTP status of the server's answer (0 when there was none). */
    status: number;
    /** Why it failed, for a person to read (present when ok is false). */
    error?: string;
    /** Where the page goes (signIn and signOut, when ok is true). */
    redirectUrl?: string;
    /** Seconds to wait before trying again (status 429). */
    retryAfter?: number;
    /** How many sessions ended (endOtherSessions, endUserSessions). */
    revoked?: number;
    /** The server's code for a refusal the page can act on. */
    code?: 'reauth_required' | 'aal2_required' | 'enrollment_required' | string;
    /** signIn: the password was right; verifyTwoFactor completes it. */
    twoFactorRequired?: boolean;
    methods?: Array<'totp' | 'recovery'>;
    /** twoFactor.setup: the secret (base32), the otpauth:// URI and a QR code (data: URL). */
    secret?: string;
    uri?: string;
    qr?: string;
    /** twoFactor.confirm: ten recovery codes, shown once. */
    recoveryCodes?: string[];
  }

  /** One of the user's sessions, from devices(). */
  interface Device {
    /** A public handle for endSession; never the session id. */
    handle: string;
    /** A readable label, e.g. "Chrome on Linux". */
    device: string;
    userAgent: string;
    clientAddr: string;
    /** RFC 3339 times. */
    createdAt: string;
    lastSeen: string;
    expires: string;
    /** Whether this is the page's own session. */
    current: boolean;
  }

  /** An account, from users() (administrators). */
  interface Account {
    id: string;
    email: string;
    name: string;
    role: string;
    disabled: boolean;
    createdAt: string;
  }

  /** Why a navigation was cancelled. */
  type BlockedReason = 'unauthenticated' | 'forbidden' | 'step-up' | 'error';

  /** Why the live event stream ended the session. */
  type EndedReason = 'revoked' | 'expired' | 'role-changed';

  /** detail of sessionguard:blocked. */
  interface Blocked {
    /** The refused destination: path, search and hash. */
    to: string;
    reason: BlockedReason;
  }

  /** What check(path) resolves with. */
  interface Verdict {
    allow: boolean;
    /** Why not (when allow is false). */
    reason?: BlockedReason;
    /** For "unauthenticated": the sign-in page with the path as its callbackUrl. */
    redirect?: string;
  }

  /** detail of sessionguard:ended. */
  interface Ended {
    reason: EndedReason;
  }

  /** detail of sessionguard:reauth: an API call refused until the session is proved again. */
  interface Reauth {
    code: 'reauth_required' | 'aal2_required';
    /** The API path that was refused. */
    path: string;
  }

  /** detail of sessionguard:navigate. */
  interface Navigated {
    /** The new same-origin URL: path, search and hash. */
    url: string;
    path: string;
    /** Whether this is the module's own move to the sign-in page. */
    signIn: boolean;
  }

  interface API {
    /** Resolves with the initial session (or null) once the module runs; rejects if it cannot load. */
    readonly ready: Promise<Session | null>;
    /** The current session, or null (also before ready). */
    session(): Session | null;
    /** Whether everybody may see path, by the server's own rules (false before ready). */
    isPublic(path: string): boolean;
    /**
     * What the guard can tell of a navigation to path at once, from what the
     * module knows: "allow" (public, or the known-state rule vouches),
     * "deny" (it would be refused: no session, the wrong role, a path that
     * cannot be read) or "check" (ask the server: check). For a router's
     * before-navigation hook that must cancel synchronously.
     */
    decide(path: string): 'allow' | 'deny' | 'check';
    /**
     * The decision a navigation to path would get, with the same single
     * status request; nothing is dispatched and the page does not move.
     */
    check(path: string): Promise<Verdict>;
    /** A guarded in-page navigation: true when it happened, false when it was cancelled. */
    goto(path: string, options?: { replace?: boolean }): Promise<boolean>;
    signIn(credentials: { email: string; password: string; redirectUrl?: string }): Promise<Result>;
    signOut(options?: { redirectUrl?: string }): Promise<Result>;
    /** The second step of a sign-in that resolved {ok: false, twoFactorRequired: true}. */
    verifyTwoFactor(proof: { code: string } | { recoveryCode: string }): Promise<Result>;
    /** Proves the session again: the password, and a code when the account has a second factor. */
    reauth(proof: { password: string; code?: string }): Promise<Result>;
    /** Enrolling and removing an authenticator app. */
    readonly twoFactor: {
      setup(): Promise<Result>;
      confirm(code: string): Promise<Result>;
      disable(code: string): Promise<Result>;
    };
    /** Calls fn with the session (or null) on every change; returns the unsubscribe function. */
    onChange(fn: (session: Session | null) => void): () => void;
    /** Reads the session from the server again (jwt: renews the access token first). */
    refresh(): Promise<Session | null>;
    /** Whether the live event stream is connected and spoke within the last 30 s. */
    live(): boolean;
    /** The user's sessions, newest first. */
    devices(): Promise<Device[]>;
    /** Ends one of the user's sessions by its handle; ending this one signs the page out. */
    endSession(handle: string): Promise<Result>;
    /** Ends every session of the user but this one. */
    endOtherSessions(): Promise<Result>;
    /** Every other session ends; on success this page holds the rotated session. */
    changePassword(passwords: { currentPassword: string; newPassword: string }): Promise<Result>;
    /** Administrators: every account. */
    users(): Promise<Account[]>;
    /** Administrators: the user's sessions end and their pages hear role-changed or revoked. */
    updateUser(id: string, change: { role?: string; disabled?: boolean }): Promise<Result>;
    /** Administrators: ends each of the account's sessions. */
    endUserSessions(id: string): Promise<Result>;
  }
}

interface WindowEventMap {
  'sessionguard:change': CustomEvent<SessionGuard.Session | null>;
  'sessionguard:blocked': CustomEvent<SessionGuard.Blocked>;
  'sessionguard:ended': CustomEvent<SessionGuard.Ended>;
  'sessionguard:navigate': CustomEvent<SessionGuard.Navigated>;
  'sessionguard:reauth': CustomEvent<SessionGuard.Reauth>;
  'sessionguard:two-factor-changed': CustomEvent<{}>;
}

interface Window {
  readonly sessionguard: SessionGuard.API;
}

declare const sessionguard: SessionGuard.API;

