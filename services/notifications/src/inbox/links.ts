import type { LinkKind, NotificationLinkRecord } from './notification.model';

/** Where each kind of object lives in the portal. */
const ROOTS: Record<LinkKind, string> = {
  ACCESS_REQUEST: '/access-requests',
  GRANT: '/grants',
  DELEGATION: '/delegations',
  API_TOKEN: '/api-tokens',
};

/** The portal path of a linked object, e.g. /grants/<id> (the id encoded as one path segment). */
export function linkPath(link: NotificationLinkRecord): string {
  return `${ROOTS[link.kind]}/${encodeURIComponent(link.id)}`;
}
