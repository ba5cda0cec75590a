import type { X509Certificate } from 'node:crypto';

/** Who a connection is, as Kafka names it in ACLs: "User:alice". */
export interface KafkaPrincipal {
  type: string;
  name: string;
}

export const ANONYMOUS: KafkaPrincipal = { type: 'User', name: 'ANONYMOUS' };

export function principalString(p: KafkaPrincipal): string {
  return `${p.type}:${p.name}`;
}

/** "User:alice" back into its parts; the name may itself hold colons ("User:CN=a:b"). */
export function parsePrincipal(text: string): KafkaPrincipal {
  const colon = text.indexOf(':');
  if (colon <= 0 || colon === text.length - 1) throw new Error(`"${text}" is not a principal of the form User:name`);
  return { type: text.slice(0, colon), name: text.slice(colon + 1) };
}

/**
 * A certificate's subject as Java's X500Principal.getName() writes it (RFC 2253: most specific
 * name first, "CN=alice,OU=eng,O=Example,C=US"), which is what Kafka's principal mapping rules see.
 */
export function distinguishedName(certificate: X509Certificate): string {
  // Node prints one RDN per line, most general first, with its special characters already escaped,
  // and a multi-valued RDN's parts joined by " + " in the certificate's order, which Java keeps.
  return certificate.subject.split('\n').filter((line) => line !== '').reverse().map((rdn) => rdn.split(' + ').join('+')).join(',');
}

interface MappingRule {
  pattern: RegExp | null;
  replacement: string;
  toCase: '' | 'L' | 'U';
}

/**
 * Kafka's ssl.principal.mapping.rules: "RULE:pattern/replacement/[LU]" entries and DEFAULT (the
 * whole name), tried in order; the first whose pattern matches the whole name gives the principal.
 */
export function parseMappingRules(text: string): MappingRule[] {
  const rules: MappingRule[] = [];
  let i = 0;
  const fail = () => new Error(`ssl.principal.mapping.rules: cannot read "${text.slice(i, i + 40)}" (expected DEFAULT or RULE:pattern/replacement/)`);
  const until = (stop: string): string => {
    let out = '';
    while (i < text.length && text[i] !== stop) {
      if (text[i] === '\\' && i + 1 < text.length) out += text[i++];
      out += text[i++];
    }
    if (text[i] !== stop) throw fail();
    i++;
    return out;
  };
  while (i < text.length) {
    while (i < text.length && /[\s,]/.test(text[i])) i++;
    if (i >= text.length) break;
    if (text.startsWith('DEFAULT', i)) {
      rules.push({ pattern: null, replacement: '', toCase: '' });
      i += 'DEFAULT'.length;
    } else if (text.startsWith('RULE:', i)) {
      i += 'RULE:'.length;
      const pattern = until('/');
      const replacement = until('/').replace(/\\\//g, '/');
      const toCase = text[i] === 'L' || text[i] === 'U' ? text[i++] as 'L' | 'U' : '';
      let regex: RegExp;
      try {
        regex = new RegExp(pattern);
      } catch (err) {
        throw new Error(`ssl.principal.mapping.rules: "${pattern}" is not a valid pattern: ${(err as Error).message}`, { cause: err });
      }
      rules.push({ pattern: regex, replacement, toCase });
    } else {
      throw fail();
    }
  }
  if (rules.length === 0) throw new Error('ssl.principal.mapping.rules is empty (DEFAULT keeps the whole name)');
  return rules;
}

/** The principal name for a certificate's distinguished name; Kafka's DEFAULT is the name itself. */
export function mapPrincipalName(rules: MappingRule[], dn: string): string {
  for (const rule of rules) {
    if (!rule.pattern) return dn;
    const whole = new RegExp(`^(?:${rule.pattern.source})$`);
    if (!whole.test(dn)) continue;
    const mapped = dn.replace(rule.pattern, rule.replacement);
    return rule.toCase === 'L' ? mapped.toLowerCase() : rule.toCase === 'U' ? mapped.toUpperCase() : mapped;
  }
  // Kafka's answer when no rule matches: the connection is refused rather than given a guessed name.
  throw new Error(`no ssl.principal.mapping.rules entry matches "${dn}"`);
}
