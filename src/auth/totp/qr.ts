/** qrcode, loaded at the first enrolment (most processes never draw a QR code). */
const qrcode = async () => (await import('qrcode')).default;

/** The QR code of `text` as standalone SVG markup (for the enrolment page). */
export async function qrSvg(text: string): Promise<string> {
  return (await qrcode()).toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The QR code of `text` drawn with UTF-8 block characters (for a terminal). */
export async function qrTerminal(text: string): Promise<string> {
  return (await qrcode()).toString(text, { type: 'utf8', errorCorrectionLevel: 'L', margin: 2 });
}
