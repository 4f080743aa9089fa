export * from './codes';
export * from './messages';
export * from './channel';
export * from './filter';
export * from './parse';
export * from './json-bounds';
export * from './filter-key';
export * from './merge-patch';
