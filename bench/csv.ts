// Rows as RFC 4180 CSV: a header of every column any row has, in first-seen order.
export type CsvRow = Record<string, string | number | boolean | undefined>;

const cell = (value: string | number | boolean | undefined): string => {
  if (value === undefined) return '';
  const text = String(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
};

export function toCsv(rows: CsvRow[]): string {
  const columns = [...new Set(rows.flatMap((row) => Object.keys(row)))];
  const lines = [columns.map(cell).join(','), ...rows.map((row) => columns.map((c) => cell(row[c])).join(','))];
  return lines.join('\r\n') + '\r\n';
}
