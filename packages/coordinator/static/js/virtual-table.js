// A table that renders only the rows in view and fetches them a window at a time, so a
// sweep of 10,000 (or 100,000) tasks scrolls as smoothly as one of ten.
import { fill, h } from './dom.js';

/** Room above and below a row's first cell (a task's name, which wraps onto as many lines as it needs). */
const ROW_PADDING_PX = 12;

export class VirtualTable {
  /**
   * columns: [{ title, width, hideBelowRem }]: a column with hideBelowRem is left out while the
   * rows have less room than that many rem, so that the others keep theirs instead of being cut
   * off at the right edge (where a row's buttons are);
   * fetchWindow(offset, limit) -> Promise<{ rows, total }>;
   * renderRow(row) -> array of cells, one per column; onTotal(total) after each answer.
   * A row's first cell (a name) wraps rather than being cut: names that differ only at their
   * end (the last params) would all read the same. Every row is as high as the tallest first
   * cell drawn needs (see fitRowHeight), since the scroll position alone says which rows are in view.
   */
  constructor({ columns, fetchWindow, renderRow, onTotal = () => {}, onError = () => {}, rowHeight = 34, chunk = 100, height = '65vh' }) {
    Object.assign(this, { columns, fetchWindow, renderRow, onTotal, onError, rowHeight, chunk });
    this.oneLineHeight = rowHeight;
    this.width = undefined;
    this.cache = new Map(); // chunk index -> { rows, generation }
    this.pending = new Set(); // `${generation}:${chunk}`
    this.drawn = new Map(); // row index -> { json, element } on screen
    this.generation = 0;
    this.resetAt = 0;
    this.total = undefined;
    this.spacer = h('div', { class: 'vspacer' });
    this.body = h('div', { class: 'vbody' });
    this.viewport = h('div', { class: 'viewport', style: { height } }, this.spacer, this.body);
    this.viewport.addEventListener('scroll', () => this.draw(), { passive: true });
    this.head = h('div', { class: 'vrow vhead', role: 'row' });
    this.element = h('div', { class: 'vtable', role: 'table' }, this.head, this.viewport);
    this.showColumns(columns.map((_, i) => i));
    // The rows' room: the viewport's content box, which a vertical scrollbar narrows.
    new ResizeObserver(([entry]) => this.fitColumns(entry.contentRect.width)).observe(this.viewport);
  }

  /**
   * The columns that fit `width`; rows drawn with others are drawn again. Names wrap anew at
   * another width: the rows' height is measured again from one line.
   */
  fitColumns(width) {
    if (width === 0 || width === this.width) return; // not on the page (yet, or any more), or no change
    this.width = width;
    const rem = parseFloat(getComputedStyle(document.documentElement).fontSize) || 16;
    const fitting = this.columns.flatMap((c, i) => (c.hideBelowRem !== undefined && width < c.hideBelowRem * rem ? [] : [i]));
    if (fitting.join() !== this.shown.join()) {
      this.showColumns(fitting);
      this.drawn = new Map();
    }
    this.setRowHeight(this.oneLineHeight);
    this.draw();
  }

  /** Every row's height; the first row in view stays first. */
  setRowHeight(height) {
    if (height === this.rowHeight) return;
    const topRow = this.viewport.scrollTop / this.rowHeight;
    this.rowHeight = height;
    this.element.style.setProperty('--row-height', `${height}px`);
    this.spacer.style.height = `${(this.total ?? 0) * height}px`;
    this.viewport.scrollTop = topRow * height;
  }

  /**
   * Grows the rows to fit the tallest first cell among `rows` (they only grow until the width
   * or the query changes: rows changing height as they scroll by would make the page jump).
   * Returns whether they grew.
   */
  fitRowHeight(rows) {
    const tallest = Math.max(0, ...rows.map((row) => row.firstElementChild?.getBoundingClientRect().height ?? 0));
    const needed = Math.max(this.oneLineHeight, Math.ceil(tallest) + ROW_PADDING_PX);
    if (needed <= this.rowHeight) return false;
    this.setRowHeight(needed);
    return true;
  }

  showColumns(indexes) {
    this.shown = indexes;
    this.template = indexes.map((i) => this.columns[i].width).join(' ');
    this.head.style.gridTemplateColumns = this.template;
    fill(this.head, indexes.map((i) => h('div', { role: 'columnheader' }, this.columns[i].title)));
  }

  /**
   * Fetch again what is in view; `reset` (new filter or sort) also forgets the rows held and
   * scrolls up. The rows drawn are compared with a new rendering too: what they show may
   * depend on more than their data (a task's agent lost).
   */
  refresh(reset = false) {
    this.generation++;
    for (const entry of this.drawn.values()) entry.json = undefined;
    if (reset) {
      this.cache.clear();
      this.resetAt = this.generation;
      this.total = undefined;
      this.viewport.scrollTop = 0;
      this.setRowHeight(this.oneLineHeight);
    }
    this.draw();
  }

