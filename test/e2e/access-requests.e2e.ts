import { createOrg, eventually, graphql, type GraphQLResponse } from '../testkit';
import { startStack } from '../testkit/stack';

const CREATE_USER = `mutation($input: CreateUserInput!) { createUser(input: $input) { id } }`;
const POLICY = `mutation($input: ApprovalPolicyInput!) { createApprovalPolicy(input: $input) { id } }`;
const APP = `mutation($input: CreateApplicationInput!) { createApplication(input: $input) { id } }`;
const ENT = `mutation($app: ID!, $input: EntitlementInput!) { addEntitlement(applicationId: $app, input: $input) { id } }`;
const RULE = `mutation($input: BirthrightRuleInput!) { createBirthrightRule(input: $input) { id } }`;
const REQUEST = `mutation($input: RequestAccessInput!) { requestAccess(input: $input) { id status } }`;
const DELEGATE = `mutation($input: CreateDelegationInput!) { createDelegation(input: $input) { id status } }`;
const APPROVALS = `{ myApprovals { edges { node { request { id beneficiary { id } beneficiaryName entitlement { name } } approver { id } actingAs } } } }`;
const APPROVE = `mutation($id: ID!) { approveAccessRequest(id: $id) { id status grant { id status } } }`;
const ME = `{ me {
  id
  grants { edges { node { entitlement { name } source status application { name } } } }
  accessRequests { edges { node { id status timeline { action actorId onBehalfOf { id } } } } }
} }`;
const INBOX = `{ myNotifications(first: 50) { unreadCount edges { node { kind title link { kind id path } } } } }`;

type Inbox = {
  myNotifications: {
    unreadCount: number;
    edges: { node: { kind: string; title: string; link: { kind: string; id: string } | null } }[];
  };
};

/**
 * The whole flow through the gateway, on every real subgraph: users made in the users service
 * reach the access-requests service by events; a request is routed to the manager; the manager
 * names a deputy in the delegation service while the task is open; the deputy approves; the grant
 * shows on the user; the inboxes in the notifications service tell each person their part; a
 * birthright rule gives a joiner access without approval.
 */
