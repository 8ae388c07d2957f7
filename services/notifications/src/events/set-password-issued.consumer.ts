import { batchedHandler, EventContractError, openSealed, type EventHandler } from '@concierge/kit';
import type { NotificationRepository } from '../data/notification.repository';

interface SetPasswordIssued {
  userId: string;
  email: string;
  displayName: string;
  purpose: 'ACTIVATION' | 'ADMIN_RESET';
  expiresAt: string;
  sealedToken: string;
}

const BODY: Record<SetPasswordIssued['purpose'], string> = {
  ACTIVATION: 'your account is ready. Choose a password with the link we e-mail you',
  ADMIN_RESET: 'an administrator reset your password. Choose a new one with the link we e-mail you',
};

/**
 * credential.set-password-issued → a SET_PASSWORD notification in the user's inbox (once per event)
 * that keeps the token sealed for the e-mail delivery. A token this service cannot open (another
 * key, tampering, a different user) would give a dead link: the event goes to the dead-letter topic
 * (the chunk fails, and the consumer handles its events one by one to isolate it).
 */
export function onSetPasswordIssued(notifications: NotificationRepository, sealKey: Buffer): EventHandler {
  return batchedHandler(async (events, { logger }) => {
    const list = events.map((event) => {
      const data = event.data as unknown as SetPasswordIssued;
      try {
        // Only proves the token opens; the clear value is dropped at once and never stored or logged.
        openSealed(data.sealedToken, sealKey, data.userId);
      } catch {
        throw new EventContractError("sealedToken cannot be opened with this service's CONCIERGE_SEAL_KEY");
      }
      return {
        userId: data.userId,
        kind: 'SET_PASSWORD' as const,
        title: 'Set your password',
        body: `Hello ${data.displayName}, ${BODY[data.purpose]}. The link expires at ${data.expiresAt}.`,
        sourceEventId: event.id,
        createdAt: new Date(event.time),
        sealedToken: data.sealedToken,
      };
    });
    const created = await notifications.addOnce(list);
    logger.info({ events: events.length, created }, 'set-password notifications stored');
  });
}
