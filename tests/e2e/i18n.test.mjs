// Every translation of the web app (web/i18n/<lang>.json, listed in
// web/i18n/languages.json) has exactly the keys of en.json, each a non-empty
// string with the same {placeholders}. No server or browser needed.

import assert from 'node:assert/strict';
import { readFileSync, readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'web', 'i18n');
const read = (file) => JSON.parse(readFileSync(join(dir, file), 'utf8'));
const placeholders = (s) => [...new Set([...s.matchAll(/\{(\w+)\}/g)].map((m) => m[1]))].sort();

const en = read('en.json');
const languages = read('languages.json');
const files = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'languages.json');

describe('translations', () => {
  test('languages.json lists every translation file once, with a name', () => {
    assert.ok(Array.isArray(languages) && languages.length > 0);
    const codes = languages.map((l) => l.code);
    assert.equal(new Set(codes).size, codes.length, 'no language listed twice');
    for (const l of languages) {
      assert.match(l.code, /^[a-z]{2,3}(-[A-Za-z0-9]+)*$/, `code ${l.code}`);
      assert.equal(typeof l.name, 'string');
      assert.ok(l.name.trim().length > 0, `name of ${l.code}`);
    }
    assert.deepEqual([...codes].sort(), files.map((f) => f.replace(/\.json$/, '')).sort());
    for (const required of ['en', 'fr', 'hy', 'ru', 'de', 'es']) assert.ok(codes.includes(required), `${required} is offered`);
  });

  test('en.json: every value is a non-empty string', () => {
    for (const [key, value] of Object.entries(en)) {
      assert.equal(typeof value, 'string', key);
      assert.ok(value.trim().length > 0, key);
    }
  });

  for (const file of files.filter((f) => f !== 'en.json')) {
    test(`${file} has the keys, non-empty strings and placeholders of en.json`, () => {
      const tr = read(file);
      const missing = Object.keys(en).filter((k) => !(k in tr));
      const extra = Object.keys(tr).filter((k) => !(k in en));
      assert.deepEqual(missing, [], `${file}: keys missing`);
      assert.deepEqual(extra, [], `${file}: keys not in en.json`);
      for (const [key, value] of Object.entries(tr)) {
        assert.equal(typeof value, 'string', `${file} ${key}`);
        assert.ok(value.trim().length > 0, `${file} ${key} is empty`);
        assert.deepEqual(placeholders(value), placeholders(en[key]), `${file} ${key}: placeholders`);
      }
    });
  }

  test('Armenian is written in Armenian script', () => {
    const hy = read('hy.json');
    const armenian = Object.values(hy).filter((v) => /[\u0531-\u0587]/.test(v)).length;
    assert.ok(armenian / Object.keys(hy).length > 0.9, 'most Armenian strings use the Armenian alphabet');
  });
});
