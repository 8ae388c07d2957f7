import { batchedHandler, type EventEnvelope, type EventHandler } from '@concierge/kit';
import type { LinkKind, NotificationKind } from './notification.model';
import type { NotificationDraft, NotificationRepository } from './notification.repository';

/** What a notification says to its recipient; the event supplies its cause and time. */
export interface NotificationText {
  kind: NotificationKind;
  title: string;
  body: string;
  link?: { kind: LinkKind; id: string };
  onBehalfOf?: string[];
  sealedToken?: string;
}

/** The notification `event` makes for `userId`. */
export function draftFor(event: EventEnvelope, userId: string, text: NotificationText): NotificationDraft {
  const { link, onBehalfOf, sealedToken, ...words } = text;
  return {
    userId,
    ...words,
    link: link ?? null,
    onBehalfOf: onBehalfOf ?? [],
    sourceEventId: event.id,
    createdAt: new Date(event.time),
    ...(sealedToken !== undefined ? { sealedToken } : {}),
  };
}

/** The event's data as its contract shapes it; the consumer validated it against that contract before. */
export function dataOf<T>(event: EventEnvelope): T {
  return event.data as unknown as T;
}

/**
 * A handler that stores the notifications `draftsOf` makes of a chunk of events in one write,
 * once per event and recipient (kit batchedHandler: the effect is an insert keyed by the event).
 */
export function notifying(
  what: string,
  notifications: NotificationRepository,
  draftsOf: (events: EventEnvelope[]) => NotificationDraft[] | Promise<NotificationDraft[]>,
): EventHandler {
  return batchedHandler(async (events, { logger }) => {
    const drafts = await draftsOf(events);
    const created = await notifications.addOnce(drafts);
    logger.info({ events: events.length, created }, `${what} notifications stored`);
  });
}
