/**
 * Reads a bulk-import file (CSV or NDJSON) as a stream of rows, each with the line it starts on,
 * holding no more than one record in memory. A bad row becomes an error row and reading goes on.
 *
 * CSV records are framed here rather than by csv-parse: with skip_records_with_error, csv-parse
 * stays inside the quote after a bad closing quote (every later row is lost to one error at the end),
 * silently drops the rest of its chunk after text following a closing quote when trimming, and
 * counts a CRLF inside a quoted value as two lines, so line numbers drift.
 */
import { extname } from 'node:path';
import type { Readable } from 'node:stream';

export type ImportFormat = 'csv' | 'ndjson';

/** A record, or why the row starting on that line (1-based, header is line 1) was not read. */
export type ImportRow = { line: number; record: Record<string, unknown> } | { line: number; error: string };

export interface ReadRecordsOptions {
  /** Longest line (NDJSON) or record (CSV) accepted, in bytes; default 64 KiB. */
  maxLineBytes?: number;
}

const DEFAULT_MAX_LINE_BYTES = 64 * 1024;
const QUOTE = 0x22;
const NEWLINE = 0x0a;
const FORMATS: Record<string, ImportFormat> = { '.csv': 'csv', '.ndjson': 'ndjson', '.jsonl': 'ndjson' };
// Keys that would reach Object.prototype when a dotted column name is turned into nested objects.
const UNSAFE_KEYS = new Set(['__proto__', 'prototype', 'constructor']);

/** The format of an import file, from its extension. */
export function detectFormat(path: string): ImportFormat {
  const format = FORMATS[extname(path).toLowerCase()];
  if (!format) {
    throw new Error(`Cannot tell the format of ${path}: use a .csv, .ndjson or .jsonl file`);
  }
  return format;
}

/** Streams the rows of a CSV (header row first) or NDJSON input, in file order. */
export async function* readRecords(
  input: Readable,
  format: ImportFormat,
  options: ReadRecordsOptions = {},
): AsyncGenerator<ImportRow> {
  const maxBytes = options.maxLineBytes ?? DEFAULT_MAX_LINE_BYTES;
  if (!Number.isInteger(maxBytes) || maxBytes < 1) {
    throw new Error(`maxLineBytes must be a positive integer, got ${maxBytes}`);
  }
  if (format !== 'csv' && format !== 'ndjson') throw new Error(`Unknown import format ${String(format)}`);
  const lines = new LineSplitter(maxBytes);
  const rows = format === 'csv' ? new CsvRows(maxBytes) : new NdjsonRows(maxBytes);
  for await (const chunk of input) {
    for (const line of lines.push(toBuffer(chunk))) yield* rows.line(line);
  }
  for (const line of lines.end()) yield* rows.line(line);
  yield* rows.end();
}

/** A physical line without its line break; text is null when it was longer than the limit. */
interface Line {
  line: number;
  text: string | null;
  bytes: number;
}

function toBuffer(chunk: unknown): Buffer {
  if (Buffer.isBuffer(chunk)) return chunk;
  if (typeof chunk === 'string') return Buffer.from(chunk, 'utf8');
  if (chunk instanceof Uint8Array) return Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
  throw new TypeError('Import input must be a byte or text stream');
}

function isBlank(text: string): boolean {
  return !/\S/.test(text);
}

/** Splits bytes into lines; an over-long line is skipped to its end rather than buffered. */
class LineSplitter {
  private parts: Buffer[] = [];
  private size = 0;
  private tooLong = false;
  private next = 1;

  constructor(private readonly maxBytes: number) {}

  *push(chunk: Buffer): Generator<Line> {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      this.append(chunk, start, newline < 0 ? chunk.length : newline);
      if (newline < 0) return;
      yield this.take();
      start = newline + 1;
    }
  }

  *end(): Generator<Line> {
    if (this.size > 0 || this.tooLong) yield this.take();
  }

  private append(chunk: Buffer, start: number, end: number): void {
    if (this.tooLong || start === end) return;
    if (this.size + end - start > this.maxBytes) {
      this.tooLong = true;
      this.parts = [];
      this.size = 0;
      return;
    }
    this.parts.push(chunk.subarray(start, end));
    this.size += end - start;
  }

  private take(): Line {
    const line = this.next++;
    const bytes = this.size;
    let text = this.tooLong ? null : Buffer.concat(this.parts, bytes).toString('utf8');
    this.parts = [];
    this.size = 0;
    this.tooLong = false;
    if (text?.endsWith('\r')) text = text.slice(0, -1);
    if (line === 1 && text?.charCodeAt(0) === 0xfeff) text = text.slice(1);
    return { line, text, bytes };
  }
}

