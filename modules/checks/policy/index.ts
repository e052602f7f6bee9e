import { Finding, Rule } from "../finding";
import { adminSelfGrant } from "./admin-self-grant";
import { administratorsListed } from "./administrators-listed";
import { knownActions } from "./known-actions";
import { knownConditionKeys } from "./known-condition-keys";
import { knownServices } from "./known-services";
import { lockout } from "./lockout";
import { policyGrammar } from "./policy-grammar";
import { policySize } from "./policy-size";
import { resourceThisKey } from "./resource-this-key";
import { rotation } from "./rotation";
import { servicePrincipalSource } from "./service-principal-source";
import { PolicySubject } from "./subject";
import { uniqueSids } from "./unique-sids";
import { wildcardPrincipal } from "./wildcard-principal";

export {
  adminSelfGrant,
  administratorsListed,
  knownActions,
  knownConditionKeys,
  knownServices,
  lockout,
  policyGrammar,
  policySize,
  resourceThisKey,
  rotation,
  servicePrincipalSource,
  uniqueSids,
  wildcardPrincipal,
};
export type { PolicySubject } from "./subject";
export { keyFacts } from "./subject";

/** The rules every key policy passes; errors fail synth, warnings and infos are reported. */
export const POLICY_RULES: readonly Rule<PolicySubject>[] = [
  policyGrammar,
  lockout,
  servicePrincipalSource,
  knownActions,
  knownServices,
  knownConditionKeys,
  resourceThisKey,
  adminSelfGrant,
  wildcardPrincipal,
  uniqueSids,
  policySize,
  administratorsListed,
  rotation,
];

/**
 * Every policy rule's findings. The grammar comes first: a policy it refuses (an unknown
 * operator, element or principal form) is not evaluated, so its error is the one reported.
 */
export function checkPolicy(subject: PolicySubject): Finding[] {
  const grammar = policyGrammar.check(subject);
  if (grammar.some((f) => f.severity === "error")) return grammar;
  return POLICY_RULES.flatMap((rule) => rule.check(subject));
}
