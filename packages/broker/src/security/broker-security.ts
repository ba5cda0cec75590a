import type { Fs } from '@millrace/storage';
import type { BrokerConfig } from '../config/broker-config.ts';
import { type ListenerSpec, usesSasl } from './listeners.ts';
import { enabledMechanisms, plainUsers } from './sasl-exchange.ts';
import { ScramCredentialStore } from './scram-store.ts';
import { AclStore } from './acl-store.ts';
import { authorizerSettings } from './authorizer.ts';
import type { AuthorizerSettings } from '@millrace/security';
import type { Logger } from '../logger.ts';
import { oauthValidator, type OAuthValidator } from './oauth-validator.ts';

/** What the broker knows about authentication and authorization: each SASL listener's mechanisms and PLAIN users, the SCRAM credentials, the ACLs. */
export interface BrokerSecurity {
  scram: ScramCredentialStore;
  acls: AclStore;
  /** Null when no authorizer is configured: every request is allowed, and the ACL APIs answer SECURITY_DISABLED. */
  authorizer: AuthorizerSettings | null;
  mechanisms: Map<string, string[]>;
  plainUsers: Map<string, Map<string, string> | null>;
  /** The token validator of each listener that offers OAUTHBEARER. */
  oauth: Map<string, OAuthValidator>;
}

/** Reads and checks every SASL listener's settings at start-up, so a mistake stops the broker rather than a client. */
export async function openSecurity(fs: Fs, dataDir: string, config: BrokerConfig, listeners: ListenerSpec[], log: Logger): Promise<BrokerSecurity> {
  const authorizer = authorizerSettings(config);
  const security: BrokerSecurity = { scram: await ScramCredentialStore.open(fs, dataDir), acls: await AclStore.open(fs, dataDir), authorizer, mechanisms: new Map(), plainUsers: new Map(), oauth: new Map() };
  for (const l of listeners.filter((l) => usesSasl(l.securityProtocol))) {
    const mechanisms = enabledMechanisms(config, l.name);
    security.mechanisms.set(l.name, mechanisms);
    security.plainUsers.set(l.name, plainUsers(config, l.name));
    if (mechanisms.includes('OAUTHBEARER')) security.oauth.set(l.name, await oauthValidator(config, l.name, log));
  }
  return security;
}
