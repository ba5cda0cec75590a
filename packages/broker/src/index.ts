export { Broker, type BrokerOptions } from './broker.ts';
export { buildBrokerConfig, dataDirectorySetting, parseProperties, ConfigError, BROKER_DEFAULTS, type BrokerConfig } from './config/broker-config.ts';
export { TOPIC_CONFIGS } from './config/topic-configs.ts';
export { consoleLogger, silentLogger, type Logger } from './logger.ts';
export { parseAddScram, type ScramUserSpec } from './security/add-scram.ts';
