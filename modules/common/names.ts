/**
 * One Terraform name, one construct. cdktf writes a stack's elements into one JSON object keyed
 * by type and name, so two constructs that get the same name (two `DataKey`s with one id in two
 * wrapper constructs, two audits) do not fail: the second silently replaces the first. Here that
 * is an error naming both construct paths:
 *
 * - at once, when one of this package's constructs takes a name another of them holds
 *   ({@link claimTerraformName}), so the stack trace points at the call;
 * - at synth, for any two elements of a stack (yours included), through a validation this
 *   package adds to every stack it writes into ({@link terraformNameClashes}).
 */
import { IConstruct, isTerraformElement, stackOf, TerraformElement, terraformAddress, TerraformStack } from "../platform";
import { ConfigError } from "./errors";

const claimed = new WeakMap<TerraformStack, Map<string, string>>();
const aliases = new WeakMap<TerraformStack, Map<string, string>>();
const validated = new WeakSet<TerraformStack>();

/** Records that `element` holds its Terraform name in its stack; throws if another construct holds it. */
export function claimTerraformName(element: TerraformElement): void {
  const address = terraformAddress(element);
  const stack = stackOf(element);
  watchStack(stack);
  if (address === undefined) return;
  let names = claimed.get(stack);
  if (names === undefined) claimed.set(stack, (names = new Map()));
  const holder = names.get(address);
  if (holder !== undefined && holder !== element.node.path) throw new ConfigError(clash(address, holder, element.node.path));
  names.set(address, element.node.path);
}

/**
 * Records that the key `owner` takes `alias` in its stack: one provider, one account and region,
 * where an alias names one key. A second key with the alias would fail at apply
 * (AlreadyExistsException), after the first was created.
 */
export function claimAlias(owner: IConstruct, alias: string): void {
  const stack = stackOf(owner);
  let names = aliases.get(stack);
  if (names === undefined) aliases.set(stack, (names = new Map()));
  const holder = names.get(alias);
  if (holder !== undefined && holder !== owner.node.path) {
    throw new ConfigError(
      `alias: ${JSON.stringify(alias)} is not allowed. ${owner.node.path} would take the alias ${holder} has in the same stack (one account and region), where an alias names one key. Give one of them another alias.`,
    );
  }
  names.set(alias, owner.node.path);
}

/** Every pair of elements of `stack` written under one Terraform name, as messages. */
export function terraformNameClashes(stack: TerraformStack): string[] {
  const seen = new Map<string, string>();
  const out: string[] = [];
  for (const node of stack.node.findAll()) {
    // Any copy of the framework's elements: they share the stack's JSON all the same.
    if (!isTerraformElement(node) || stackOf(node) !== stack) continue;
    const address = terraformAddress(node);
    if (address === undefined) continue;
    const first = seen.get(address);
    if (first === undefined) seen.set(address, node.node.path);
    else out.push(clash(address, first, node.node.path));
  }
  return out;
}

/** Throws one {@link ConfigError} listing every clash in `stack`. */
export function checkTerraformNames(stack: TerraformStack): void {
  const clashes = terraformNameClashes(stack);
  if (clashes.length > 0) throw new ConfigError(clashes.join("\n"));
}

/** Adds the synth-time check to a stack once. */
function watchStack(stack: TerraformStack): void {
  if (validated.has(stack)) return;
  validated.add(stack);
  stack.node.addValidation({ validate: () => terraformNameClashes(stack) });
}

function clash(address: string, first: string, second: string): string {
  return (
    `${address}: ${second} would be written under the Terraform name ${first} holds, and Terraform would keep only one of them. ` +
    "Give one of the constructs another id (the id is the Terraform name), or put them in different stacks."
  );
}

