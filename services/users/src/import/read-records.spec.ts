import { Readable } from 'node:stream';
import { detectFormat, readRecords, type ImportFormat, type ImportRow } from './read-records';

async function read(
  input: string | Buffer[],
  format: ImportFormat,
  options?: { maxLineBytes?: number },
): Promise<ImportRow[]> {
  const chunks = typeof input === 'string' ? [Buffer.from(input)] : input;
  const rows: ImportRow[] = [];
  for await (const row of readRecords(Readable.from(chunks), format, options)) rows.push(row);
  return rows;
}

/** The input cut into one-byte chunks, so every boundary (inside quotes, UTF-8 sequences, CRLF) is hit. */
function bytewise(text: string): Buffer[] {
  return [...Buffer.from(text)].map((byte) => Buffer.from([byte]));
}

describe('readRecords (CSV)', () => {
  it('turns each row into a record keyed by the trimmed header names, with the line it is on', async () => {
    const rows = await read(' email , givenName\nada@example.org, Ada \ngrace@example.org,Grace\n', 'csv');
    expect(rows).toEqual([
      { line: 2, record: { email: 'ada@example.org', givenName: 'Ada' } },
      { line: 3, record: { email: 'grace@example.org', givenName: 'Grace' } },
    ]);
  });

  it('keeps commas, doubled quotes and line breaks inside quoted values and numbers later rows by physical line', async () => {
    const csv = [
      'email,title',
      'a@example.org,"Head of Sales, EMEA"',
      'b@example.org,"Says ""hi""',
      'and more',
      '',
      'text"',
      'c@example.org,Engineer',
    ].join('\n');
    expect(await read(csv, 'csv')).toEqual([
      { line: 2, record: { email: 'a@example.org', title: 'Head of Sales, EMEA' } },
      { line: 3, record: { email: 'b@example.org', title: 'Says "hi"\nand more\n\ntext' } },
      { line: 7, record: { email: 'c@example.org', title: 'Engineer' } },
    ]);
  });

  it('counts a CRLF inside a quoted value as one line', async () => {
    const csv = 'email,title\r\na@example.org,"two\r\nlines"\r\n\r\nb@example.org,x\r\n';
    expect(await read(csv, 'csv')).toEqual([
      { line: 2, record: { email: 'a@example.org', title: 'two\nlines' } },
      { line: 5, record: { email: 'b@example.org', title: 'x' } },
    ]);
  });

  it('reports rows with the wrong number of values or a misplaced quote, and goes on with the next row', async () => {
    const csv = [
      'email,title',
      'a@example.org,Engineer,extra',
      'b@example.org',
      'c@example.org,5" screen',
      'd@example.org,"Lead" engineer',
      'e@example.org,Designer',
    ].join('\n');
    const rows = await read(csv, 'csv');
    expect(rows).toEqual([
      { line: 2, error: expect.stringContaining('Expected 2 values (one per header column), found 3') },
      { line: 3, error: 'Expected 2 values (one per header column), found 1' },
      { line: 4, error: expect.stringContaining('Column 2 (title) has a double quote but is not enclosed') },
      { line: 5, error: expect.stringContaining('Column 2 (title) has text after its closing double quote') },
      { line: 6, record: { email: 'e@example.org', title: 'Designer' } },
    ]);
  });

  it('reports a quote that is never closed on its line and reads the lines after it as rows', async () => {
    const csv = 'email,title\na@example.org,"Engineer\nb@example.org,Designer\nc@example.org,Tester\n';
    expect(await read(csv, 'csv')).toEqual([
      {
        line: 2,
        error: 'Quoted value opened on line 2 is never closed; add the missing closing double quote',
      },
      { line: 3, record: { email: 'b@example.org', title: 'Designer' } },
      { line: 4, record: { email: 'c@example.org', title: 'Tester' } },
    ]);
  });

  it('gives up on an open quote once the record passes maxLineBytes, without holding more', async () => {
    const body = Array.from({ length: 20 }, (_, i) => `u${i}@example.org,Engineer`).join('\n');
    const rows = await read(`email,title\nx@example.org,"oops\n${body}\n`, 'csv', { maxLineBytes: 100 });
    expect(rows[0]).toEqual({ line: 2, error: expect.stringContaining('runs past 100 bytes') });
    expect(rows.slice(1)).toHaveLength(20);
    expect(rows.slice(1).every((row) => 'record' in row)).toBe(true);
    expect(rows.at(-1)).toEqual({ line: 22, record: { email: 'u19@example.org', title: 'Engineer' } });
  });

  it('strips a byte order mark from the first column name', async () => {
    expect(await read('\uFEFFemail,title\na@example.org,x\n', 'csv')).toEqual([
      { line: 2, record: { email: 'a@example.org', title: 'x' } },
    ]);
  });

  it('leaves empty cells out, skips blank lines and nests dotted column names', async () => {
    const csv =
      'email,title,attributes.costCenter,attributes.site\n\na@example.org,,CC-12,""\n   \nb@example.org,x,,\n';
    expect(await read(csv, 'csv')).toEqual([
      { line: 3, record: { email: 'a@example.org', attributes: { costCenter: 'CC-12' } } },
      { line: 5, record: { email: 'b@example.org', title: 'x' } },
    ]);
  });

  it('reads the same rows whatever the chunk boundaries', async () => {
    const csv = 'email,displayName\r\na@example.org,"Zoë ""Z"", Ünal\r\nnew line"\r\nb@example.org,日本\r\n';
    expect(await read(bytewise(csv), 'csv')).toEqual(await read(csv, 'csv'));
    expect(await read(bytewise(csv), 'csv')).toEqual([
      { line: 2, record: { email: 'a@example.org', displayName: 'Zoë "Z", Ünal\nnew line' } },
      { line: 4, record: { email: 'b@example.org', displayName: '日本' } },
    ]);
  });

  it('rejects a header it cannot map to records', async () => {
    await expect(read('email,title,email\n', 'csv')).rejects.toThrow(
      'CSV header (line 1): column email appears twice',
    );
    await expect(read('email,,title\n', 'csv')).rejects.toThrow('column 2 has no name');
    await expect(read('attributes,attributes.site\n', 'csv')).rejects.toThrow('clashes');
    await expect(read('__proto__.polluted\n', 'csv')).rejects.toThrow('not a usable column name');
  });

  it('streams 200 000 generated rows through', async () => {
    const total = 200_000;
    function* lines() {
      yield 'externalId,email,attributes.costCenter\n';
      for (let i = 1; i <= total; i += 1000) {
        let chunk = '';
        for (let j = i; j < i + 1000; j++) chunk += `E${j},user${j}@example.org,CC-${j % 7}\n`;
        yield chunk;
      }
    }
    let records = 0;
    let last: ImportRow | undefined;
    for await (const row of readRecords(Readable.from(lines()), 'csv')) {
      if ('record' in row) records++;
      last = row;
    }
    expect(records).toBe(total);
    expect(last).toEqual({
      line: total + 1,
      record: {
        externalId: `E${total}`,
        email: `user${total}@example.org`,
        attributes: { costCenter: 'CC-3' },
      },
    });
  });
});