  draw() {
    const first = Math.max(0, Math.floor(this.viewport.scrollTop / this.rowHeight) - 5);
    const shown = Math.ceil((this.viewport.clientHeight || 600) / this.rowHeight) + 10;
    const last = this.total === undefined ? first + shown : Math.min(this.total, first + shown);
    for (let c = Math.floor(first / this.chunk); c <= Math.floor(Math.max(first, last - 1) / this.chunk); c++) this.load(c);
    const rows = [];
    const drawn = new Map();
    for (let i = first; i < last; i++) {
      const entry = this.cache.get(Math.floor(i / this.chunk));
      const row = entry?.rows[i % this.chunk];
      if (entry && !row) continue;
      // A drawn row keeps its element (rebuilt, it would lose the focus, or the click of a pointer pressed on it).
      const kept = this.drawn.get(i);
      const json = row && JSON.stringify(row);
      let element;
      if (!row) element = kept?.loading ? kept.element : h('div', { class: 'vrow loading', role: 'row', style: { gridTemplateColumns: this.template } }, h('div', { class: 'muted' }, '…'));
      else if (!kept || kept.loading) element = this.buildRow(i, row);
      else {
        element = kept.element;
        if (kept.json !== json) this.updateRow(element, row);
      }
      drawn.set(i, { json, element, loading: !row });
      rows.push(element);
    }
    this.drawn = drawn;
    this.spacer.style.height = `${(this.total ?? 0) * this.rowHeight}px`;
    this.body.style.transform = `translateY(${first * this.rowHeight}px)`;
    this.place(rows);
    // Taller names came into view: place the rows again at their new height.
    if (this.fitRowHeight(rows)) this.draw();
  }

  buildRow(index, row) {
    return h('div', { class: 'vrow', role: 'row', style: { gridTemplateColumns: this.template }, dataset: { index: String(index) } }, this.shownCells(row).map(cellElement));
  }

  /**
   * A drawn row's new content, cell by cell: a cell that reads the same keeps its element (a
   * running task's note changes every few seconds, its Cancel button does not); one that
   * changed is replaced, and if it held the focus, its counterpart in the new cell takes it.
   */
  updateRow(element, row) {
    for (const [i, content] of this.shownCells(row).entries()) {
      const fresh = cellElement(content);
      const old = element.children[i];
      if (old.outerHTML === fresh.outerHTML) continue;
      const focused = old.contains(document.activeElement) ? document.activeElement : undefined;
      old.replaceWith(fresh);
      if (focused) counterpart(element, fresh, focused)?.focus({ preventScroll: true });
    }
  }

  /**
   * Puts `rows` in the body in their order, moving none that stays: an element taken out of the
   * page, even to go back at once, loses the focus. Rows keep their order as the window
   * scrolls, so only new ones go in.
   */
  place(rows) {
    const wanted = new Set(rows);
    for (const child of [...this.body.children]) if (!wanted.has(child)) child.remove();
    let next = this.body.firstElementChild;
    for (const row of rows) {
      if (row === next) next = next.nextElementSibling;
      else this.body.insertBefore(row, next);
    }
  }

  shownCells(row) {
    const cells = this.renderRow(row);
    return this.shown.map((i) => cells[i]);
  }

  async load(chunk) {
    const held = this.cache.get(chunk);
    if (held && held.generation === this.generation) return;
    const key = `${this.generation}:${chunk}`;
    if (this.pending.has(key)) return;
    this.pending.add(key);
    const generation = this.generation;
    try {
      const { rows, total } = await this.fetchWindow(chunk * this.chunk, this.chunk);
      // Drop answers to a query replaced since (new filter) or older than the rows held.
      if (generation < this.resetAt || generation < (this.cache.get(chunk)?.generation ?? -1)) return;
      this.cache.set(chunk, { rows, generation });
      this.total = total;
      this.onTotal(total);
      this.draw();
    } catch (error) {
      this.onError(error);
    } finally {
      this.pending.delete(key);
    }
  }
}

function cellElement(content) {
  return h('div', { role: 'cell' }, content);
}

const FOCUSABLE = 'a[href], button:not(:disabled), input, select';

/** Where the focus goes from `focused`, in a cell replaced by `cell`: the same control if it is still there, else another of the row's. */
function counterpart(row, cell, focused) {
  const same = focused.dataset.action ? `[data-action="${focused.dataset.action}"]:not(:disabled)` : focused.tagName;
  return cell.querySelector(same) ?? cell.querySelector(FOCUSABLE) ?? row.querySelector(FOCUSABLE);
}
