export {
  credentialFromSaltedPassword, encodeSaslName, invalidCredentials, isScramMechanism, makeScramCredential, MAX_SCRAM_ITERATIONS, MIN_SCRAM_ITERATIONS,
  passwordMatches, quoteClientText, saltedPassword, SaslAuthenticationError, SCRAM_MECHANISMS, ScramClient, type ScramCredential, type ScramLookup, type ScramMechanism, ScramServer,
} from './scram.ts';
export { parsePlain, plainToken } from './plain.ts';
export { type JaasEntry, parseJaasConfig } from './jaas.ts';
export { ANONYMOUS, distinguishedName, type KafkaPrincipal, mapPrincipalName, parseMappingRules, parsePrincipal, principalString } from './principal.ts';
export {
  type AclBinding, type AclFilter, AclOperation, authorize, type AuthorizerSettings, bindingMatchesResource, filterMatches, invalidBinding, nameOf, PatternType,
  PermissionType, ResourceType, WILDCARD, WILDCARD_PRINCIPAL,
} from './acl.ts';
export {
  JsonWebKeySet, type JwtChecks, JwtError, oauthBearerClientFirst, parseOAuthBearerClientFirst, type ValidToken, verifyJwt, verifyUnsecuredJwt,
} from './oauthbearer.ts';