describe('readRecords (NDJSON)', () => {
  it('reads one object per line, skips blank lines and reports bad lines without stopping', async () => {
    const ndjson = [
      '{"email":"a@example.org","attributes":{"costCenter":"CC-1"}}',
      '',
      '{"email":',
      '[1,2]',
      'null',
      '  ',
      '{"email":"b@example.org"}\r',
    ].join('\n');
    expect(await read(ndjson, 'ndjson')).toEqual([
      { line: 1, record: { email: 'a@example.org', attributes: { costCenter: 'CC-1' } } },
      { line: 3, error: expect.stringMatching(/^Invalid JSON: /) },
      { line: 4, error: 'Expected a JSON object on the line, got an array' },
      { line: 5, error: 'Expected a JSON object on the line, got null' },
      { line: 7, record: { email: 'b@example.org' } },
    ]);
  });

  it('reports a line longer than maxLineBytes and reads the next one', async () => {
    const long = `{"email":"${'x'.repeat(200)}"}`;
    const ndjson = `{"n":1}\n${long}\n{"n":3}`;
    expect(await read(bytewise(ndjson), 'ndjson', { maxLineBytes: 64 })).toEqual([
      { line: 1, record: { n: 1 } },
      { line: 2, error: 'Line is longer than 64 bytes' },
      { line: 3, record: { n: 3 } },
    ]);
  });
});

describe('detectFormat', () => {
  it('tells the format from the file extension', () => {
    expect(detectFormat('/tmp/users.csv')).toBe('csv');
    expect(detectFormat('USERS.CSV')).toBe('csv');
    expect(detectFormat('users.ndjson')).toBe('ndjson');
    expect(detectFormat('users.jsonl')).toBe('ndjson');
  });

  it('names the supported extensions for any other file', () => {
    expect(() => detectFormat('users.xlsx')).toThrow('use a .csv, .ndjson or .jsonl file');
  });
});
