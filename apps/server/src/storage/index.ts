export * from './AccessRecords.js';
export * from './DocumentStore.js';
export * from './HomeRecords.js';
export * from './ImageRecords.js';
export * as SqliteStore from './sqlite/SqliteStore.js';
