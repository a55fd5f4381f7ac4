import QRCode from 'qrcode';

/** The QR code of `text` as standalone SVG markup (for the enrolment page). */
export function qrSvg(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'svg', errorCorrectionLevel: 'M', margin: 2 });
}

/** The QR code of `text` drawn with UTF-8 block characters (for a terminal). */
export function qrTerminal(text: string): Promise<string> {
  return QRCode.toString(text, { type: 'utf8', errorCorrectionLevel: 'L', margin: 2 });
}
