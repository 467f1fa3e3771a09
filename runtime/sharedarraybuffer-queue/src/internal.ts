/** What the package's tests need beyond the public surface: the shared-memory layout. */
export * from './layout.js';