describe('requesting and approving access, end to end through the gateway', () => {
  let stack: Awaited<ReturnType<typeof startStack>>;
  let org: string;
  const ids: Record<string, string> = {};
  const tokens: Record<string, string> = {};
  let admin = '';

  beforeAll(async () => {
    stack = await startStack();
    org = await createOrg(stack.users.url);
    admin = await stack.token('e2e-admin', ['admin']);
  });
  afterAll(() => stack.stop());

  const call = <T>(query: string, variables: Record<string, unknown>, token: string) =>
    graphql<T>(stack.gateway.url, query, variables, { authorization: `Bearer ${token}` });
  const ok = <T>(res: GraphQLResponse<T>): T => {
    expect(res.errors).toBeUndefined();
    return res.data as T;
  };
  async function person(key: string, name: string, managerKey?: string) {
    const input = {
      organizationId: org,
      email: `${key}.${Date.now()}@example.org`,
      displayName: name,
      ...(managerKey ? { managerId: ids[managerKey] } : {}),
    };
    ids[key] = ok(await call<{ createUser: { id: string } }>(CREATE_USER, { input }, admin)).createUser.id;
    tokens[key] = await stack.token(ids[key] as string);
  }

  it('when an employee asks, the manager hands the task to a deputy who approves, then the grant shows and everyone is told', async () => {
    await person('manager', 'Maria Manager');
    await person('employee', 'Emil Employee', 'manager');
    await person('deputy', 'Dora Deputy');
    await person('owner', 'Otto Owner');
    const policyId = ok(
      await call<{ createApprovalPolicy: { id: string } }>(
        POLICY,
        {
          input: {
            name: 'Manager approval',
            stages: [{ name: 'Manager', approvers: [{ kind: 'MANAGER' }], deadline: 'P3D' }],
            reminders: ['P1D'],
            escalation: [{ approvers: [{ kind: 'APPLICATION_OWNERS' }], after: 'P2D' }],
          },
        },
        admin,
      ),
    ).createApprovalPolicy.id;
    // The owner is known to access-requests once their user.created event has arrived.
    const appId = await eventually(async () => {
      const res = await call<{ createApplication: { id: string } }>(
        APP,
        { input: { name: 'Ledger', ownerIds: [ids.owner] } },
        admin,
      );
      return res.data?.createApplication.id;
    });
    const entitlementId = ok(
      await call<{ addEntitlement: { id: string } }>(
        ENT,
        { app: appId, input: { name: 'Bookkeeper', policyId } },
        tokens.owner as string,
      ),
    ).addEntitlement.id;

    const requestId = (
      await eventually(async () => {
        const res = await call<{ requestAccess: { id: string; status: string } }>(
          REQUEST,
          { input: { entitlementId, justification: 'Month-end closing' } },
          tokens.employee as string,
        );
        return res.data?.requestAccess;
      })
    ).id;
    const managerTasks = ok(
      await call<{ myApprovals: { edges: { node: unknown }[] } }>(APPROVALS, {}, tokens.manager as string),
    );
    expect(managerTasks.myApprovals.edges.map((e) => e.node)).toEqual([
      {
        request: {
          id: requestId,
          beneficiary: { id: ids.employee },
          beneficiaryName: 'Emil Employee',
          entitlement: { name: 'Bookkeeper' },
        },
        approver: { id: ids.manager },
        actingAs: 'APPROVER',
      },
    ]);

    // The manager goes on leave: a deputy, for every application, from now for a week.
    const delegation = await eventually(async () => {
      const res = await call<{ createDelegation: { id: string; status: string } }>(
        DELEGATE,
        {
          input: {
            deputyId: ids.deputy,
            scope: { kind: 'ALL' },
            validTo: new Date(Date.now() + 7 * 86_400_000).toISOString(),
            reason: 'Holiday',
          },
        },
        tokens.manager as string,
      );
      return res.data?.createDelegation;
    });
    expect(delegation.status).toBe('ACTIVE');
    // The task that was open already reaches the deputy.
    const deputyTask = await eventually(async () => {
      const res = await call<{
        myApprovals: { edges: { node: { actingAs: string; approver: { id: string } } }[] };
      }>(APPROVALS, {}, tokens.deputy as string);
      return res.data?.myApprovals.edges[0]?.node;
    });
    expect(deputyTask).toMatchObject({ actingAs: 'DEPUTY', approver: { id: ids.manager } });
    const approved = ok(
      await call<{ approveAccessRequest: { status: string; grant: { status: string } } }>(
        APPROVE,
        { id: requestId },
        tokens.deputy as string,
      ),
    );
    expect(approved.approveAccessRequest).toMatchObject({ status: 'APPROVED', grant: { status: 'ACTIVE' } });

    // One query shows the user, their grant and the request's record, across subgraphs.
    const me = ok(
      await call<{
        me: {
          grants: { edges: { node: unknown }[] };
          accessRequests: {
            edges: {
              node: {
                timeline: {
                  action: string;
                  actorId: string;
                  onBehalfOf: { id: string } | null;
                }[];
              };
            }[];
          };
        };
      }>(ME, {}, tokens.employee as string),
    ).me;
    expect(me.grants.edges.map((e) => e.node)).toEqual([
      {
        entitlement: { name: 'Bookkeeper' },
        source: 'REQUEST',
        status: 'ACTIVE',
        application: { name: 'Ledger' },
      },
    ]);
    expect(me.accessRequests.edges[0]?.node.timeline).toContainEqual({
      action: 'APPROVED_TASK',
      actorId: ids.deputy,
      onBehalfOf: { id: ids.manager },
    });

    // Each inbox tells its owner their part, with a link to the object.
    const inbox = async (key: string, kind: string) =>
      eventually(async () => {
        const res = await call<Inbox>(INBOX, {}, tokens[key] as string);
        return res.data?.myNotifications.edges.map((e) => e.node).find((n) => n.kind === kind);
      });
    expect(await inbox('manager', 'TASK_ASSIGNED')).toMatchObject({
      link: { kind: 'ACCESS_REQUEST', id: requestId },
    });
    expect(await inbox('deputy', 'DELEGATION_RECEIVED')).toMatchObject({
      link: { kind: 'DELEGATION', id: delegation.id },
    });
    expect(await inbox('employee', 'REQUEST_APPROVED')).toMatchObject({
      link: { kind: 'ACCESS_REQUEST', id: requestId },
    });
    expect(await inbox('employee', 'GRANT_STARTED')).toMatchObject({ link: { kind: 'GRANT' } });
  });

  it('when a birthright rule covers the organisation, then a joiner holds its entitlement without a request', async () => {
    await person('owner2', 'Olivia Owner');
    const policyId = ok(
      await call<{ createApprovalPolicy: { id: string } }>(
        POLICY,
        {
          input: {
            name: 'Owner approval',
            stages: [{ name: 'Owner', approvers: [{ kind: 'APPLICATION_OWNERS' }], deadline: 'P1D' }],
          },
        },
        admin,
      ),
    ).createApprovalPolicy.id;
    const appId = await eventually(async () => {
      const res = await call<{ createApplication: { id: string } }>(
        APP,
        { input: { name: 'Intranet', ownerIds: [ids.owner2] } },
        admin,
      );
      return res.data?.createApplication.id;
    });
    const entitlementId = ok(
      await call<{ addEntitlement: { id: string } }>(
        ENT,
        { app: appId, input: { name: 'Reader', baseAccess: true, policyId } },
        admin,
      ),
    ).addEntitlement.id;
    const rule = await eventually(async () => {
      const res = await call<{ createBirthrightRule: { id: string } }>(
        RULE,
        { input: { name: 'Everyone reads the intranet', organizationId: org, entitlementId } },
        admin,
      );
      return res.data?.createBirthrightRule;
    });
    expect(rule.id).toBeTruthy();
    await person('joiner', 'Jo Joiner');
    const grants = await eventually(async () => {
      const res = await call<{
        me: { grants: { edges: { node: { entitlement: { name: string }; source: string } }[] } };
      }>(ME, {}, tokens.joiner as string);
      const list = res.data?.me.grants.edges.map((e) => e.node) ?? [];
      return list.some((g) => g.source === 'BIRTHRIGHT') ? list : undefined;
    }, 30_000);
    expect(grants).toContainEqual(
      expect.objectContaining({ entitlement: { name: 'Reader' }, source: 'BIRTHRIGHT' }),
    );
  });
});
