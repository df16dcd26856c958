// Building elements without innerHTML: task names and log lines come from users' files.

/** h('a', {href: '#/x', class: 'y', onclick}, 'text', child) */
export function h(tag, attrs = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on') && typeof value === 'function') element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else if (name === 'style' && typeof value === 'object') Object.assign(element.style, value);
    else if (name === 'dataset') Object.assign(element.dataset, value);
    else if (value === true) element.setAttribute(name, '');
    else element.setAttribute(name, String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replaces the children of `element`. */
export function fill(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

export function debounce(fn, ms) {
  let timer;
  return (...args) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}

/**
 * Shows `items` in `container`, rebuilding only those whose `json` changed: an unchanged one
 * keeps its element, so a live update never swaps a button out from under the pointer.
 * `held` (a Map) remembers the elements between calls; `update` refreshes a kept element.
 */
export function reconcile(container, held, items, { key, json, build, update }) {
  const next = new Map();
  const elements = items.map((item) => {
    const id = key(item);
    const text = json(item);
    const kept = held.get(id);
    const element = kept?.json === text ? kept.element : build(item);
    if (kept?.json === text) update?.(element, item);
    next.set(id, { json: text, element });
    return element;
  });
  held.clear();
  for (const [id, entry] of next) held.set(id, entry);
  const children = container.children;
  if (elements.length !== children.length || elements.some((element, i) => children[i] !== element)) container.replaceChildren(...elements);
}
