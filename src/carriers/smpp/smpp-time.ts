// SMPP absolute time strings (SMPP 3.4 §7.1.1): YYMMDDhhmmsstnnp, here always in UTC ("00+").
export function validityPeriod(epochMs: number): string {
  const d = new Date(epochMs);
  const two = (n: number) => String(n).padStart(2, '0');
  return (
    two(d.getUTCFullYear() % 100) +
    two(d.getUTCMonth() + 1) +
    two(d.getUTCDate()) +
    two(d.getUTCHours()) +
    two(d.getUTCMinutes()) +
    two(d.getUTCSeconds()) +
    String(Math.floor(d.getUTCMilliseconds() / 100)) +
    '00+'
  );
}

/** Appendix B receipt dates: YYMMDDhhmm. */
export function receiptDate(epochMs: number): string {
  return validityPeriod(epochMs).slice(0, 10);
}
