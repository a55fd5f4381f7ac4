export { TotpService, type TotpServiceOptions, type TotpInfo } from './totp-service.js';
export {
  type TotpEnrollment,
  type EnrollmentFlow,
  type TotpChoice,
  resolveChoice,
  createEnrollment,
  provisioningUri,
  parseBase32Secret,
  minimumSecretBytes,
} from './enrollment.js';
export { qrSvg, qrTerminal } from './qr.js';
export { OneTimeCodes, type OneTimeCodesOptions, type IssuedCode, oneTimeCodeLength } from './one-time-codes.js';
