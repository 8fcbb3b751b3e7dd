export {
  type DynamoDbLocal,
  dynamoDbLocalClientConfig,
  dynamoDbLocalDir,
  startDynamoDbLocal,
} from './dynamodbLocal.js';
export { freePort } from './ports.js';
export { type ServerProcess, type StartServerOptions, startServer } from './serverProcess.js';
export { type TempDir, tempDir } from './tempDir.js';
