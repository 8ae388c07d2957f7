import { createHash } from 'node:crypto';
import { bucketNames, type BucketEntry, type BucketOrder, type BucketPosition } from '@concierge/kit';
import type { UserRecord } from './user.model';

/**
 * What the directory listing and the text search store on each user (see the kit's
 * OrderedBuckets and the README, "Storage"): the buckets of every list the user appears in, and
 * the search terms of the user's names, e-mail address and username. Both are computed from the
 * user alone, so they are written in the same write as the user.
 */

export type UserSortField = 'displayName' | 'email' | 'createdAt';

/**
 * The orders a list can be read in, and where their levels cut (kit OrderedBuckets). Cuts two
 * characters apart keep a heavy bucket's children few (at most the square of the alphabet); names
 * repeat, so the last levels cut the id. Creation times cut at day, hour, minute, second, tenth
 * and thousandth of a second: an import creates thousands a second.
 */
export const USER_ORDERS: Record<UserSortField, BucketOrder> = {
  displayName: { name: 'n', keyLevels: [1, 2, 3, 4, 6, 8, 12, 16], idLevels: [1] },
  email: { name: 'e', keyLevels: [2, 4, 6, 8, 10, 12, 16], idLevels: [] },
  createdAt: { name: 'c', keyLevels: [10, 13, 16, 19, 21, 23], idLevels: [1] },
};

/** The lists a user is in: their organisation's members, and everyone. */
export function scopesOf(user: Pick<UserRecord, 'organizationId'>): string[] {
  return [organizationScope(user.organizationId), EVERYONE];
}
export const EVERYONE = '*';
/**
 * An organisation's list, named by a short digest of its id: the name is stored once per level
 * on every user. Reads also check the organisation, so two ids that shared a digest would still
 * never mix.
 */
export function organizationScope(organizationId: string): string {
  return `o${createHash('sha256').update(organizationId).digest('base64url').slice(0, 10)}`;
}

/** Lower case, accents removed, every run of other characters than letters and digits one space. */
export function foldText(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase()
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .replace(/[\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .trim();
}

function safeChar(c: string): string {
  if (c.length > 1) return '\uFFFD';
  return c < ' ' ? ' ' : c;
}

/** The key a user sorts by in `sort`: names case- and accent-insensitively, the rest as stored. */
export function sortKey(
  sort: UserSortField,
  user: Pick<UserRecord, 'displayName' | 'email' | 'createdAt'>,
): string {
  if (sort === 'displayName') return foldText(user.displayName);
  // Control characters would sort below the tab that ends a key (kit OrderedBuckets).
  if (sort === 'email') return [...user.email].map(safeChar).join('');
  return user.createdAt.toISOString();
}

export function positionOf(
  sort: UserSortField,
  user: Pick<UserRecord, '_id' | 'displayName' | 'email' | 'createdAt'>,
): BucketPosition {
  return { key: sortKey(sort, user), id: user._id };
}

/** The user's place in every list it is in. */
export function listEntries(
  user: Pick<UserRecord, '_id' | 'organizationId' | 'displayName' | 'email' | 'createdAt'>,
): BucketEntry[] {
  const entries: BucketEntry[] = [];
  for (const scope of scopesOf(user)) {
    for (const [sort, order] of Object.entries(USER_ORDERS) as [UserSortField, BucketOrder][]) {
      entries.push({ scope, order, at: positionOf(sort, user) });
    }
  }
  return entries;
}

/** Every bucket of every list the user is in. */
export function listBuckets(
  user: Pick<UserRecord, '_id' | 'organizationId' | 'displayName' | 'email' | 'createdAt'>,
): string[] {
  return listEntries(user).flatMap((e) => bucketNames(e.scope, e.order, e.at));
}

/** Query words shorter than this match whole words only; longer ones match the start of words. */
export const MIN_PREFIX = 3;
/** Stored prefixes stop here; a longer query word is looked up by its first characters. */
export const MAX_PREFIX = 16;

type Searchable = Pick<UserRecord, 'displayName' | 'givenName' | 'familyName' | 'email' | 'username'>;

/** The words a text search looks at. */
export function searchWords(user: Searchable): Set<string> {
  const text = [user.displayName, user.givenName, user.familyName, user.email, user.username]
    .filter((v): v is string => typeof v === 'string')
    .join(' ');
  return new Set(foldText(text).split(' ').filter(Boolean));
}

/** The stored terms: every whole word, and every prefix of MIN_PREFIX to MAX_PREFIX characters. */
export function searchTerms(user: Searchable): string[] {
  const terms = new Set<string>();
  for (const word of searchWords(user)) {
    if (word.length <= MAX_PREFIX) terms.add(word);
    for (let n = MIN_PREFIX; n <= Math.min(word.length, MAX_PREFIX); n++) terms.add(word.slice(0, n));
  }
  return [...terms];
}

/** The words of a search text, folded like the stored ones. */
export function queryWords(text: string): string[] {
  return [...new Set(foldText(text).split(' ').filter(Boolean))];
}

/** The one stored term a search looks up: its longest word, at most MAX_PREFIX characters. */
export function lookupTerm(words: readonly string[]): string {
  const longest = words.reduce((a, b) => (b.length > a.length ? b : a), '');
  return longest.slice(0, MAX_PREFIX);
}

/** Whether the user matches every word: a short word as a whole word, a longer one as a word's start. */
export function matchesWords(user: Searchable, words: readonly string[]): boolean {
  const own = [...searchWords(user)];
  return words.every((w) => (w.length < MIN_PREFIX ? own.includes(w) : own.some((o) => o.startsWith(w))));
}

/** The stored fields of listing and search, for a user's state after a write. */
export function listingFields(user: Searchable & Pick<UserRecord, '_id' | 'organizationId' | 'createdAt'>): {
  listBuckets: string[];
  searchTerms: string[];
} {
  return { listBuckets: listBuckets(user), searchTerms: searchTerms(user) };
}

/** The fields a change must touch for the stored listing fields to change. */
export const LISTING_INPUTS: readonly (keyof UserRecord)[] = [
  'displayName',
  'givenName',
  'familyName',
  'email',
  'username',
  'organizationId',
];
