export {
  type DynamoDbLocal,
  dynamoDbLocalClientConfig,
  dynamoDbLocalDir,
  dynamoDbServerEnv,
  startDynamoDbLocal,
} from './dynamodbLocal.js';
export { type FaultPlan, type StoreOperation, type TransientFault, withFaults } from './faultyStore.js';
export { type FaultyServer, startFaultyServer } from './inProcessServer.js';
export { freePort } from './ports.js';
export { type RedisServer, redisPing, type StartRedisOptions, startRedis } from './redis.js';
export { type ServerProcess, type StartServerOptions, startServer } from './serverProcess.js';
export { strictFake } from './strictFake.js';
export { type TempDir, tempDir } from './tempDir.js';
