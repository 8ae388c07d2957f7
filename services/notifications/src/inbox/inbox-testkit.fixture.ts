import { EventContracts, type EventEnvelope, type Principal } from '@concierge/kit';
import type { Producer } from 'kafkajs';
import { graphql } from '../../../../test/testkit';

/** Helpers the inbox's integration tests share: produce events as their producers would, read inboxes through the graph. */

const contracts: EventContracts = new EventContracts();

/** A signed-in user without roles, as the gateway forwards them. */
export const userPrincipal = (userId: string): Principal => ({ kind: 'user', userId, roles: [] });

/**
 * Produces the events, each checked against its contract first, on the topic the catalogue
 * (schema/events/topics.json) gives its type, keyed by its subject as producers key them.
 */
export async function produce(producer: Producer, ...events: EventEnvelope[]): Promise<void> {
  for (const event of events) {
    contracts.validate(event);
    await producer.send({
      topic: contracts.topicFor(event.type),
      messages: [{ key: event.subject, value: JSON.stringify(event) }],
    });
  }
}

export interface InboxNode {
  id: string;
  kind: string;
  title: string;
  body: string;
  link: { kind: string; id: string; path: string } | null;
  onBehalfOf: { id: string }[];
  createdAt: string;
  readAt: string | null;
}

export interface InboxPage {
  unreadCount: number;
  pageInfo: { hasNextPage: boolean; endCursor: string | null };
  edges: { cursor: string; node: InboxNode }[];
}

export const MY_NOTIFICATIONS = `
  query ($first: Int, $after: String, $unreadOnly: Boolean) {
    myNotifications(first: $first, after: $after, unreadOnly: $unreadOnly) {
      unreadCount
      pageInfo { hasNextPage endCursor }
      edges {
        cursor
        node { id kind title body link { kind id path } onBehalfOf { id } createdAt readAt }
      }
    }
  }
`;

/** One page of `userId`'s inbox through the graph, signed as that user; fails on any error. */
export async function inboxPageOf(
  url: string,
  userId: string,
  variables: { first?: number; after?: string | null; unreadOnly?: boolean } = { first: 100 },
): Promise<InboxPage> {
  const res = await graphql<{ myNotifications: InboxPage }>(
    url,
    MY_NOTIFICATIONS,
    variables,
    userPrincipal(userId),
  );
  if (!res.data) throw new Error(`myNotifications failed: ${JSON.stringify(res.errors)}`);
  return res.data.myNotifications;
}

/** The notifications of `userId` (up to 100), newest first. */
export async function inboxOf(url: string, userId: string): Promise<InboxNode[]> {
  return (await inboxPageOf(url, userId)).edges.map((e) => e.node);
}
