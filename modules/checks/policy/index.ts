import { Rule } from "../finding";
import { adminSelfGrant } from "./admin-self-grant";
import { administratorsListed } from "./administrators-listed";
import { knownActions } from "./known-actions";
import { lockout } from "./lockout";
import { policySize } from "./policy-size";
import { rotation } from "./rotation";
import { servicePrincipalSource } from "./service-principal-source";
import { PolicySubject } from "./subject";
import { uniqueSids } from "./unique-sids";
import { wildcardPrincipal } from "./wildcard-principal";

export {
  adminSelfGrant,
  administratorsListed,
  knownActions,
  lockout,
  policySize,
  rotation,
  servicePrincipalSource,
  uniqueSids,
  wildcardPrincipal,
};
export type { PolicySubject } from "./subject";

/** The rules every key policy passes; errors fail synth, warnings and infos are reported. */
export const POLICY_RULES: readonly Rule<PolicySubject>[] = [
  lockout,
  servicePrincipalSource,
  knownActions,
  adminSelfGrant,
  wildcardPrincipal,
  uniqueSids,
  policySize,
  administratorsListed,
  rotation,
];
