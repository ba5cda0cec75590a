import type { BrokerConfig } from './broker-config.ts';
import type { ConfigDef } from './topic-configs.ts';

/** DescribeConfigs' config sources (v1+). */
export const ConfigSource = {
  DYNAMIC_TOPIC_CONFIG: 1,
  DYNAMIC_BROKER_CONFIG: 2,
  DYNAMIC_DEFAULT_BROKER_CONFIG: 3,
  STATIC_BROKER_CONFIG: 4,
  DEFAULT_CONFIG: 5,
} as const;

export interface ResolvedConfig {
  def: ConfigDef;
  value: string;
  source: number;
  /** Where the value would come from without the topic's own override, most specific first (Kafka's "synonyms"). */
  synonyms: { name: string; value: string; source: number }[];
}

/** A topic config's value in force, where it comes from, and what it overrides. */
export function resolveTopicConfig(def: ConfigDef, overrides: Record<string, string>, broker: BrokerConfig): ResolvedConfig {
  const synonyms: ResolvedConfig['synonyms'] = [];
  const override = overrides[def.name];
  if (override !== undefined) synonyms.push({ name: def.name, value: override, source: ConfigSource.DYNAMIC_TOPIC_CONFIG });
  if (def.brokerSynonym && broker.explicit.has(def.brokerSynonym)) {
    synonyms.push({ name: def.brokerSynonym, value: broker.values[def.brokerSynonym], source: ConfigSource.STATIC_BROKER_CONFIG });
  }
  synonyms.push({ name: def.brokerSynonym ?? def.name, value: def.defaultValue, source: ConfigSource.DEFAULT_CONFIG });
  return { def, value: synonyms[0].value, source: synonyms[0].source, synonyms };
}
