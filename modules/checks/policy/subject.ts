import { PolicyDocument } from "../../key-policy/document";

/** What the policy rules look at: the key policy and what the environment expects of the key. */
export interface PolicySubject {
  readonly policy: PolicyDocument;
  /** The key's account; its root is the account itself, not an administrator. */
  readonly accountId: string;
  readonly partition?: string;
  /** The administrators the environment lists (ARNs); others with admin actions are reported. */
  readonly administrators?: readonly string[];
  /** The key's rotation as configured, and the period the environment asks for. */
  readonly rotation?: { readonly enabled: boolean; readonly periodInDays?: number; readonly expectedPeriodInDays: number };
}

/** `arn:<partition>:iam::<account>:root` */
export function accountRoot(subject: PolicySubject): string {
  return `arn:${subject.partition ?? "aws"}:iam::${subject.accountId}:root`;
}
