import { LambdaFunction } from "../platform";
import { addressOf, Binder, expectResource, literal } from "./binding";

/**
 * Lambda (seed §4.4): `kms_key_arn = <key ARN>` encrypts the function's environment variables
 * at rest. The function's code needs no KMS calls: S3 and the other services decrypt on its
 * behalf.
 */
export const lambdaBinder: Binder<LambdaFunction> = {
  service: "lambda",
  call: "encryptFunction",
  identify: (fn) => {
    expectResource<LambdaFunction>("encryptFunction", fn, "aws_lambda_function", "a LambdaFunction of this app");
    return `lambda:${literal(fn.functionNameInput) ?? addressOf(fn)}`;
  },
  construct: (fn) => fn,
  apply(key, fn, existing) {
    fn.kmsKeyArn = key.keyArn;
    const address = addressOf(fn);
    return { service: "lambda", name: literal(fn.functionNameInput) ?? address, address, existing, resource: fn };
  },
};
