import { PolicyDocument } from "../../key-policy/document";
import { Rule } from "../finding";
import { knownActions } from "./known-actions";
import { lockout } from "./lockout";
import { policySize } from "./policy-size";
import { uniqueSids } from "./unique-sids";

export { knownActions, lockout, policySize, uniqueSids };

/** The rules every synthesized key policy passes. */
export const POLICY_RULES: readonly Rule<PolicyDocument>[] = [lockout, uniqueSids, knownActions, policySize];
