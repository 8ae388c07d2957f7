import { EventContractError, openSealed, type EventEnvelope, type EventHandler } from '@concierge/kit';
import type { NotificationDraft, NotificationRepository } from './notification.repository';
import { dataOf, draftFor, notifying } from './store-notifications';

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
 * The SET_PASSWORD notification of a set-password link, keeping the token sealed for the e-mail
 * delivery. Throws EventContractError when the token does not open with `sealKey` for this user.
 */
export function setPasswordNotification(event: EventEnvelope, sealKey: Buffer): NotificationDraft {
  const data = dataOf<SetPasswordIssued>(event);
  try {
    // Only proves the token opens; the clear value is dropped at once and never stored or logged.
    openSealed(data.sealedToken, sealKey, data.userId);
  } catch {
    throw new EventContractError("sealedToken cannot be opened with this service's CONCIERGE_SEAL_KEY");
  }
  return draftFor(event, data.userId, {
    kind: 'SET_PASSWORD',
    title: 'Set your password',
    body: `Hello ${data.displayName}, ${BODY[data.purpose]}. The link expires at ${data.expiresAt}.`,
    sealedToken: data.sealedToken,
  });
}

/**
 * credential.set-password-issued → a SET_PASSWORD notification in the user's inbox (once per event).
 * A token this service cannot open (another key, tampering, a different user) would give a dead
 * link: the event goes to the dead-letter topic (the chunk fails, and the consumer handles its
 * events one by one to isolate it).
 */
export function onSetPasswordIssued(notifications: NotificationRepository, sealKey: Buffer): EventHandler {
  return notifying('set-password', notifications, (events) =>
    events.map((event) => setPasswordNotification(event, sealKey)),
  );
}
