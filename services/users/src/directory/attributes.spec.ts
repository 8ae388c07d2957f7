import type { AttributeDefinition } from '../organizations/organization.model';
import { checkAttributes } from './attributes';

const defs = new Map<string, AttributeDefinition>(
  [
    { name: 'costCenter', type: 'STRING', required: true },
    { name: 'fte', type: 'NUMBER', required: false },
    { name: 'remote', type: 'BOOLEAN', required: false },
    { name: 'badgeExpiry', type: 'DATE', required: false },
  ].map((d) => [d.name, d as AttributeDefinition]),
);

function fieldOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { extensions?: { field?: string } }).extensions?.field;
  }
  return undefined;
}

describe('custom attributes', () => {
  it('accepts typed JSON values and CSV text alike, returning typed values', () => {
    expect(
      checkAttributes({ costCenter: 'C-1', fte: '0.8', remote: 'true', badgeExpiry: '2027-03-01' }, defs),
    ).toEqual({ costCenter: 'C-1', fte: 0.8, remote: true, badgeExpiry: '2027-03-01' });
    expect(checkAttributes({ costCenter: 'C-1', fte: 1, remote: false }, defs)).toEqual({
      costCenter: 'C-1',
      fte: 1,
      remote: false,
    });
  });

  it('refuses an attribute the organisation does not declare, naming it', () => {
    expect(fieldOf(() => checkAttributes({ costCenter: 'C', shoeSize: 44 }, defs))).toBe(
      'attributes.shoeSize',
    );
  });

  it('refuses a value of the wrong type, naming the attribute', () => {
    expect(fieldOf(() => checkAttributes({ costCenter: 'C', fte: 'most' }, defs))).toBe('attributes.fte');
    expect(fieldOf(() => checkAttributes({ costCenter: 'C', remote: 'yes' }, defs))).toBe(
      'attributes.remote',
    );
    expect(fieldOf(() => checkAttributes({ costCenter: 'C', badgeExpiry: '03/01/2027' }, defs))).toBe(
      'attributes.badgeExpiry',
    );
    expect(fieldOf(() => checkAttributes({ costCenter: 7 }, defs))).toBe('attributes.costCenter');
  });

  it('requires a required attribute', () => {
    expect(fieldOf(() => checkAttributes({ fte: 1 }, defs))).toBe('attributes.costCenter');
  });

  it('treats empty values as absent', () => {
    expect(checkAttributes({ costCenter: 'C', fte: '' }, defs)).toEqual({ costCenter: 'C' });
  });
});
