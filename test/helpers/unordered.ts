// Order-insensitive comparison of replies whose order follows hash table internals: a small
// RESP reader that parses a reply into a tree, and sorting of aggregates.

export interface Node {
  head: string;
  kids: Node[] | null;
}

/** Parses the RESP value at s[at..]; returns it and where it ends. */
export function parse(s: string, at = 0): [Node, number] {
  const e = s.indexOf("\r\n", at);
  const head = s.slice(at, e);
  const t = head[0]!;
  let p = e + 2;
  if (t === "$" || t === "=" || t === "!") {
    const n = parseInt(head.slice(1), 10);
    if (n < 0) return [{ head, kids: null }, p];
    return [{ head: head + "\r\n" + s.slice(p, p + n), kids: null }, p + n + 2];
  }
  if ("*~%>|".includes(t)) {
    let n = parseInt(head.slice(1), 10);
    if (n < 0) return [{ head, kids: null }, p];
    if (t === "%" || t === "|") n *= 2;
    const kids: Node[] = [];
    for (let i = 0; i < n; i++) {
      const [k, q] = parse(s, p);
      kids.push(k);
      p = q;
    }
    return [{ head, kids }, p];
  }
  return [{ head, kids: null }, p];
}

/** The node's RESP bytes. */
export function ser(n: Node): string {
  return n.kids === null ? n.head + "\r\n" : n.head + "\r\n" + n.kids.map(ser).join("");
}

/** The aggregate with its elements sorted (by their bytes). */
export function sortNode(n: Node): Node {
  if (n.kids === null) return n;
  return { head: n.head, kids: n.kids.slice().sort((x, y) => (ser(x) < ser(y) ? -1 : ser(x) > ser(y) ? 1 : 0)) };
}

/** Sorts the elements of a top-level array, set or map (in groups of `group`, e.g. 2 for flat pairs; maps by pair). */
export function sortTop(reply: string, group = 1): string {
  if (!"*~%".includes(reply[0]!)) return reply;
  const [n] = parse(reply);
  if (n.kids === null) return reply;
  const g = n.head[0] === "%" ? 2 : group;
  const chunks: string[] = [];
  for (let i = 0; i < n.kids.length; i += g) chunks.push(n.kids.slice(i, i + g).map(ser).join(""));
  chunks.sort();
  return n.head + "\r\n" + chunks.join("");
}
