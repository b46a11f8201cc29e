// A small inline-SVG line chart of the last N points; no library.
import { h } from './ui.js';

const NS = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
};

export function lineChart({ label, color = '#1769aa', points = 60, width: defaultWidth = 480, height = 140 }) {
  const data = [];
  const pad = { l: 46, r: 8, t: 10, b: 20 };
  const root = svg('svg', { viewBox: `0 0 ${defaultWidth} ${height}`, role: 'img', 'aria-label': label, class: 'chart-svg', preserveAspectRatio: 'none' });
  const valueEl = h('span', { class: 'chart-value' }, '—');
  const el = h('figure', { class: 'chart' }, h('figcaption', {}, label, ' ', valueEl), root);
  // Drawn at the width the chart has on screen (one unit = one pixel): a
  // fixed viewBox stretched to a wider or narrower box would stretch its text.
  let drawn = 0;
  function draw() {
    root.replaceChildren();
    const onScreen = Math.round(root.getBoundingClientRect().width);
    const width = onScreen > 0 ? onScreen : defaultWidth;
    drawn = onScreen;
    root.setAttribute('viewBox', `0 0 ${width} ${height}`);
    const max = niceCeil(Math.max(1, ...data.map((d) => d[1])));
    const w = width - pad.l - pad.r;
    const ht = height - pad.t - pad.b;
    for (const f of [0, 0.5, 1]) {
      const y = pad.t + ht * (1 - f);
      root.append(svg('line', { x1: pad.l, x2: width - pad.r, y1: y, y2: y, class: 'grid' }));
      const t = svg('text', { x: pad.l - 4, y: y + 4, 'text-anchor': 'end', class: 'axis' });
      t.textContent = short(max * f);
      root.append(t);
    }
    if (data.length) {
      const x = (i) => pad.l + (points <= 1 ? 0 : (w * (i + points - data.length)) / (points - 1));
      const y = (v) => pad.t + ht * (1 - v / max);
      const pts = data.map((d, i) => `${x(i).toFixed(1)},${y(d[1]).toFixed(1)}`).join(' ');
      root.append(svg('polygon', { points: `${x(0)},${pad.t + ht} ${pts} ${x(data.length - 1)},${pad.t + ht}`, fill: color, 'fill-opacity': 0.12 }));
      root.append(svg('polyline', { points: pts, fill: 'none', stroke: color, 'stroke-width': 2, 'vector-effect': 'non-scaling-stroke' }));
    }
    const t = svg('text', { x: width - pad.r, y: height - 4, 'text-anchor': 'end', class: 'axis' });
    t.textContent = `last ${Math.round((points * 2) / 60)} min`;
    root.append(t);
  }
  draw();
  new ResizeObserver(() => { if (Math.round(root.getBoundingClientRect().width) !== drawn) draw(); }).observe(root);
  return {
    el,
    push(at, v) {
      data.push([at, v]);
      if (data.length > points) data.shift();
      valueEl.textContent = short(v);
      root.setAttribute('aria-label', `${label}: ${short(v)} now`);
      draw();
    },
  };
}

// The axis top: the value rounded up to 1, 2, 2.5 or 5 times a power of
// ten, so that the grid lines read 0 / 10 / 20 rather than 0 / 9.7 / 19.4.
function niceCeil(v) {
  const p = 10 ** Math.floor(Math.log10(v));
  return [1, 2, 2.5, 5, 10].map((m) => m * p).find((n) => n >= v);
}

function short(v) {
  if (v >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (v >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return v >= 10 || v === 0 ? String(Math.round(v)) : v.toFixed(1);
}
