// Reading the session's public control state (R20-R22). The server applies every rule and sends
// the state after each op (`event.after`); these helpers only read it.

export function controlIdOf(sessionId) {
  return `${sessionId}.control`;
}

/** The corner (instrument id) of `group` in round `round` (1-based); null when free or unplanned. */
export function cornerFor(control, group, round = control?.round) {
  if (!control || !group) return null;
  if ((control.free || []).includes(group)) return null;
  const plan = control.plan || [];
  if (!(round >= 1 && round <= plan.length)) return null;
  return plan[round - 1]?.[group] || null;
}

/** The groups planned at `corner` in `round`, in the order of control.groups. */
export function groupsAt(control, corner, round = control?.round) {
  if (!control) return [];
  const assignment = (control.plan || [])[round - 1] || {};
  const free = new Set(control.free || []);
  return (control.groups || []).filter((g) => !free.has(g) && assignment[g] === corner);
}

export function boardOfCorner(session, corner) {
  return (session?.boards || []).find((b) => b.instrument === corner) || null;
}

/** The groups to offer: the control board's, else the session's from the template. */
export function groupsOf(control, session) {
  if (Array.isArray(control?.groups) && control.groups.length) return control.groups;
  return session?.groups || [];
}
