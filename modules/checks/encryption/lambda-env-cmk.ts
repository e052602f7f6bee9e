import { effectiveAttributes } from "../../platform";
import type { LambdaFunction } from "../../platform";
import { Rule } from "../finding";
import { EncryptionSubject, keyProblem, ofType, unencrypted } from "./subject";

/** Lambda environment variables use the data key (checkov CKV_AWS_173 for this key), overrides included. */
export const lambdaEnvCmk: Rule<EncryptionSubject> = {
  id: "lambda-env-cmk",
  severity: "error",
  description: "Every Lambda function encrypts its environment variables with the data key (CKV_AWS_173).",
  check(subject) {
    return ofType<LambdaFunction>(subject, "aws_lambda_function").flatMap((fn) => {
      const problem = keyProblem(effectiveAttributes(fn).kms_key_arn, subject, "aws/lambda");
      return problem ? [unencrypted(this.id, fn, problem, "dataKey.encryptFunction(fn)")] : [];
    });
  },
};
