// Where the tiles go: tile view (a grid whose column count is computed from
// the number of tiles and the size of the window) or stage view (one large
// tile — pinned, a screen share or the active speaker — and a strip).

import { emit, on, stoa, storageGet, storageSet } from './state.js';

const GAP = 8;
const MIN_TILE = 150;

/** The column count and tile width that make n tiles of aspect a largest in W×H. */
export function bestGrid(n, W, H, a = 16 / 9) {
  if (n <= 0 || W <= 0 || H <= 0) return { cols: 1, width: Math.max(W, 0) };
  let best = { cols: 1, width: 0 };
  for (let cols = 1; cols <= n; cols++) {
    const rows = Math.ceil(n / cols);
    const w = Math.min((W - GAP * (cols - 1)) / cols, ((H - GAP * (rows - 1)) / rows) * a);
    if (w > best.width) best = { cols, width: w };
  }
  if (best.width < MIN_TILE) {
    // Too many to fit: keep tiles readable and let the grid scroll.
    const cols = Math.max(1, Math.floor((W + GAP) / (MIN_TILE + GAP)));
    best = { cols, width: Math.min(W, (W - GAP * (cols - 1)) / cols) };
  }
  return best;
}

export class Layout {
  constructor(container, tiles) {
    this.container = container;
    this.slot = container.querySelector('.stage-slot');
    this.grid = container.querySelector('.grid');
    this.tiles = tiles;
    this.view = storageGet('stoa.view', 'tile') === 'stage' ? 'stage' : 'tile';
    this.pinned = null;
    this.speaker = null;
    this.stageKey = null;
    this.screens = new Set();   // others' screen tiles seen at the last render
    this.autoStage = false;     // in stage view because a share started, not by choice
    this.scheduled = false;
    this.resize = new ResizeObserver(() => this.schedule());
    this.resize.observe(container);
    on('layout', () => this.schedule());
    on('participants', () => this.schedule());
    on('pin', ({ key }) => this.pin(key));
    this.render();
  }

  schedule() {
    if (this.scheduled) return;
    this.scheduled = true;
    requestAnimationFrame(() => {
      this.scheduled = false;
      this.render();
    });
  }

  setView(view) {
    this.autoStage = false;
    this.view = view === 'stage' ? 'stage' : 'tile';
    storageSet('stoa.view', this.view);
    this.render();
    emit('view', { view: this.view });
  }

  toggleView() {
    this.setView(this.view === 'tile' ? 'stage' : 'tile');
  }

  pin(key) {
    this.pinned = this.pinned === key ? null : key;
    if (this.pinned && this.view !== 'stage') this.setView('stage');
    else this.render();
  }

  /** The active speaker changed (a participant id or null). */
  setSpeaker(id) {
    if (id === this.speaker) return;
    this.speaker = id;
    if (id) this.lastSpeaker = id;
    if (this.view === 'stage' && !this.pinned) this.schedule();
  }

  ordered() {
    const order = [...stoa.participants.keys()];
    const rank = (tile) => {
      if (tile.source === 'screen') return -1;
      if (tile.self) return 0;
      return 1 + order.indexOf(tile.id);
    };
    return this.tiles.all().sort((a, b) => rank(a) - rank(b));
  }

  chooseStage(list) {
    const byKey = (k) => list.find((tile) => tile.key === k);
    if (this.pinned && !byKey(this.pinned)) this.pinned = null;
    if (this.pinned) return byKey(this.pinned);
    const screens = list.filter((tile) => tile.source === 'screen' && !tile.self);
    if (screens.length) return screens[screens.length - 1];
    for (const id of [this.speaker, this.lastSpeaker]) {
      const tile = id && id !== stoa.selfId ? byKey(`${id}:camera`) : null;
      if (tile) return tile;
    }
    return list.find((tile) => !tile.self && tile.source === 'camera') ?? list.find((tile) => tile.source === 'screen') ?? list[0] ?? null;
  }

  /** A share that starts takes the stage for everyone; when the last one
   * ends, a view switched for it goes back to tiles. Whoever goes back to
   * tiles during a share stays there (until another share starts); the
   * remembered choice of view is not touched. */
  followShares(list) {
    const screens = list.filter((tile) => tile.source === 'screen' && !tile.self).map((tile) => tile.key);
    const started = screens.some((key) => !this.screens.has(key));
    this.screens = new Set(screens);
    if (started && this.view === 'tile') {
      this.view = 'stage';
      this.autoStage = true;
      return true;
    }
    if (this.autoStage && screens.length === 0) {
      this.view = 'tile';
      this.autoStage = false;
      return true;
    }
    return false;
  }

  render() {
    const list = this.ordered();
    const switched = this.followShares(list);
    const stage = this.view === 'stage' ? this.chooseStage(list) : null;
    this.stageKey = stage?.key ?? null;
    this.container.dataset.view = this.view;
    this.container.dataset.count = String(list.length);

    const gridTiles = list.filter((tile) => tile !== stage);
    if (stage && stage.root.parentElement !== this.slot) {
      this.slot.replaceChildren(stage.root);
      stage.play();
    }
    if (!stage && this.slot.firstChild) this.slot.replaceChildren();
    gridTiles.forEach((tile, i) => {
      if (this.grid.children[i] !== tile.root) {
        this.grid.insertBefore(tile.root, this.grid.children[i] ?? null);
        tile.play();
      }
    });
    while (this.grid.children.length > gridTiles.length) this.grid.lastElementChild.remove();

    for (const tile of list) {
      tile.setStage(tile === stage);
      tile.setPinned(tile.key === this.pinned);
    }
    this.container.classList.toggle('strip-empty', this.view === 'stage' && gridTiles.length === 0);
    if (this.view === 'tile') this.sizeGrid(gridTiles.length);
    else {
      this.grid.style.gridTemplateColumns = '';
      this.grid.style.gridAutoRows = '';
    }
    if (switched) emit('view', { view: this.view, auto: true });
  }

  sizeGrid(n) {
    const W = this.container.clientWidth;
    const H = this.container.clientHeight;
    // On a tall screen (a phone) squarer tiles fill the space better.
    const aspects = H > W * 1.15 && n > 1 ? [16 / 9, 1, 3 / 4] : [16 / 9];
    let best = null;
    for (const a of aspects) {
      const g = bestGrid(n, W, H, a);
      const area = g.width * (g.width / a);
      if (!best || area > best.area * 1.05) best = { ...g, aspect: a, area };
    }
    const { cols, width, aspect } = best;
    const w = Math.floor(width);
    this.grid.style.gridTemplateColumns = `repeat(${cols}, ${w}px)`;
    this.grid.style.gridAutoRows = `${Math.floor(w / aspect)}px`;
    this.container.dataset.cols = String(cols);
  }
}