interface RowParser {
  line(line: Line): Iterable<ImportRow>;
  end(): Iterable<ImportRow>;
}

class NdjsonRows implements RowParser {
  constructor(private readonly maxBytes: number) {}

  *line({ line, text }: Line): Generator<ImportRow> {
    if (text === null) {
      yield { line, error: `Line is longer than ${this.maxBytes} bytes` };
      return;
    }
    if (isBlank(text)) return;
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (err) {
      yield { line, error: `Invalid JSON: ${(err as Error).message}` };
      return;
    }
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) {
      yield { line, record: value as Record<string, unknown> };
    } else {
      const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : `a ${typeof value}`;
      yield { line, error: `Expected a JSON object on the line, got ${kind}` };
    }
  }

  end(): Iterable<ImportRow> {
    return [];
  }
}

interface Column {
  name: string;
  /** Keys of the nested objects the value goes into: [] for `email`, ['attributes'] for `attributes.x`. */
  parents: string[];
  key: string;
}

/** A CSV record being read; it spans lines while a quoted value is open. */
interface PendingRecord {
  line: number;
  lines: Line[];
  bytes: number;
  fields: string[];
  /** The quoted value read so far while it is open. */
  value: string;
  open: boolean;
  openedOn: number;
  error: string | undefined;
}

class CsvRows implements RowParser {
  private columns: Column[] | undefined;
  private pending: PendingRecord | undefined;

  constructor(private readonly maxBytes: number) {}

  *line(line: Line): Generator<ImportRow> {
    yield* this.drain([line]);
  }

  *end(): Generator<ImportRow> {
    while (this.pending) {
      const todo: Line[] = [];
      yield* this.abandon(
        this.pending,
        `Quoted value opened on line ${this.pending.openedOn} is never closed; add the missing closing double quote`,
        todo,
      );
      yield* this.drain(todo);
    }
  }

  /** Processes lines from a stack (last is next), which abandoned records push their lines back onto. */
  private *drain(todo: Line[]): Generator<ImportRow> {
    for (let line = todo.pop(); line; line = todo.pop()) yield* this.step(line, todo);
  }

  private *step(line: Line, todo: Line[]): Generator<ImportRow> {
    let record = this.pending;
    if (record && (line.text === null || record.bytes + line.bytes + 1 > this.maxBytes)) {
      todo.push(line);
      yield* this.abandon(
        record,
        `Quoted value opened on line ${record.openedOn} runs past ${this.maxBytes} bytes; add the missing closing double quote`,
        todo,
      );
      return;
    }
    if (line.text === null) {
      yield { line: line.line, error: `Line is longer than ${this.maxBytes} bytes` };
      return;
    }
    if (!record) {
      if (isBlank(line.text)) return;
      record = {
        line: line.line,
        lines: [],
        bytes: 0,
        fields: [],
        value: '',
        open: false,
        openedOn: 0,
        error: undefined,
      };
      this.pending = record;
    }
    record.lines.push(line);
    // The line break counts too, so a run of empty lines inside a quote is bounded as well.
    record.bytes += line.bytes + 1;
    if (!this.scan(record, line.text, line.line)) return;
    this.pending = undefined;
    yield* this.complete(record);
  }

  /**
   * Reports a record whose quote never closes and replays its later lines as records of their own:
   * a stray quote is far likelier than a value running to the end of the file.
   */
  private *abandon(record: PendingRecord, reason: string, todo: Line[]): Generator<ImportRow> {
    this.pending = undefined;
    if (!this.columns) throw new Error(`CSV header (line ${record.line}): ${reason}`);
    yield { line: record.line, error: reason };
    for (const line of record.lines.slice(1).reverse()) todo.push(line);
  }

