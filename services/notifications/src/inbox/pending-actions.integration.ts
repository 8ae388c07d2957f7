import { randomUUID } from 'node:crypto';
import { EventContracts, type RunningService } from '@concierge/kit';
import {
  eventually,
  kafka,
  readTopic,
  serviceConfig,
  startAtEnd,
  dropDatabases,
} from '../../../../test/testkit';
import { startServer } from '../server';
import { inboxOf, produce, type InboxNode } from './inbox-testkit.fixture';
import {
  delegationCreated,
  grantCreated,
  grantExpiring,
  grantFacts,
  grantStarted,
  requestApproved,
  requestFacts,
  requestRejected,
  taskAssigned,
  taskEscalated,
  taskReminder,
} from './sample-events.fixture';

/** A fresh user id per person per test, so tests never see each other's notifications. */
const person = (name: string) => `${name}-${randomUUID().slice(0, 8)}`;

describe('notifications of pending actions (real broker and database)', () => {
  let service: RunningService;
  const producer = kafka.producer();
  const config = serviceConfig('notifications');

  beforeAll(async () => {
    await startAtEnd(config.groupId as string);
    service = await startServer(config);
    await producer.connect();
  });
  afterAll(async () => {
    await producer.disconnect();
    const name = service.runtime.db.name;
    await service.stop();
    await dropDatabases([name]);
  });

  /** The inbox of each user once each has `count` notifications (the default 1). */
  const inboxesOnce = (users: string[], count = 1) =>
    eventually(async () => {
      const inboxes = await Promise.all(users.map((u) => inboxOf(service.url, u)));
      return inboxes.every((inbox) => inbox.length === count) ? inboxes : undefined;
    });
  const only = (inbox: InboxNode[] | undefined): InboxNode => {
    expect(inbox).toHaveLength(1);
    return (inbox as InboxNode[])[0] as InboxNode;
  };

  it('when a task is assigned, then every assignee and deputy gets one notification, the deputy on whose behalf, and a redelivery adds none', async () => {
    const [ada, owen, dora] = [person('ada'), person('owen'), person('dora')];
    const delegation = delegationCreated({ delegatorId: ada, delegatorName: 'Ada Lovelace', deputyId: dora });
    await produce(producer, delegation);
    const [doraFirst] = await inboxesOnce([dora]);
    expect(only(doraFirst)).toMatchObject({
      kind: 'DELEGATION_RECEIVED',
      title: "You are now Ada Lovelace's deputy",
      link: { kind: 'DELEGATION', id: delegation.subject, path: `/delegations/${delegation.subject}` },
    });

    const facts = requestFacts();
    const assigned = taskAssigned(facts, {
      assignees: [
        { userId: ada, reason: 'MANAGER' },
        { userId: owen, reason: 'APPLICATION_OWNER' },
      ],
      deputies: [{ userId: dora, forUserId: ada, delegationId: delegation.subject }],
    });
    await produce(producer, assigned);
    await inboxesOnce([ada, owen]);
    const doras = await eventually(async () => {
      const inbox = await inboxOf(service.url, dora);
      return inbox.length === 2 ? inbox : undefined;
    });
    const [adas, owens] = [await inboxOf(service.url, ada), await inboxOf(service.url, owen)];
    const path = `/access-requests/${facts.requestId}`;
    expect(only(adas)).toMatchObject({
      kind: 'TASK_ASSIGNED',
      title: 'Approval needed: Payroll admin in SAP for Grace Hopper',
      link: { kind: 'ACCESS_REQUEST', id: facts.requestId, path },
      onBehalfOf: [],
      createdAt: assigned.time,
      readAt: null,
    });
    expect(only(adas).body).toContain("You are asked as Grace Hopper's manager.");
    expect(only(owens).body).toContain('You are asked as an owner of SAP.');
    const task = doras.find((n) => n.kind === 'TASK_ASSIGNED');
    expect(task).toMatchObject({ onBehalfOf: [{ id: ada }], link: { path } });
    expect(task?.body).toContain('on behalf of Ada Lovelace, who made you their deputy');

    // Redelivered after they were handled; a later event on the same key (so the same partition)
    // of each topic proves the copies were read.
    const [taskMarker, delegationMarker] = [person('marker'), person('marker')];
    await produce(
      producer,
      assigned,
      delegation,
      taskReminder(facts, { recipients: [taskMarker] }),
      delegationCreated({
        delegationId: delegation.subject,
        delegatorId: ada,
        delegatorName: 'Ada Lovelace',
        deputyId: delegationMarker,
      }),
    );
    await inboxesOnce([taskMarker, delegationMarker]);
    expect(await inboxOf(service.url, ada)).toHaveLength(1);
    expect(await inboxOf(service.url, owen)).toHaveLength(1);
    expect(await inboxOf(service.url, dora)).toHaveLength(2);
  });

  it('when a reminder fires, then recipients and deputies are reminded, deputies on whose behalf', async () => {
    const [ada, dora] = [person('ada'), person('dora')];
    const facts = requestFacts();
    await produce(
      producer,
      taskReminder(facts, {
        recipients: [ada],
        // A delegation this service never heard of: the approver goes unnamed, never misnamed.
        deputies: [{ userId: dora, forUserId: ada, delegationId: `del-${randomUUID()}` }],
      }),
    );
    const [adas, doras] = await inboxesOnce([ada, dora]);
    expect(only(adas)).toMatchObject({
      kind: 'TASK_REMINDER',
      title: 'Reminder: Payroll admin in SAP for Grace Hopper awaits a decision',
      onBehalfOf: [],
    });
    expect(only(adas).body).toContain('Please approve or reject it by 2027-01-07 08:00 UTC');
    expect(only(doras)).toMatchObject({ kind: 'TASK_REMINDER', onBehalfOf: [{ id: ada }] });
    expect(only(doras).body).toContain('on behalf of an approver, who made you their deputy');
  });

  it('when a task escalates, then the new approver, their deputy, the earlier approvers and the requester each get a text for their role, the beneficiary none', async () => {
    const [max, dana, ada, alan, grace] = ['max', 'dana', 'ada', 'alan', 'grace'].map(person) as [
      string,
      string,
      string,
      string,
      string,
    ];
    const facts = requestFacts({ requesterId: alan, beneficiaryId: grace });
    await produce(
      producer,
      delegationCreated({ delegatorId: max, delegatorName: 'Max Planck', deputyId: dana }),
    );
    await inboxesOnce([dana]);
    const delegationId = (await inboxOf(service.url, dana))[0]?.link?.id as string;
    await produce(
      producer,
      taskEscalated(facts, {
        assignees: [max],
        deputies: [{ userId: dana, forUserId: max, delegationId }],
        earlierApprovers: [ada],
      }),
    );
    const [maxs, adas, alans] = await inboxesOnce([max, ada, alan]);
    const danas = await eventually(async () => {
      const inbox = await inboxOf(service.url, dana);
      return inbox.length === 2 ? inbox : undefined;
    });
    expect(only(maxs)).toMatchObject({
      kind: 'TASK_ESCALATED',
      title: 'Escalated to you: Payroll admin in SAP for Grace Hopper',
    });
    expect(only(maxs).body).toContain('had no decision after 2 days 4 hours and was escalated to you');
    const danasTask = danas.find((n) => n.kind === 'TASK_ESCALATED');
    expect(danasTask?.onBehalfOf).toEqual([{ id: max }]);
    expect(danasTask?.body).toContain('on behalf of Max Planck, who made you their deputy');
    expect(only(adas).body).toContain('You can still approve or reject it yourself.');
    expect(only(alans)).toMatchObject({
      kind: 'TASK_ESCALATED',
      title: 'Your request was escalated: Payroll admin in SAP',
    });
    expect(only(alans).body).toMatch(
      /^Your request for Grace Hopper's access to Payroll admin in SAP had no decision/,
    );
    // The same insert stored the others, so the beneficiary's absence is final.
    expect(await inboxOf(service.url, grace)).toHaveLength(0);
  });

  it('when a request is approved or rejected, then requester and beneficiary learn it, once when they are one person, with the comment', async () => {
    const [alan, grace, gwen] = [person('alan'), person('grace'), person('gwen')];
    const forGrace = requestFacts({ requesterId: alan, beneficiaryId: grace });
    const ownRequest = requestFacts({ requesterId: gwen, beneficiaryId: gwen, kind: 'EXTENSION' });
    await produce(producer, requestApproved(forGrace), requestRejected(ownRequest, 'Ask again in March.'));
    const [alans, graces, gwens] = await inboxesOnce([alan, grace, gwen]);
    expect(only(alans)).toMatchObject({
      kind: 'REQUEST_APPROVED',
      title: 'Approved: Payroll admin in SAP',
      body: "Your request for Grace Hopper's access to Payroll admin in SAP was approved.",
      link: {
        kind: 'ACCESS_REQUEST',
        id: forGrace.requestId,
        path: `/access-requests/${forGrace.requestId}`,
      },
    });
    expect(only(graces).body).toBe('The request for your access to Payroll admin in SAP was approved.');
    expect(only(gwens)).toMatchObject({
      kind: 'REQUEST_REJECTED',
      title: 'Rejected: Payroll admin in SAP',
      body: 'Your request to extend your access to Payroll admin in SAP was rejected. Comment: "Ask again in March."',
    });
  });

  it('when a grant is created in force, starts or expires soon, then the beneficiary is told; a scheduled grant waits for its start', async () => {
    const grace = person('grace');
    const now = grantFacts({ beneficiaryId: grace, entitlementName: 'Reader' });
    const later = grantFacts({ beneficiaryId: grace, entitlementName: 'Writer', validTo: null });
    await produce(producer, grantCreated(now, 'ACTIVE', 'ADMINISTRATOR'), grantCreated(later, 'SCHEDULED'));
    // grant.started follows the scheduled creation on the same key, so once it shows the creation was handled.
    await produce(producer, grantStarted(later), grantExpiring(now));
    const [inbox] = await inboxesOnce([grace], 3);
    const byTitle = new Map((inbox ?? []).map((n) => [n.title, n]));
    expect(byTitle.get('Access granted: Reader in SAP')).toMatchObject({
      kind: 'GRANT_STARTED',
      body: 'You now have access to Reader in SAP until 2027-03-31 17:00 UTC. An administrator gave it to you.',
      link: { kind: 'GRANT', id: now.grantId, path: `/grants/${now.grantId}` },
    });
    expect(byTitle.get('Access granted: Writer in SAP')).toMatchObject({
      kind: 'GRANT_STARTED',
      body: 'You now have access to Writer in SAP.',
    });
    expect(byTitle.get('Access ends soon: Reader in SAP')).toMatchObject({
      kind: 'GRANT_EXPIRING',
      link: { kind: 'GRANT', id: now.grantId },
    });
  });

  it('when an event breaks its contract, then it goes to the dead-letter topic with the reason and nothing is stored', async () => {
    const dlq = await readTopic('concierge.dead-letter.v1');
    try {
      const [ada, marker] = [person('ada'), person('marker')];
      const facts = requestFacts();
      const broken = taskAssigned(facts, { assignees: [{ userId: ada, reason: 'MANAGER' }] });
      delete (broken.data as { deputies?: unknown }).deputies;
      expect(() => new EventContracts().validate(broken)).toThrow(/must have required property 'deputies'/);
      await producer.send({
        topic: 'concierge.access-request.v1',
        messages: [{ key: broken.subject, value: JSON.stringify(broken) }],
      });
      // A valid event behind it on the same key shows the partition moved on.
      await produce(producer, taskAssigned(facts, { assignees: [{ userId: marker, reason: 'NAMED_USER' }] }));
      await inboxesOnce([marker]);
      const [dead] = await eventually(async () => {
        const found = dlq.messages.filter(
          (m) =>
            m.key?.toString() === facts.requestId && m.headers?.['dlq-group']?.toString() === config.groupId,
        );
        return found.length === 1 ? found : undefined;
      });
      expect(dead?.headers?.['dlq-reason']?.toString()).toMatch(
        /data: \/ must have required property 'deputies'/,
      );
      expect(dead?.headers?.['dlq-topic']?.toString()).toBe('concierge.access-request.v1');
      expect(JSON.parse(dead?.value?.toString() ?? '{}')).toMatchObject({ id: broken.id });
      expect(await inboxOf(service.url, ada)).toHaveLength(0);
      const stored = await service.runtime.db
        .collection('notifications')
        .countDocuments({ sourceEventId: broken.id });
      expect(stored).toBe(0);
    } finally {
      await dlq.stop();
    }
  });
});
