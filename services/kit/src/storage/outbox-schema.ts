import { Schema } from 'mongoose';
import { OUTBOX_INDEX } from '../events/outbox';

/**
 * Gives a mongoose schema the outbox fields (`OutboxFields`: the pending events of a change, kept
 * in the changed document) and the index the relay's `{ outboxPending: true }` lookup uses. Every
 * model whose documents carry events calls it once, instead of declaring the fields again.
 */
export function addOutbox(schema: Schema): void {
  schema.add({
    outbox: { type: [Schema.Types.Mixed], default: undefined },
    outboxPending: { type: Boolean },
    outboxSeq: { type: Number },
  });
  schema.index(OUTBOX_INDEX);
}
