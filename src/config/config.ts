import type { AccessControlConfig } from './access-control.js';
import type { AuthenticationBackendConfig } from './authentication-backend.js';
import type { CertificatesConfig } from './certificates.js';
import type { DefinitionsConfig } from './definitions.js';
import type { IdentityValidationConfig } from './identity-validation.js';
import type { LogConfig } from './log.js';
import type { NotifierConfig } from './notifier.js';
import type { NtpConfig } from './ntp.js';
import type { OidcConfig } from './oidc.js';
import type { PasswordPolicyConfig } from './password-policy.js';
import type { PortalConfig } from './portal.js';
import type { ProxyConfig } from './proxy.js';
import type { RegulationConfig } from './regulation.js';
import type { ServerConfig } from './server.js';
import type { SessionConfig } from './session.js';
import type { StorageConfig } from './storage.js';
import type { TelemetryConfig } from './telemetry.js';
import type { TotpConfig } from './totp.js';
import type { WebAuthnConfig } from './webauthn.js';

/** The validated, defaulted, deep-frozen configuration. Durations are milliseconds. */
export interface Config {
  readonly server: ServerConfig;
  readonly log: LogConfig;
  readonly session: SessionConfig;
  readonly storage: StorageConfig;
  readonly definitions: DefinitionsConfig;
  readonly accessControl: AccessControlConfig;
  /** Absent when the configuration has no `authentication_backend` (no login possible). */
  readonly authenticationBackend: AuthenticationBackendConfig | undefined;
  readonly totp: TotpConfig;
  /** Security keys and passkeys (validated; not served yet). */
  readonly webauthn: WebAuthnConfig;
  /** How long e-mailed identity checks (the "Forgot password?" link) stay valid. */
  readonly identityValidation: IdentityValidationConfig;
  readonly regulation: RegulationConfig;
  /** The rules a new password must meet (none by default). */
  readonly passwordPolicy: PasswordPolicyConfig;
  /** Absent when the configuration has no `notifier` (no identity checks by email possible). */
  readonly notifier: NotifierConfig | undefined;
  readonly portal: PortalConfig;
  /** `identity_providers.oidc`: absent when the OpenID Connect provider is off. */
  readonly identityProviders: { readonly oidc: OidcConfig | undefined };
  /** `proxy.upstreams`: the sites the built-in reverse proxy fronts (empty: proxy off). */
  readonly proxy: ProxyConfig;
  /** `telemetry.metrics`: the Prometheus exporter on its own listener (off by default). */
  readonly telemetry: TelemetryConfig;
  /** `ntp`: the clock check at start. */
  readonly ntp: NtpConfig;
  /** `certificates_directory`: extra certificate authorities trusted for outgoing TLS. */
  readonly certificates: CertificatesConfig;
  /** Sections accepted but not yet implemented, kept as written. */
  readonly pending: Readonly<Record<string, unknown>>;
}
