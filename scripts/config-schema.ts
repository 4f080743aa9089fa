/**
 * Writes the configuration file's JSON Schema (docs/configuration.md) from the zod schema the
 * server validates the file with, so editors check exactly what the server accepts.
 *
 *   npm run config:schema
 *
 * A unit test (tests/unit/config-file.test.ts) fails when the committed file differs from what
 * this writes: run it after changing the schema.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CONFIG_JSON_SCHEMA_PATH, configJsonSchemaText } from '../lib/server/config-schema';

const target = join(__dirname, '..', CONFIG_JSON_SCHEMA_PATH);
writeFileSync(target, configJsonSchemaText());
console.log(`wrote ${CONFIG_JSON_SCHEMA_PATH}`);
