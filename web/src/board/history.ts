// Undo and redo of one's own actions. An action is named by its id (a stroke's id, or an erase's action id, in
// hex); the server checks that the action is the sender's and emits the inverse event, so the history only keeps
// which ids to name next.

export class UndoHistory {
  private readonly undos: string[] = [];
  private readonly redos: string[] = [];

  /** A new action of one's own: the next undo names it, and what was undone can no longer be redone. */
  did(actionId: string): void {
    this.undos.push(actionId);
    this.redos.length = 0;
  }

  /** The action to undo (it becomes the next redo), or undefined when there is none. */
  undo(): string | undefined {
    const a = this.undos.pop();
    if (a !== undefined) this.redos.push(a);
    return a;
  }

  /** The action to redo (it becomes the next undo), or undefined when there is none. */
  redo(): string | undefined {
    const a = this.redos.pop();
    if (a !== undefined) this.undos.push(a);
    return a;
  }

  /** An action was sent again under a new id (its first id was taken): undo and redo name the new one. */
  rename(oldId: string, newId: string): void {
    for (const stack of [this.undos, this.redos]) for (let i = 0; i < stack.length; i++) if (stack[i] === oldId) stack[i] = newId;
  }
}
