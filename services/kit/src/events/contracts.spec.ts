import { EventContractError, EventContracts } from './contracts';
import { createEvent } from './envelope';

const contracts = new EventContracts();
const valid = () =>
  createEvent('/concierge/users', {
    type: 'user.created',
    subject: 'u-1',
    data: { userId: 'u-1', email: 'ada@example.org', displayName: 'Ada', status: 'ACTIVE' },
    actor: 'admin-1',
    correlationId: 'c-1',
  });

describe('event contracts', () => {
  it('builds a CloudEvents 1.0 envelope with actor, correlation id and versioned data schema', () => {
    const event = valid();
    expect(event).toMatchObject({
      specversion: '1.0',
      type: 'user.created',
      subject: 'u-1',
      dataschema: 'concierge:user.created/v1',
      actor: 'admin-1',
      correlationid: 'c-1',
    });
    expect(() => contracts.validate(event)).not.toThrow();
  });

  it('rejects data that breaks its schema and says where', () => {
    const event = {
      ...valid(),
      data: { userId: 'u-1', email: 'not-an-email', displayName: 'Ada', status: 'ACTIVE' },
    };
    expect(() => contracts.validate(event)).toThrow(/data: \/email must match format "email"/);
  });

  it('rejects an envelope without its required attributes', () => {
    const { actor: _actor, ...rest } = valid();
    expect(() => contracts.validate(rest)).toThrow(EventContractError);
  });

  it('rejects a data schema that belongs to another type', () => {
    expect(() => contracts.validate({ ...valid(), type: 'user.activated' })).toThrow(
      /does not belong|unknown/,
    );
  });

  it('routes each type to its topic and knows the dead-letter topic', () => {
    expect(contracts.topicFor('user.created')).toBe('concierge.user.v1');
    expect(() => contracts.topicFor('nobody.knows')).toThrow(EventContractError);
    expect(contracts.deadLetterTopic).toBe('concierge.dead-letter.v1');
  });
});
