import { randomUUID } from 'node:crypto';
import type { Producer } from 'kafkajs';
import { createEvent, EventContracts, type EventEnvelope } from '@concierge/kit';
import type { UserStatus } from './directory-user.model';

const TOPIC = 'concierge.user.v1';
const contracts: EventContracts = new EventContracts();

/** A user as the users service would announce them. */
export interface SeedUser {
  id: string;
  displayName: string;
  status?: 'PENDING' | 'ACTIVE';
  managerId?: string | null;
  organizationId?: string;
}

/** A fresh user id with a readable prefix (the broker is shared by every test run). */
export const userId = (name: string) => `${name}-${randomUUID()}`;

/**
 * Publishes user events to `concierge.user.v1` as the users service would (validated against their
 * contracts, keyed by user id), for tests that seed this service's projection through the broker.
 */
export function userEvents(producer: Producer) {
  const send = async (type: string, subject: string, data: Record<string, unknown>) => {
    const event: EventEnvelope = createEvent('/concierge/users', {
      type,
      subject,
      data,
      actor: 'test',
      correlationId: randomUUID(),
    });
    contracts.validate(event);
    await producer.send({ topic: TOPIC, messages: [{ key: subject, value: JSON.stringify(event) }] });
    return event;
  };
  return {
    /** Sends the raw event again (a redelivery). */
    resend: (event: EventEnvelope) =>
      producer.send({ topic: TOPIC, messages: [{ key: event.subject, value: JSON.stringify(event) }] }),
    created: (u: SeedUser) =>
      send('user.created', u.id, {
        userId: u.id,
        email: `${u.id}@example.org`,
        displayName: u.displayName,
        status: u.status ?? 'ACTIVE',
        organizationId: u.organizationId ?? 'org-test',
        managerId: u.managerId ?? null,
        employeeType: 'EMPLOYEE',
      }),
    status: (
      id: string,
      type: 'activated' | 'suspended' | 'terminated',
      status: UserStatus,
      previous: UserStatus,
    ) => send(`user.${type}`, id, { userId: id, status, previousStatus: previous, trigger: 'ON_DEMAND' }),
    rehired: (id: string) =>
      send('user.rehired', id, {
        userId: id,
        status: 'PENDING',
        previousStatus: 'TERMINATED',
        startDate: new Date(Date.now() + 86_400_000).toISOString(),
      }),
    updated: (id: string, changes: Record<string, { before: unknown; after: unknown }>) =>
      send('user.updated', id, { userId: id, changes }),
    moved: (
      id: string,
      before: { organizationId: string; managerId: string | null },
      after: { organizationId: string; managerId: string | null },
    ) =>
      send('user.moved', id, {
        userId: id,
        before: { ...before, employeeType: 'EMPLOYEE' },
        after: { ...after, employeeType: 'EMPLOYEE' },
      }),
  };
}
