import { KeyFacts } from "../../access/context";
import { PolicyDocument } from "../../key-policy/document";

/** What the policy rules look at: the key policy and what the environment expects of the key. */
export interface PolicySubject {
  readonly policy: PolicyDocument;
  /** The key's account; its root is the account itself, not an administrator. */
  readonly accountId: string;
  readonly partition?: string;
  /** The key's region, where known. */
  readonly region?: string;
  /** The key's ARN, where its id is known (an adopted key). */
  readonly keyArn?: string;
  /** The administrators the environment lists (ARNs); others with admin actions are reported. */
  readonly administrators?: readonly string[];
  /**
   * The principal that runs `cdktf deploy` (an ARN), which AWS's lockout safety check tests.
   * Undefined: any principal of the account whose IAM policies allow it, through the root statement.
   */
  readonly deployer?: string;
  /** The key's rotation as configured, and the period the environment asks for. */
  readonly rotation?: { readonly enabled: boolean; readonly periodInDays?: number; readonly expectedPeriodInDays: number };
  /**
   * A moment to judge the policy at. @default - none: conditions on the time stay conditions, since
   *   a policy is judged for as long as it is in place
   */
  readonly now?: Date;
}

/** `arn:<partition>:iam::<account>:root` */
export function accountRoot(subject: Pick<PolicySubject, "accountId" | "partition">): string {
  return `arn:${subject.partition ?? "aws"}:iam::${subject.accountId}:root`;
}

/** The key as the evaluator knows it. */
export function keyFacts(subject: PolicySubject): KeyFacts {
  return { account: subject.accountId, partition: subject.partition ?? "aws", region: subject.region, keyArn: subject.keyArn };
}
