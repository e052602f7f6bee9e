// Starts s3rver (S3-compatible) and dynalite (DynamoDB-compatible) on 127.0.0.1 in their own
// process, so a test that runs Terraform synchronously cannot block them. Prints one JSON line
// with the endpoints, then serves until its stdin closes.
// Usage: node local-aws-servers.js <s3-data-dir> <bucket>[,<bucket>...]
const S3rver = require("s3rver");
const dynalite = require("dynalite");

async function main() {
  const [directory, buckets] = process.argv.slice(2);
  const s3 = new S3rver({
    address: "127.0.0.1",
    port: 0,
    silent: true,
    directory,
    configureBuckets: buckets.split(",").map((name) => ({ name })),
  });
  const { port: s3Port } = await s3.run();
  const ddb = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise((resolve) => ddb.listen(0, "127.0.0.1", resolve));
  process.stdout.write(
    JSON.stringify({ s3: `http://127.0.0.1:${s3Port}`, dynamodb: `http://127.0.0.1:${ddb.address().port}` }) + "\n",
  );
  const stop = async () => {
    await s3.close();
    ddb.close(() => process.exit(0));
  };
  process.stdin.on("end", stop);
  process.stdin.resume();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