  private *complete(record: PendingRecord): Generator<ImportRow> {
    const { columns } = this;
    if (!columns) {
      if (record.error) throw new Error(`CSV header (line ${record.line}): ${record.error}`);
      this.columns = toColumns(record.fields, record.line);
      return;
    }
    if (record.error) {
      yield { line: record.line, error: record.error };
    } else if (record.fields.length !== columns.length) {
      const hint =
        record.fields.length > columns.length ? '; enclose values containing commas in double quotes' : '';
      yield {
        line: record.line,
        error: `Expected ${columns.length} values (one per header column), found ${record.fields.length}${hint}`,
      };
    } else {
      yield { line: record.line, record: toRecord(columns, record.fields) };
    }
  }

  /** Reads one line into the record; false while a quoted value is still open at its end. */
  private scan(record: PendingRecord, text: string, line: number): boolean {
    let pos = 0;
    for (;;) {
      if (!record.open) {
        while (text[pos] === ' ' || text[pos] === '\t') pos++;
        if (text.charCodeAt(pos) !== QUOTE) {
          const comma = text.indexOf(',', pos);
          const value = text.slice(pos, comma < 0 ? text.length : comma).trim();
          if (value.includes('"')) {
            record.error ??= `${this.label(record.fields.length)} has a double quote but is not enclosed in double quotes; enclose the value and double the quote inside it ("")`;
          }
          record.fields.push(value);
          if (comma < 0) return true;
          pos = comma + 1;
          continue;
        }
        record.open = true;
        record.openedOn = line;
        pos++;
      }
      const quote = text.indexOf('"', pos);
      if (quote < 0) {
        record.value += `${text.slice(pos)}\n`;
        return false;
      }
      record.value += text.slice(pos, quote);
      if (text.charCodeAt(quote + 1) === QUOTE) {
        record.value += '"';
        pos = quote + 2;
        continue;
      }
      record.open = false;
      record.fields.push(record.value);
      record.value = '';
      const comma = text.indexOf(',', quote + 1);
      if (!isBlank(text.slice(quote + 1, comma < 0 ? text.length : comma))) {
        record.error ??= `${this.label(record.fields.length - 1)} has text after its closing double quote; double any double quote inside a quoted value ("")`;
      }
      if (comma < 0) return true;
      pos = comma + 1;
    }
  }

  private label(index: number): string {
    const name = this.columns?.[index]?.name;
    return name ? `Column ${index + 1} (${name})` : `Column ${index + 1}`;
  }
}

/** Column names from the header; a dotted name such as `attributes.costCenter` nests its value. */
function toColumns(names: string[], line: number): Column[] {
  const fail = (reason: string) => new Error(`CSV header (line ${line}): ${reason}`);
  const seen = new Set<string>();
  const columns = names.map((raw, index): Column => {
    const name = raw.trim();
    if (!name) throw fail(`column ${index + 1} has no name`);
    if (seen.has(name)) throw fail(`column ${name} appears twice`);
    seen.add(name);
    const path = name.split('.').map((key) => key.trim());
    if (path.some((key) => !key || UNSAFE_KEYS.has(key))) throw fail(`${name} is not a usable column name`);
    return { name, parents: path.slice(0, -1), key: path[path.length - 1] ?? name };
  });
  // `attributes` and `attributes.costCenter` together would need attributes to be a value and an object.
  const prefixes = new Set(
    columns.flatMap((c) => c.parents.map((_, i) => c.parents.slice(0, i + 1).join('.'))),
  );
  const clash = columns.find((c) => prefixes.has([...c.parents, c.key].join('.')));
  if (clash) throw fail(`column ${clash.name} clashes with the columns nested under it`);
  return columns;
}

function toRecord(columns: Column[], fields: string[]): Record<string, unknown> {
  const record: Record<string, unknown> = {};
  for (let i = 0; i < columns.length; i++) {
    const value = fields[i];
    const column = columns[i];
    // An empty cell means "not given", so it must not become ''.
    if (!value || !column) continue;
    let target = record;
    for (const key of column.parents) target = (target[key] ??= {}) as Record<string, unknown>;
    target[column.key] = value;
  }
  return record;
}
