/**
 * One cell of a CSV file written for people to open in a spreadsheet (the rejected-rows report).
 * A cell that a spreadsheet would run as a formula (it starts with `=`, `+`, `-`, `@`, a tab or a
 * carriage return; OWASP, "CSV Injection") gets a leading `'`, so it shows as text. A cell with a
 * quote, comma or line break is quoted.
 */
export function csvCell(text: string): string {
  const safe = /^[=+\-@\t\r]/.test(text) ? `'${text}` : text;
  return /[",\n\r]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}
