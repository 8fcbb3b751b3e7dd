export * from './AccessRecords.js';
export * from './DocumentStore.js';
export * as DynamoStore from './dynamodb/DynamoStore.js';
export { isRetryableDynamoError } from './dynamodb/errors.js';
export { DynamoTableError, defaultTableNames, type TableNames } from './dynamodb/tables.js';
export * from './HomeRecords.js';
export * from './ImageRecords.js';
export * as SqliteStore from './sqlite/SqliteStore.js';
