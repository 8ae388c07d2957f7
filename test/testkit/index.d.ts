import { Kafka, type KafkaMessage } from 'kafkajs';
import { type Principal, type ServiceConfig } from '@concierge/kit';
export declare const ROOT: string;
export declare const MONGO_BASE: string;
export declare const BROKERS: string[];
export declare const SECRET: string;
export declare const ADMIN: Principal;
/** A service config on a fresh database and consumer group, port 0, quiet logs. */
export declare function serviceConfig(name: string, overrides?: Partial<ServiceConfig>): ServiceConfig;
export interface GraphQLResponse<T> {
  status: number;
  data?: T;
  errors?: {
    message: string;
    extensions?: {
      code?: string;
      field?: string;
      reason?: string;
    };
  }[];
}
/** POSTs a GraphQL operation; `auth` is a principal to sign as the gateway would, or raw headers. */
export declare function graphql<T = Record<string, unknown>>(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  auth?: Principal | Record<string, string> | null,
): Promise<GraphQLResponse<T>>;
/** Polls until `check` returns a value other than undefined/false, or fails after `timeoutMs`. */
export declare function eventually<T>(
  check: () => Promise<T | undefined | false>,
  timeoutMs?: number,
): Promise<T>;
export declare const kafka: Kafka;
/** Reads a topic from the beginning into `messages` until stopped. */
export declare function readTopic(topic: string): Promise<{
  messages: KafkaMessage[];
  values: () => Record<string, unknown>[];
  stop: () => Promise<void>;
}>;
/** Stops or starts the local broker with the project's infra scripts. */
export declare function broker(action: 'stop' | 'start'): void;
