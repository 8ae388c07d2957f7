/**
 * The people one event notifies, each once: an event makes one notification per recipient, so
 * someone who is both, say, an assignee and a deputy, or the requester and the beneficiary, gets
 * the text of the first role they were added with. Add the most actionable role first.
 */
export class Recipients<Role> {
  private readonly roles = new Map<string, Role>();

  /** Adds `userId` in `role` unless they are a recipient already. */
  add(userId: string, role: Role): this {
    if (!this.roles.has(userId)) this.roles.set(userId, role);
    return this;
  }

  /** Each recipient with their role, in the order added. */
  list(): [userId: string, role: Role][] {
    return [...this.roles];
  }
}
