/*
 * Types of sessionguard.mjs, the ES module entry (docs/MODULE.md): the same
 * object as window.sessionguard, and its members by name. TypeScript finds
 * this file beside sessionguard.mjs when you import that by a path
 * (import { ready } from './sessionguard.mjs').
 */
/// <reference path="./sessionguard.d.ts" />

declare const sessionguard: SessionGuard.API;
export default sessionguard;
export declare const ready: SessionGuard.API['ready'];
export declare const session: SessionGuard.API['session'];
export declare const isPublic: SessionGuard.API['isPublic'];
export declare const goto: SessionGuard.API['goto'];
export declare const decide: SessionGuard.API['decide'];
export declare const check: SessionGuard.API['check'];
export declare const signIn: SessionGuard.API['signIn'];
export declare const signOut: SessionGuard.API['signOut'];
export declare const verifyTwoFactor: SessionGuard.API['verifyTwoFactor'];
export declare const reauth: SessionGuard.API['reauth'];
export declare const twoFactor: SessionGuard.API['twoFactor'];
export declare const onChange: SessionGuard.API['onChange'];
export declare const refresh: SessionGuard.API['refresh'];
export declare const live: SessionGuard.API['live'];
export declare const devices: SessionGuard.API['devices'];
export declare const endSession: SessionGuard.API['endSession'];
export declare const endOtherSessions: SessionGuard.API['endOtherSessions'];
export declare const changePassword: SessionGuard.API['changePassword'];
export declare const users: SessionGuard.API['users'];
export declare const updateUser: SessionGuard.API['updateUser'];
export declare const endUserSessions: SessionGuard.API['endUserSessions'];

