import type { AuthorizationCodeData, IssuanceEvent, StoredAuthorizationCode, StoredGrant, StoredToken } from '../../../src/storage/oidc-repositories.js';

export const grant = (over: Partial<StoredGrant> = {}): StoredGrant => ({
  grantId: 'g1',
  clientId: 'app',
  username: 'john',
  subject: 'sub-1',
  scopes: ['openid', 'offline_access'],
  data: { issuer: 'https://auth.example.com', authTime: 1000, amr: ['pwd'], audience: ['app'] },
  createdAt: 1000,
  expiresAt: 100_000,
  revokedAt: undefined,
  sid: '',
  ...over,
});

export const token = (over: Partial<StoredToken> = {}): StoredToken => ({
  tokenHash: 'r1',
  kind: 'refresh',
  grantId: 'g1',
  clientId: 'app',
  username: 'john',
  subject: 'sub-1',
  scopes: ['openid', 'offline_access'],
  issuedAt: 1000,
  expiresAt: 50_000,
  revokedAt: undefined,
  ...over,
});

export const codeData: AuthorizationCodeData = {
  subject: 's',
  redirectUri: 'https://app/cb',
  scopes: ['openid'],
  nonce: 'n-1',
  codeChallenge: 'abc',
  codeChallengeMethod: 'S256',
  authTime: 1,
  amr: ['pwd', 'otp'],
  issuer: 'i',
  claimsRequest: '{"id_token":{"email":null}}',
  sid: 'sid-1',
};

export const code = (over: Partial<StoredAuthorizationCode> = {}): StoredAuthorizationCode => ({
  codeHash: 'c1',
  grantId: 'g1',
  clientId: 'app',
  username: 'john',
  data: codeData,
  issuedAt: 1,
  expiresAt: 100,
  ...over,
});

export const event = (over: Partial<IssuanceEvent> = {}): IssuanceEvent => ({
  time: 1,
  event: 'access_token',
  clientId: 'app',
  username: 'john',
  grantId: 'g1',
  detail: '',
  ...over,
});
