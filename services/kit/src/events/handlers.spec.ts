import { createLogger } from '../logger';
import type { EventHandler } from './consumer';
import { EventContracts } from './contracts';
import { createEvent } from './envelope';
import { combineHandlers, handleEach, oneAtATime } from './handlers';

const context = { logger: createLogger('handlers-spec', 'silent') };
const event = createEvent('/concierge/test', {
  type: 'user.created',
  subject: 'u-1',
  data: {},
  actor: 'admin-1',
  correlationId: 'c-1',
});

function recorder(name: string, calls: string[]): EventHandler {
  return async (e) => {
    calls.push(`${name}:${e.type}`);
  };
}

describe('handler maps', () => {
  it('gives every listed type the same handler', () => {
    const handler = recorder('a', []);
    expect(handleEach(['user.created', 'user.updated'], handler)).toEqual({
      'user.created': handler,
      'user.updated': handler,
    });
  });

  it('when two maps handle the same type, then both run, in the order given', async () => {
    const calls: string[] = [];
    const combined = combineHandlers(handleEach(['user.created', 'user.updated'], recorder('audit', calls)), {
      'user.created': recorder('welcome', calls),
    });
    expect(Object.keys(combined).sort()).toEqual(['user.created', 'user.updated']);
    await combined['user.created']?.(event, context);
    expect(calls).toEqual(['audit:user.created', 'welcome:user.created']);
  });

  it('keeps a handler that only one map has as it is', () => {
    const only = recorder('only', []);
    expect(combineHandlers({ 'user.updated': only }, {})['user.updated']).toBe(only);
  });

  it('when the first handler fails, then the combined handler fails (the consumer retries both)', async () => {
    const calls: string[] = [];
    const failing: EventHandler = async () => {
      throw new Error('store down');
    };
    const combined = combineHandlers({ 'user.created': failing }, { 'user.created': recorder('b', calls) });
    await expect(combined['user.created']?.(event, context)).rejects.toThrow('store down');
    expect(calls).toEqual([]);
  });
});

describe('known event types', () => {
  it('lists each type with a data schema once, without the envelope', () => {
    const types = new EventContracts().knownTypes();
    expect(types).toEqual(expect.arrayContaining(['user.created', 'organization.moved', 'audit.recorded']));
    expect(types).not.toContain('envelope');
    expect(new Set(types).size).toBe(types.length);
    expect([...types].sort()).toEqual(types);
  });

  it('passes an envelope with onbehalfof, and refuses an empty one', () => {
    const contracts = new EventContracts();
    const onBehalf = createEvent('/concierge/test', {
      type: 'user.created',
      subject: 'u-1',
      data: { userId: 'u-1', email: 'ada@example.org', displayName: 'Ada', status: 'ACTIVE' },
      actor: 'deputy-1',
      correlationId: 'c-1',
      onBehalfOf: 'approver-1',
    });
    expect(onBehalf.onbehalfof).toBe('approver-1');
    expect(() => contracts.validate(onBehalf)).not.toThrow();
    expect(() => contracts.validate({ ...onBehalf, onbehalfof: '' })).toThrow(/envelope/);
    expect('onbehalfof' in event).toBe(false);
  });
});

describe('oneAtATime', () => {
  it('runs the handlers one after the other, and a failure does not stop the next', async () => {
    const log: string[] = [];
    const slow =
      (name: string, ms: number, fail = false) =>
      async () => {
        log.push(`start ${name}`);
        await new Promise((r) => setTimeout(r, ms));
        log.push(`end ${name}`);
        if (fail) throw new Error(name);
      };
    const map = oneAtATime({ a: slow('a', 20, true), b: slow('b', 1) });
    const event = {} as Parameters<EventHandler>[0];
    const context = {} as Parameters<EventHandler>[1];
    const results = await Promise.allSettled([map.a?.(event, context), map.b?.(event, context)]);
    expect(log).toEqual(['start a', 'end a', 'start b', 'end b']);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'fulfilled']);
  });
});
