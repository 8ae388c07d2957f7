import { EventContractError, openSealed, type EventHandler } from '@concierge/kit';
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
 * key, tampering, a different user) would give a dead link: the event goes to the dead-letter topic.
 */
export function onSetPasswordIssued(notifications: NotificationRepository, sealKey: Buffer): EventHandler {
  return async (event, { logger }) => {
    const data = event.data as unknown as SetPasswordIssued;
    try {
      // Only proves the token opens; the clear value is dropped at once and never stored or logged.
      openSealed(data.sealedToken, sealKey, data.userId);
    } catch {
      throw new EventContractError("sealedToken cannot be opened with this service's CONCIERGE_SEAL_KEY");
    }
    const created = await notifications.addOnce({
      userId: data.userId,
      kind: 'SET_PASSWORD',
      title: 'Set your password',
      body: `Hello ${data.displayName}, ${BODY[data.purpose]}. The link expires at ${data.expiresAt}.`,
      sourceEventId: event.id,
      createdAt: new Date(event.time),
      sealedToken: data.sealedToken,
    });
    logger.info({ userId: data.userId, purpose: data.purpose, created }, 'set-password notification stored');
  };
}
