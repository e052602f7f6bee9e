import { Rule } from "../finding";
import { PolicySubject } from "./subject";

/** Rotation (warning): seed §2.1 and §6 keep yearly automatic rotation on. */
export const rotation: Rule<PolicySubject> = {
  id: "rotation",
  severity: "warning",
  description: "Automatic rotation is on, with the environment's period.",
  check({ rotation: r }) {
    if (r === undefined) return [];
    const base = { rule: this.id, severity: this.severity, path: "key" };
    if (!r.enabled) return [{ ...base, message: "Automatic key rotation is disabled; seed §2.1 and §6 keep it on." }];
    const period = r.periodInDays ?? 365;
    if (period !== r.expectedPeriodInDays) {
      return [{ ...base, message: `The key rotates every ${period} days; the environment asks for ${r.expectedPeriodInDays}.` }];
    }
    return [];
  },
};
