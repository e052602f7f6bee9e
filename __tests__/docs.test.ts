/**
 * The committed API reference (modules/API.md) is what TypeDoc makes of today's JSDoc.
 *
 * `npm run docs` stamps the page with a hash of everything TypeDoc reads and a hash of the page;
 * this test recomputes both instead of running TypeDoc again (~14 s of CPU in every test run).
 */
import { inputsHash, readPage, sha256 } from "../scripts/docs";

test("modules/API.md is current: regenerate it with `npm run docs`", () => {
  const page = readPage();
  expect(page.inputs).toMatch(/^[0-9a-f]{64}$/);
  expect(page.inputs === inputsHash() ? "current" : "stale: the modules or the doc tools changed; run `npm run docs` and commit modules/API.md").toBe("current");
  expect(page.page === sha256(page.body) ? "as generated" : "edited by hand: run `npm run docs`").toBe("as generated");
  for (const name of ["DataKey", "DataKeyProps", "IDataKey", "`abstract` DataKeyBase", "KeyAudit", "EncryptionEnforcement", "exemptFromEncryption", "accessMatrix"]) {
    expect(page.body).toContain(`### ${name}`);
  }
});
