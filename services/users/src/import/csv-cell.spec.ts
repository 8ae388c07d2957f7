import { csvCell } from './csv-cell';

describe('csvCell', () => {
  it('leaves plain text alone', () => {
    expect(csvCell('email')).toBe('email');
    expect(csvCell('not a known external id')).toBe('not a known external id');
    expect(csvCell('')).toBe('');
  });

  it.each([
    ['=HYPERLINK("http://evil.example","x")', `"'=HYPERLINK(""http://evil.example"",""x"")"`],
    ['+1+cmd|calc', "'+1+cmd|calc"],
    ['-2+3', "'-2+3"],
    ['@SUM(A1:A9)', "'@SUM(A1:A9)"],
    ['\t=1+1', "'\t=1+1"],
    ['\r=1+1', `"'\r=1+1"`],
  ])('makes the formula %j text', (cell, written) => {
    expect(csvCell(cell)).toBe(written);
  });

  it('quotes commas, quotes and line breaks', () => {
    expect(csvCell('a,b')).toBe('"a,b"');
    expect(csvCell('say "hi"')).toBe('"say ""hi"""');
    expect(csvCell('two\nlines')).toBe('"two\nlines"');
  });
});
