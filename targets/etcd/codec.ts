// How faultline's data sits in etcd, and the gateway's wire shapes. Keys are `KIND:` + the
// canonical JSON of the op's key (absent: null), like the built-in store's, so workloads never
// share a key; set elements are keys of their own under `set:<json>/`. Values are canonical JSON,
// so a compare on a value (cas) matches byte for byte. The gateway carries bytes as base64 and
// 64-bit integers as decimal strings, which are kept as strings (ids exceed 2^53).
import { canonicalJson } from '../../base/json.js';

export type KeyKind = 'register' | 'set' | 'counter' | 'list' | 'queue' | 'account' | 'ids';

export function storeKey(kind: KeyKind, key: unknown): string {
  return `${kind}:${canonicalJson(key === undefined ? null : key)}`;
}

/** The prefix under which every key of `kind` lives (scan, bank reads). */
export function kindPrefix(kind: KeyKind): string {
  return `${kind}:`;
}

/** The prefix of one set's element keys. */
export function setPrefix(key: unknown): string {
  return `${storeKey('set', key)}/`;
}

export function setElementKey(key: unknown, element: unknown): string {
  return `${setPrefix(key)}${canonicalJson(element)}`;
}

/** The op key a store key (or a set element's key) was built from. */
export function userKey(storeKeyText: string): unknown {
  return JSON.parse(storeKeyText.slice(storeKeyText.indexOf(':') + 1));
}

export function encodeValue(v: unknown): string {
  return b64(canonicalJson(v === undefined ? null : v));
}

export function b64(text: string): string {
  return Buffer.from(text, 'utf8').toString('base64');
}

export function unb64(text: string): string {
  return Buffer.from(text, 'base64').toString('utf8');
}

/** The end of the key range holding every key that starts with `prefix` (base64). */
export function prefixRangeEnd(prefix: string): string {
  const bytes = Buffer.from(prefix, 'utf8');
  // Drop trailing 0xff bytes, then bump the last one: the first key after the prefix's range.
  let end = bytes.length;
  while (end > 0 && bytes[end - 1] === 0xff) end--;
  if (end === 0) return b64('\0');
  const out = Buffer.from(bytes.subarray(0, end));
  out[end - 1]++;
  return out.toString('base64');
}

// ---- wire shapes (the parts faultline reads) ------------------------------------------------

export interface WireKv {
  key: string;
  value?: string;
  mod_revision?: string;
  create_revision?: string;
}

export interface WireHeader {
  revision?: string;
  member_id?: string;
  raft_term?: string;
}

export interface RangeReply {
  header?: WireHeader;
  kvs?: WireKv[];
  count?: string;
}

export interface PutReply {
  header?: WireHeader;
}

export interface TxnResponseOp {
  response_range?: RangeReply;
  response_put?: PutReply;
  response_delete_range?: { deleted?: string };
}

export interface TxnReply {
  header?: WireHeader;
  /** Absent (the gateway omits false) when the compares did not hold. */
  succeeded?: boolean;
  responses?: TxnResponseOp[];
}

export interface StatusReply {
  header?: WireHeader;
  leader?: string;
  raftIndex?: string;
  raftAppliedIndex?: string;
  raftTerm?: string;
  version?: string;
}

export interface MemberListReply {
  members?: { ID?: string; name?: string; peerURLs?: string[]; clientURLs?: string[] }[];
}

export type RequestOp =
  | { request_range: { key: string; range_end?: string } }
  | { request_put: { key: string; value: string } }
  | { request_delete_range: { key: string; range_end?: string } };

export type Compare =
  | { key: string; target: 'MOD'; result: 'EQUAL'; mod_revision: string }
  | { key: string; target: 'VERSION'; result: 'EQUAL'; version: string }
  | { key: string; target: 'VALUE'; result: 'EQUAL'; value: string };

export interface TxnRequest {
  compare?: Compare[];
  success?: RequestOp[];
  failure?: RequestOp[];
}

/** A key's decoded value and the revision it was last changed at ("0": the key does not exist). */
export interface Current {
  value: unknown;
  modRevision: string;
}

export const ABSENT: Current = { value: undefined, modRevision: '0' };

export function decodeKv(kv: WireKv): Current {
  // The gateway omits an empty value; faultline never writes one (canonical JSON is never empty).
  return { value: kv.value === undefined ? undefined : JSON.parse(unb64(kv.value)), modRevision: kv.mod_revision ?? '0' };
}

/** The single key a range asked for, or ABSENT. */
export function firstKv(r: RangeReply | undefined): Current {
  const kv = r?.kvs?.[0];
  return kv === undefined ? ABSENT : decodeKv(kv);
}
