/**
 * The first setup file of the aws21 and cdktn projects (package.json, jest.projects): their
 * framework environment is installed (once, from its committed lockfile; scripts/flavours.js)
 * before a test file of theirs loads a framework module through the project's moduleNameMapper.
 * Cached, this is a stamp read and two file hashes.
 */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { ensure } = require("../../scripts/flavours");

declare const MAVIK_FLAVOUR_ENV: string;

ensure(MAVIK_FLAVOUR_ENV);
