/*
 * xmmframe viewer: an EPIC counts image where source and background regions are drawn, and the
 * flare light curve where good time intervals are chosen.  Plain browser JavaScript, no network,
 * no build step; one global `XmmViewer` (also set on `globalThis` when the file is evaluated as
 * an ES module, as the Jupyter widget does).
 *
 *   const viewer = XmmViewer.mount(element, {image, lightcurve, regions, gti, onChange});
 *   viewer.state()  -> {source, background, regions, gti, exposure}
 *   viewer.setRegions(ds9text); viewer.setGti([[start, stop], ...]); viewer.ready (a Promise)
 *
 * `image` and `lightcurve` are the payloads of xmmframe.service.viewdata (or URLs giving them).
 *
 * Geometry (stable, tests rely on it):
 * - Image canvas: physical (X, Y) is drawn at canvas pixel
 *     px = W/2 + (X - cx) * zoom / bin,   py = H/2 - (Y - cy) * zoom / bin
 *   The first view shows the whole image: cx = xmin + nx*bin/2, cy = ymin + ny*bin/2,
 *   zoom = min(W/nx, H/ny) canvas pixels per image pixel.  The wheel zooms by 1.25 per step
 *   about the cursor; the pan tool drags the view (or a shape, when pressed inside one).
 * - Light-curve canvas: the plot spans canvas x in [left, W - right] for times [t0, t1] with
 *   t0 = tstart, t1 = max(tstop, last bin start + binsize), and y in [top, H - bottom] for rates
 *   [rmax, 0], rmax = 1.1 * max(max rate, threshold); the margins and t0/t1/rmax are on the
 *   canvas as data-left, data-right, data-top, data-bottom, data-t0, data-t1, data-rmax.
 * - Coordinates in region text are rounded to 0.01 physical pixel, brushed times to 0.001 s.
 *
 * Good time intervals: bins with rate <= threshold give [start, start + binsize) each (the rule
 * of tabgtigen expression=RATE<=threshold), merged; then the brushed ranges are applied in the
 * order drawn, "keep" adding [t1, t2) and "drop" removing it.  The exposure is the duration of
 * the GTI inside [tstart, tstop].
 */
(function (root) {
  "use strict";

  var SHAPES = ["circle", "annulus", "box", "ellipse", "polygon"];
  var COLORS = {source: "#00e000", background: "#ff4040"};
  var LC_MARGIN = {left: 56, right: 12, top: 12, bottom: 34};

  // ------------------------------------------------------------------ numbers and text

  function round(value, digits) {
    var f = Math.pow(10, digits);
    return Math.round(value * f) / f;
  }

  function num(value) {
    var r = round(value, 2);
    return String(Object.is(r, -0) ? 0 : r);
  }

  /** The ds9 text of one shape, without its properties: "circle(x,y,r)". */
  function shapeText(shape) {
    var p = shape.params;
    return (shape.exclude ? "-" : "") + shape.type + "(" + p.map(num).join(",") + ")";
  }

  function shapeLine(shape) {
    var props = shape.role === "background" ? " # color=red tag={background}" : " # color=green tag={source}";
    return shapeText(shape) + props;
  }

  /** A ds9 region file (physical coordinates) of the shapes. */
  function formatRegions(shapes) {
    var lines = ["# Region file format: DS9 version 4.1", "global color=green width=1", "physical"];
    shapes.forEach(function (s) { lines.push(shapeLine(s)); });
    return lines.join("\n") + "\n";
  }

  function splitStatements(line) {
    var out = [], cur = "", depth = 0, comment = "";
    for (var i = 0; i < line.length; i++) {
      var ch = line[i];
      if (ch === "#" && depth === 0) {
        comment = line.slice(i + 1);
        break;
      }
      if (ch === "(" || ch === "{") depth++;
      if (ch === ")" || ch === "}") depth--;
      if (ch === ";" && depth === 0) {
        out.push(cur.trim());
        cur = "";
        continue;
      }
      cur += ch;
    }
    out.push(cur.trim());
    return {statements: out.filter(function (s) { return s.length > 0; }), comment: comment};
  }

  var PARAM_COUNT = {circle: [3, 3], annulus: [4, Infinity], box: [4, 5], ellipse: [4, 5], polygon: [6, Infinity]};

  /**
   * Parse ds9 region text in physical coordinates.
   * Returns {shapes: [...], errors: ["line N: ..."]}.  A shape's role is "background" when its
   * properties say tag={background} (or the ds9 property "background"), else "source".
   */
  function parseRegions(text) {
    var shapes = [], errors = [];
    var frame = "physical";
    String(text || "").split(/\r?\n/).forEach(function (raw, index) {
      var number = index + 1;
      var parts = splitStatements(raw);
      var comment = parts.comment;
      var role = /tag=\{\s*background\s*\}/i.test(comment) || /(^|\s)background(\s|$)/i.test(comment)
        ? "background" : "source";
      parts.statements.forEach(function (statement) {
        var word = statement.split("(")[0].trim().toLowerCase();
        if (word.indexOf("global") === 0) return;
        if (["physical", "image", "fk5", "fk4", "icrs", "galactic", "ecliptic", "j2000", "b1950", "linear",
             "amplifier", "detector", "wcs"].indexOf(word) >= 0 || /^wcs[a-z]$/.test(word)) {
          frame = word;
          return;
        }
        var m = /^([+-]?)\s*([A-Za-z]+)\s*\(([^)]*)\)\s*$/.exec(statement);
        if (!m) {
          errors.push("line " + number + ": cannot read " + JSON.stringify(statement));
          return;
        }
        var type = m[2].toLowerCase();
        if (type === "text") return;   // annotations select nothing
        if (SHAPES.indexOf(type) < 0) {
          errors.push("line " + number + ": ds9 shape " + JSON.stringify(type) +
                      " is not supported (use circle, annulus, box, ellipse, polygon)");
          return;
        }
        if (frame !== "physical") {
          errors.push("line " + number + ": " + JSON.stringify(frame) +
                      " coordinates are not supported here; give physical coordinates");
          return;
        }
        var values = m[3].split(/[\s,]+/).filter(function (v) { return v.length > 0; });
        var params = values.map(Number);
        if (params.some(function (v) { return !isFinite(v); })) {
          errors.push("line " + number + ": " + type + " parameters must be numbers in physical pixels, got " +
                      JSON.stringify(m[3]));
          return;
        }
        var count = PARAM_COUNT[type];
        if (params.length < count[0] || params.length > count[1] || (type === "polygon" && params.length % 2)) {
          errors.push("line " + number + ": " + type + " takes " +
                      (type === "polygon" ? "an even number (at least 6)" : count[0] + (count[1] > count[0] ? "+" : "")) +
                      " numbers, got " + params.length);
          return;
        }
        if (type === "annulus" && params.length > 4) params = [params[0], params[1], params[2], params[params.length - 1]];
        if ((type === "box" || type === "ellipse") && params.length === 4) params.push(0);
        shapes.push({type: type, params: params, role: role, exclude: m[1] === "-"});
      });
    });
    return {shapes: shapes, errors: errors};
  }

  // ------------------------------------------------------------------ good time intervals

  /** Sort and merge intervals; touching intervals merge (as xmmframe's GTI does). */
  function mergeIntervals(list) {
    var sorted = list.filter(function (iv) { return iv[1] > iv[0]; })
      .map(function (iv) { return [iv[0], iv[1]]; })
      .sort(function (a, b) { return a[0] - b[0]; });
    var out = [];
    sorted.forEach(function (iv) {
      var last = out[out.length - 1];
      if (last && iv[0] <= last[1]) {
        if (iv[1] > last[1]) last[1] = iv[1];
      } else {
        out.push(iv);
      }
    });
    return out;
  }

  function subtractInterval(list, a, b) {
    var out = [];
    list.forEach(function (iv) {
      if (iv[1] <= a || iv[0] >= b) {
        out.push(iv);
        return;
      }
      if (iv[0] < a) out.push([iv[0], a]);
      if (iv[1] > b) out.push([b, iv[1]]);
    });
    return out;
  }

  /** tabgtigen's RATE<=threshold: each good bin contributes [centre - binsize/2, centre + binsize/2]. */
  function thresholdGti(curve, threshold) {
    var out = [];
    var w = curve.binsize;
    for (var k = 0; k < curve.rate.length; k++) {
      if (curve.rate[k] <= threshold) {
        var centre = curve.time[k] + w / 2;
        out.push([centre - 0.5 * w, centre + 0.5 * w]);
      }
    }
    return mergeIntervals(out);
  }

  function applyBrushes(gti, brushes) {
    var out = gti.map(function (iv) { return [iv[0], iv[1]]; });
    brushes.forEach(function (b) {
      out = b.mode === "keep" ? mergeIntervals(out.concat([[b.start, b.stop]])) : subtractInterval(out, b.start, b.stop);
    });
    return out;
  }

  function exposureOf(gti, tstart, tstop) {
    var total = 0;
    gti.forEach(function (iv) {
      var lo = Math.max(iv[0], tstart), hi = Math.min(iv[1], tstop);
      if (hi > lo) total += hi - lo;
    });
    return total;
  }

  // ------------------------------------------------------------------ DOM helpers

  function el(tag, attrs, parent, text) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === "class") node.className = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    if (text !== undefined) node.textContent = text;
    if (parent) parent.appendChild(node);
    return node;
  }

  function load(value) {
    if (value === null || value === undefined) return Promise.resolve(null);
    if (typeof value === "string") {
      return fetch(value, {credentials: "same-origin"}).then(function (r) {
        if (!r.ok) throw new Error("cannot load " + value + ": HTTP " + r.status);
        return r.json();
      });
    }
    return Promise.resolve(value);
  }

  function canvasPoint(canvas, event) {
    var rect = canvas.getBoundingClientRect();
    return {
      x: (event.clientX - rect.left) * canvas.width / rect.width,
      y: (event.clientY - rect.top) * canvas.height / rect.height,
    };
  }

  // colour map: black -> red -> yellow -> white ("heat")
  function heat(v) {
    var r = Math.min(255, Math.round(v * 3 * 255));
    var g = Math.min(255, Math.max(0, Math.round((v * 3 - 1) * 255)));
    var b = Math.min(255, Math.max(0, Math.round((v * 3 - 2) * 255)));
    return [r, g, b];
  }

  // ------------------------------------------------------------------ mount

  function mount(rootElement, options) {
    options = options || {};
    var onChange = typeof options.onChange === "function" ? options.onChange : function () {};

    rootElement.innerHTML = "";
    var wrap = el("div", {"class": "xmm-viewer"}, rootElement);
    var toolbar = el("div", {"class": "xmm-toolbar"}, wrap);
    var tools = el("span", {"class": "xmm-group"}, toolbar);
    ["pan", "circle", "annulus", "box", "ellipse", "polygon"].forEach(function (t) {
      el("button", {type: "button", "data-tool": t, title: t}, tools, t);
    });
    var roles = el("span", {"class": "xmm-group"}, toolbar);
    el("button", {type: "button", "data-role": "source", title: "new shapes are source regions"}, roles, "source");
    el("button", {type: "button", "data-role": "background", title: "new shapes are background regions"}, roles,
       "background");
    var scales = el("span", {"class": "xmm-group"}, toolbar);
    ["linear", "log", "sqrt"].forEach(function (s) { el("button", {type: "button", "data-scale": s}, scales, s); });
    var edits = el("span", {"class": "xmm-group"}, toolbar);
    var deleteButton = el("button", {type: "button", "class": "xmm-delete", title: "delete the selected shape"}, edits,
                          "delete");
    var fitButton = el("button", {type: "button", "class": "xmm-fit", title: "show the whole image"}, edits, "fit");

    var main = el("div", {"class": "xmm-main"}, wrap);
    var left = el("div", {"class": "xmm-pane"}, main);
    var imageCanvas = el("canvas", {"class": "xmm-image", width: 520, height: 520, tabindex: "0"}, left);
    var cursor = el("div", {"class": "xmm-cursor"}, left, " ");
    var right = el("div", {"class": "xmm-pane xmm-side"}, main);
    var lcCanvas = el("canvas", {"class": "xmm-lightcurve", width: 520, height: 240}, right);
    var lcControls = el("div", {"class": "xmm-lc-controls"}, right);
    var thrLabel = el("label", {}, lcControls, "threshold (count/s) ");
    var thresholdInput = el("input", {"class": "xmm-threshold", type: "number", step: "any", min: "0"}, thrLabel);
    var brushes = el("span", {"class": "xmm-group"}, lcControls);
    el("button", {type: "button", "data-brush": "keep", title: "dragging on the curve adds good time"}, brushes, "keep");
    el("button", {type: "button", "data-brush": "drop", title: "dragging on the curve removes good time"}, brushes,
       "drop");
    var resetGti = el("button", {type: "button", "class": "xmm-reset-gti", title: "threshold GTI only"}, lcControls,
                      "reset");
    var gtiBox = el("div", {"class": "xmm-gti-box"}, right);
    el("span", {}, gtiBox, "exposure ");
    var exposureOut = el("span", {"class": "xmm-exposure"}, gtiBox, "0");
    el("span", {}, gtiBox, " s; GTI ");
    var gtiOut = el("div", {"class": "xmm-gti"}, gtiBox, "");
    var regionBox = el("div", {"class": "xmm-region-box"}, right);
    el("div", {"class": "xmm-label"}, regionBox, "regions (ds9, physical)");
    var textarea = el("textarea", {"class": "xmm-regions", rows: "7", spellcheck: "false"}, regionBox);
    var regionError = el("div", {"class": "xmm-region-error"}, regionBox, "");
    var fileRow = el("div", {"class": "xmm-file-row"}, regionBox);
    var fileInput = el("input", {"class": "xmm-region-file", type: "file", accept: ".reg,.txt,text/plain"}, fileRow);
    var saveButton = el("button", {type: "button", "class": "xmm-save-regions"}, fileRow, "save regions");

    // ---------------------------------------------------------------- state
    var image = null, curve = null;
    var shapes = [];
    var selected = -1;
    var tool = "pan", role = "source", scale = "log", brushMode = "drop";
    var view = {cx: 0, cy: 0, zoom: 1};
    var drag = null;          // current image-canvas gesture
    var polygon = null;       // vertices of the polygon being drawn
    var lcDrag = null;        // current light-curve gesture
    var threshold = 0;
    var baseGti = null;       // explicit intervals given by setGti/options, or null for the threshold rule
    var brushList = [];
    var offscreen = null;
    var lastText = "";

    function regionsText() { return formatRegions(shapes); }

    function latest(kind) {
      for (var i = shapes.length - 1; i >= 0; i--) {
        if (shapes[i].role === kind && !shapes[i].exclude) return shapeText(shapes[i]);
      }
      return null;
    }

    function currentGti() {
      if (!curve) return baseGti ? mergeIntervals(baseGti) : [];
      var base = baseGti ? mergeIntervals(baseGti) : thresholdGti(curve, threshold);
      return applyBrushes(base, brushList);
    }

    function state() {
      var gti = currentGti();
      return {
        source: latest("source"),
        background: latest("background"),
        regions: regionsText(),
        gti: gti,
        exposure: curve ? exposureOf(gti, curve.tstart, curve.tstop) : exposureOf(gti, -Infinity, Infinity),
      };
    }

    function changed() {
      var s = state();
      lastText = s.regions;
      textarea.value = s.regions;
      exposureOut.textContent = String(round(s.exposure, 3));
      gtiOut.textContent = s.gti.map(function (iv) { return "[" + round(iv[0], 3) + ", " + round(iv[1], 3) + ")"; })
        .join(" ") || "(none)";
      drawImage();
      drawCurve();
      onChange(s);
    }

    function setActive(attr, value) {
      toolbar.querySelectorAll("button[" + attr + "]").forEach(function (b) {
        b.classList.toggle("xmm-active", b.getAttribute(attr) === value);
      });
      lcControls.querySelectorAll("button[" + attr + "]").forEach(function (b) {
        b.classList.toggle("xmm-active", b.getAttribute(attr) === value);
      });
    }

    // ---------------------------------------------------------------- image drawing
    function toCanvas(x, y) {
      var W = imageCanvas.width, H = imageCanvas.height;
      return {x: W / 2 + (x - view.cx) * view.zoom / image.bin, y: H / 2 - (y - view.cy) * view.zoom / image.bin};
    }

    function toPhysical(px, py) {
      var W = imageCanvas.width, H = imageCanvas.height;
      return {x: view.cx + (px - W / 2) * image.bin / view.zoom, y: view.cy - (py - H / 2) * image.bin / view.zoom};
    }

    function fit() {
      if (!image) return;
      view.cx = image.xmin + image.nx * image.bin / 2;
      view.cy = image.ymin + image.ny * image.bin / 2;
      view.zoom = Math.min(imageCanvas.width / image.nx, imageCanvas.height / image.ny);
    }

    function renderOffscreen() {
      if (!image) return;
      var nx = image.nx, ny = image.ny, data = image.data;
      offscreen = document.createElement("canvas");
      offscreen.width = nx;
      offscreen.height = ny;
      var ctx = offscreen.getContext("2d");
      var pixels = ctx.createImageData(nx, ny);
      var lo = Infinity, hi = -Infinity;
      for (var k = 0; k < data.length; k++) {
        if (data[k] < lo) lo = data[k];
        if (data[k] > hi) hi = data[k];
      }
      if (!(hi > lo)) hi = lo + 1;
      var f = scale === "log" ? function (v) { return Math.log(1 + (v - lo)) / Math.log(1 + (hi - lo)); }
        : scale === "sqrt" ? function (v) { return Math.sqrt((v - lo) / (hi - lo)); }
        : function (v) { return (v - lo) / (hi - lo); };
      for (var j = 0; j < ny; j++) {
        var row = ny - 1 - j;  // row 0 of the payload is the lowest Y, drawn at the bottom
        for (var i = 0; i < nx; i++) {
          var c = heat(Math.max(0, Math.min(1, f(data[j * nx + i]))));
          var o = 4 * (row * nx + i);
          pixels.data[o] = c[0];
          pixels.data[o + 1] = c[1];
          pixels.data[o + 2] = c[2];
          pixels.data[o + 3] = 255;
        }
      }
      ctx.putImageData(pixels, 0, 0);
    }

    function pathShape(ctx, s) {
      var p = s.params;
      var k = view.zoom / image.bin;
      var c = toCanvas(p[0], p[1]);
      ctx.beginPath();
      if (s.type === "circle") {
        ctx.arc(c.x, c.y, p[2] * k, 0, 2 * Math.PI);
      } else if (s.type === "annulus") {
        ctx.arc(c.x, c.y, p[2] * k, 0, 2 * Math.PI);
        ctx.moveTo(c.x + p[3] * k, c.y);
        ctx.arc(c.x, c.y, p[3] * k, 0, 2 * Math.PI);
      } else if (s.type === "box") {
        ctx.save();
        ctx.translate(c.x, c.y);
        ctx.rotate(-p[4] * Math.PI / 180);
        ctx.rect(-p[2] * k / 2, -p[3] * k / 2, p[2] * k, p[3] * k);
        ctx.restore();
      } else if (s.type === "ellipse") {
        ctx.ellipse(c.x, c.y, Math.max(p[2] * k, 0), Math.max(p[3] * k, 0), -p[4] * Math.PI / 180, 0, 2 * Math.PI);
      } else if (s.type === "polygon") {
        for (var i = 0; i < p.length; i += 2) {
          var v = toCanvas(p[i], p[i + 1]);
          if (i === 0) ctx.moveTo(v.x, v.y); else ctx.lineTo(v.x, v.y);
        }
        ctx.closePath();
      }
    }

    function drawImage() {
      var ctx = imageCanvas.getContext("2d");
      ctx.setTransform(1, 0, 0, 1, 0, 0);
      ctx.fillStyle = "#000";
      ctx.fillRect(0, 0, imageCanvas.width, imageCanvas.height);
      if (!image) return;
      if (offscreen) {
        ctx.imageSmoothingEnabled = false;
        var a = toCanvas(image.xmin, image.ymin + image.ny * image.bin);
        ctx.drawImage(offscreen, a.x, a.y, image.nx * view.zoom, image.ny * view.zoom);
      }
      var all = shapes.slice();
      if (drag && drag.preview) all.push(drag.preview);
      all.forEach(function (s, index) {
        ctx.strokeStyle = COLORS[s.role] || COLORS.source;
        ctx.lineWidth = index === selected ? 3 : 1.5;
        ctx.setLineDash(s.exclude ? [6, 4] : (s.role === "background" ? [3, 2] : []));
        pathShape(ctx, s);
        ctx.stroke();
      });
      ctx.setLineDash([]);
      if (polygon && polygon.length) {
        ctx.strokeStyle = COLORS[role];
        ctx.lineWidth = 1.5;
        ctx.beginPath();
        polygon.forEach(function (v, i) {
          var q = toCanvas(v[0], v[1]);
          if (i === 0) ctx.moveTo(q.x, q.y); else ctx.lineTo(q.x, q.y);
        });
        ctx.stroke();
      }
    }

    // ---------------------------------------------------------------- shapes from gestures
    function makeShape(kind, a, b) {
      var dx = b.x - a.x, dy = b.y - a.y, r = Math.sqrt(dx * dx + dy * dy);
      if (kind === "circle") return r > 0 ? {type: "circle", params: [a.x, a.y, r]} : null;
      if (kind === "annulus") return r > 0 ? {type: "annulus", params: [a.x, a.y, r / 2, r]} : null;
      if (kind === "box") {
        var w = Math.abs(dx), h = Math.abs(dy);
        return w > 0 && h > 0 ? {type: "box", params: [(a.x + b.x) / 2, (a.y + b.y) / 2, w, h, 0]} : null;
      }
      if (kind === "ellipse") {
        return Math.abs(dx) > 0 && Math.abs(dy) > 0
          ? {type: "ellipse", params: [a.x, a.y, Math.abs(dx), Math.abs(dy), 0]} : null;
      }
      return null;
    }

    function rounded(s) {
      return {type: s.type, params: s.params.map(function (v) { return round(v, 2); }), role: s.role,
              exclude: !!s.exclude};
    }

    function contains(s, x, y) {
      var p = s.params;
      if (s.type === "polygon") {
        var inside = false;
        for (var i = 0, j = p.length - 2; i < p.length; j = i, i += 2) {
          if ((p[i + 1] > y) !== (p[j + 1] > y) &&
              x < (p[j] - p[i]) * (y - p[i + 1]) / (p[j + 1] - p[i + 1]) + p[i]) inside = !inside;
        }
        return inside;
      }
      var dx = x - p[0], dy = y - p[1];
      var reach = s.type === "circle" ? p[2] : s.type === "annulus" ? p[3]
        : s.type === "box" ? Math.sqrt(p[2] * p[2] + p[3] * p[3]) / 2 : Math.max(p[2], p[3]);
      return dx * dx + dy * dy <= reach * reach;
    }

    function hit(x, y) {
      for (var i = shapes.length - 1; i >= 0; i--) if (contains(shapes[i], x, y)) return i;
      return -1;
    }

    function moveShape(s, dx, dy) {
      var p = s.params.slice();
      if (s.type === "polygon") {
        for (var i = 0; i < p.length; i += 2) { p[i] += dx; p[i + 1] += dy; }
      } else {
        p[0] += dx;
        p[1] += dy;
      }
      return {type: s.type, params: p, role: s.role, exclude: s.exclude};
    }

    imageCanvas.addEventListener("mousedown", function (event) {
      if (!image || event.button !== 0) return;
      event.preventDefault();
      imageCanvas.focus();
      var c = canvasPoint(imageCanvas, event);
      var p = toPhysical(c.x, c.y);
      if (tool === "polygon") return;   // vertices are added on click
      if (tool === "pan") {
        var index = hit(p.x, p.y);
        if (index >= 0) {
          selected = index;
          drag = {kind: "move", start: p, original: shapes[index], moved: false};
        } else {
          selected = -1;
          drag = {kind: "pan", canvas: c, cx: view.cx, cy: view.cy};
        }
        drawImage();
        return;
      }
      drag = {kind: "draw", start: p, preview: null};
    });

    imageCanvas.addEventListener("mousemove", function (event) {
      if (!image) return;
      var c = canvasPoint(imageCanvas, event);
      var p = toPhysical(c.x, c.y);
      cursor.textContent = "X " + num(p.x) + "  Y " + num(p.y);
      if (!drag) return;
      if (drag.kind === "pan") {
        view.cx = drag.cx - (c.x - drag.canvas.x) * image.bin / view.zoom;
        view.cy = drag.cy + (c.y - drag.canvas.y) * image.bin / view.zoom;
      } else if (drag.kind === "move") {
        shapes[selected] = moveShape(drag.original, p.x - drag.start.x, p.y - drag.start.y);
        drag.moved = true;
      } else if (drag.kind === "draw") {
        var s = makeShape(tool, drag.start, p);
        drag.preview = s ? {type: s.type, params: s.params, role: role} : null;
      }
      drawImage();
    });

    function finishGesture(event) {
      if (!drag) return;
      var gesture = drag;
      drag = null;
      if (gesture.kind === "draw") {
        var c = canvasPoint(imageCanvas, event);
        var s = makeShape(tool, gesture.start, toPhysical(c.x, c.y));
        if (s) {
          s.role = role;
          shapes.push(rounded(s));
          selected = shapes.length - 1;
          changed();
          return;
        }
      } else if (gesture.kind === "move" && gesture.moved) {
        shapes[selected] = rounded(shapes[selected]);
        changed();
        return;
      }
      drawImage();
    }

    imageCanvas.addEventListener("mouseup", finishGesture);
    imageCanvas.addEventListener("mouseleave", function (event) { if (drag) finishGesture(event); });

    imageCanvas.addEventListener("click", function (event) {
      if (!image || tool !== "polygon") return;
      var c = canvasPoint(imageCanvas, event);
      var p = toPhysical(c.x, c.y);
      polygon = polygon || [];
      polygon.push([round(p.x, 2), round(p.y, 2)]);
      drawImage();
    });

    imageCanvas.addEventListener("dblclick", function (event) {
      if (!image || tool !== "polygon" || !polygon) return;
      event.preventDefault();
      var vertices = [];
      polygon.forEach(function (v) {
        var last = vertices[vertices.length - 1];
        if (!last || last[0] !== v[0] || last[1] !== v[1]) vertices.push(v);
      });
      polygon = null;
      if (vertices.length >= 3) {
        var params = [];
        vertices.forEach(function (v) { params.push(v[0], v[1]); });
        shapes.push({type: "polygon", params: params, role: role, exclude: false});
        selected = shapes.length - 1;
        changed();
      } else {
        drawImage();
      }
    });

    imageCanvas.addEventListener("wheel", function (event) {
      if (!image) return;
      event.preventDefault();
      var c = canvasPoint(imageCanvas, event);
      var before = toPhysical(c.x, c.y);
      var factor = event.deltaY < 0 ? 1.25 : 1 / 1.25;
      view.zoom = Math.max(1e-3, Math.min(1e3, view.zoom * factor));
      var after = toPhysical(c.x, c.y);
      view.cx += before.x - after.x;
      view.cy += before.y - after.y;
      drawImage();
    }, {passive: false});

    function deleteSelected() {
      if (selected < 0 || selected >= shapes.length) return;
      shapes.splice(selected, 1);
      selected = -1;
      changed();
    }

    imageCanvas.addEventListener("keydown", function (event) {
      if (event.key === "Delete" || event.key === "Backspace") {
        event.preventDefault();
        deleteSelected();
      } else if (event.key === "Escape") {
        polygon = null;
        drawImage();
      }
    });

    toolbar.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b) return;
      if (b.hasAttribute("data-tool")) {
        tool = b.getAttribute("data-tool");
        polygon = null;
        setActive("data-tool", tool);
      } else if (b.hasAttribute("data-role")) {
        role = b.getAttribute("data-role");
        setActive("data-role", role);   // the role of the shapes drawn next (edit tags in the text to change one)
      } else if (b.hasAttribute("data-scale")) {
        scale = b.getAttribute("data-scale");
        setActive("data-scale", scale);
        renderOffscreen();
        drawImage();
      } else if (b === deleteButton) {
        deleteSelected();
      } else if (b === fitButton) {
        fit();
        drawImage();
      }
    });

    // ---------------------------------------------------------------- region text and files
    function applyText(text) {
      var parsed = parseRegions(text);
      if (parsed.errors.length) {
        regionError.textContent = parsed.errors.join("; ");
        return false;
      }
      regionError.textContent = "";
      shapes = parsed.shapes;
      selected = -1;
      return true;
    }

    textarea.addEventListener("change", function () {
      if (textarea.value === lastText) return;
      if (applyText(textarea.value)) changed();
    });

    fileInput.addEventListener("change", function () {
      var file = fileInput.files && fileInput.files[0];
      if (!file) return;
      var reader = new FileReader();
      reader.onload = function () {
        if (applyText(String(reader.result))) changed();
        fileInput.value = "";
      };
      reader.readAsText(file);
    });

    saveButton.addEventListener("click", function () {
      var blob = new Blob([regionsText()], {type: "text/plain"});
      var a = document.createElement("a");
      a.href = URL.createObjectURL(blob);
      a.download = "regions.reg";
      document.body.appendChild(a);
      a.click();
      setTimeout(function () { URL.revokeObjectURL(a.href); a.remove(); }, 0);
    });

    // ---------------------------------------------------------------- light curve
    function lcGeometry() {
      var t0 = curve.tstart;
      var last = curve.time.length ? curve.time[curve.time.length - 1] + curve.binsize : curve.tstop;
      var t1 = Math.max(curve.tstop, last);
      var rmax = 1.1 * Math.max(threshold, Math.max.apply(null, curve.rate.concat([0])));
      if (!(rmax > 0)) rmax = 1;
      return {t0: t0, t1: t1, rmax: rmax, left: LC_MARGIN.left, right: lcCanvas.width - LC_MARGIN.right,
              top: LC_MARGIN.top, bottom: lcCanvas.height - LC_MARGIN.bottom};
    }

    function tx(g, t) { return g.left + (t - g.t0) / (g.t1 - g.t0) * (g.right - g.left); }
    function xt(g, x) { return g.t0 + (x - g.left) / (g.right - g.left) * (g.t1 - g.t0); }
    function ry(g, r) { return g.bottom - r / g.rmax * (g.bottom - g.top); }
    function yr(g, y) { return (g.bottom - y) / (g.bottom - g.top) * g.rmax; }

    function drawCurve() {
      var ctx = lcCanvas.getContext("2d");
      ctx.fillStyle = "#fff";
      ctx.fillRect(0, 0, lcCanvas.width, lcCanvas.height);
      if (!curve) {
        ctx.fillStyle = "#666";
        ctx.fillText("no light curve", 10, 20);
        return;
      }
      var g = lcGeometry();
      lcCanvas.setAttribute("data-t0", String(g.t0));
      lcCanvas.setAttribute("data-t1", String(g.t1));
      lcCanvas.setAttribute("data-rmax", String(g.rmax));
      lcCanvas.setAttribute("data-left", String(g.left));
      lcCanvas.setAttribute("data-right", String(lcCanvas.width - g.right));
      lcCanvas.setAttribute("data-top", String(g.top));
      lcCanvas.setAttribute("data-bottom", String(lcCanvas.height - g.bottom));
      // good time shading
      ctx.fillStyle = "rgba(0, 160, 0, 0.12)";
      currentGti().forEach(function (iv) {
        var a = tx(g, Math.max(iv[0], g.t0)), b = tx(g, Math.min(iv[1], g.t1));
        if (b > a) ctx.fillRect(a, g.top, b - a, g.bottom - g.top);
      });
      brushList.forEach(function (b) {
        ctx.fillStyle = b.mode === "keep" ? "rgba(0, 120, 255, 0.15)" : "rgba(255, 0, 0, 0.18)";
        ctx.fillRect(tx(g, b.start), g.top, tx(g, b.stop) - tx(g, b.start), g.bottom - g.top);
      });
      if (lcDrag && lcDrag.kind === "brush") {
        ctx.fillStyle = brushMode === "keep" ? "rgba(0, 120, 255, 0.25)" : "rgba(255, 0, 0, 0.25)";
        ctx.fillRect(Math.min(lcDrag.x0, lcDrag.x1), g.top, Math.abs(lcDrag.x1 - lcDrag.x0), g.bottom - g.top);
      }
      // axes
      ctx.strokeStyle = "#000";
      ctx.lineWidth = 1;
      ctx.strokeRect(g.left, g.top, g.right - g.left, g.bottom - g.top);
      ctx.fillStyle = "#000";
      ctx.font = "11px sans-serif";
      ctx.textAlign = "center";
      ctx.fillText("time - " + round(g.t0, 1) + " (s)", (g.left + g.right) / 2, lcCanvas.height - 4);
      for (var q = 0; q <= 4; q++) {
        var t = g.t0 + q * (g.t1 - g.t0) / 4;
        ctx.fillText(String(Math.round(t - g.t0)), tx(g, t), g.bottom + 13);
      }
      ctx.textAlign = "right";
      for (q = 0; q <= 4; q++) {
        var r = q * g.rmax / 4;
        ctx.fillText(String(round(r, 2)), g.left - 4, ry(g, r) + 4);
      }
      ctx.save();
      ctx.translate(12, (g.top + g.bottom) / 2);
      ctx.rotate(-Math.PI / 2);
      ctx.textAlign = "center";
      ctx.fillText((curve.band || "") + " (count/s)", 0, 0);
      ctx.restore();
      // the curve as steps, bins above the threshold in red
      ctx.strokeStyle = "#9aa";
      ctx.beginPath();
      for (var s = 0; s < curve.rate.length; s++) {
        var yy = ry(g, curve.rate[s]);
        if (s === 0) ctx.moveTo(tx(g, curve.time[s]), yy); else ctx.lineTo(tx(g, curve.time[s]), yy);
        ctx.lineTo(tx(g, curve.time[s] + curve.binsize), yy);
      }
      ctx.stroke();
      ctx.lineWidth = 2;
      for (var k = 0; k < curve.rate.length; k++) {
        var a = tx(g, curve.time[k]), b = tx(g, curve.time[k] + curve.binsize);
        ctx.strokeStyle = curve.rate[k] <= threshold ? "#1f4fbf" : "#d02020";
        ctx.beginPath();
        ctx.moveTo(a, ry(g, curve.rate[k]));
        ctx.lineTo(b, ry(g, curve.rate[k]));
        ctx.stroke();
      }
      // threshold line
      ctx.strokeStyle = "#e08000";
      ctx.setLineDash([5, 3]);
      ctx.lineWidth = 1.5;
      ctx.beginPath();
      ctx.moveTo(g.left, ry(g, threshold));
      ctx.lineTo(g.right, ry(g, threshold));
      ctx.stroke();
      ctx.setLineDash([]);
    }

    lcCanvas.addEventListener("mousedown", function (event) {
      if (!curve || event.button !== 0) return;
      event.preventDefault();
      var g = lcGeometry();
      var c = canvasPoint(lcCanvas, event);
      if (Math.abs(c.y - ry(g, threshold)) <= 5 && c.x >= g.left && c.x <= g.right) {
        lcDrag = {kind: "threshold"};
      } else {
        lcDrag = {kind: "brush", x0: c.x, x1: c.x};
      }
    });

    lcCanvas.addEventListener("mousemove", function (event) {
      if (!curve || !lcDrag) return;
      var g = lcGeometry();
      var c = canvasPoint(lcCanvas, event);
      if (lcDrag.kind === "threshold") {
        threshold = Math.max(0, round(yr(g, Math.max(g.top, Math.min(g.bottom, c.y))), 4));
        thresholdInput.value = String(threshold);
        baseGti = null;
      } else {
        lcDrag.x1 = c.x;
      }
      drawCurve();
    });

    function finishBrush(event) {
      if (!lcDrag) return;
      var gesture = lcDrag;
      lcDrag = null;
      var g = lcGeometry();
      if (gesture.kind === "threshold") {
        changed();
        return;
      }
      var c = canvasPoint(lcCanvas, event);
      var x0 = Math.max(g.left, Math.min(g.right, Math.min(gesture.x0, c.x)));
      var x1 = Math.max(g.left, Math.min(g.right, Math.max(gesture.x0, c.x)));
      if (x1 - x0 >= 1) {
        brushList.push({mode: brushMode, start: round(xt(g, x0), 3), stop: round(xt(g, x1), 3)});
        changed();
      } else {
        drawCurve();
      }
    }

    lcCanvas.addEventListener("mouseup", finishBrush);
    lcCanvas.addEventListener("mouseleave", function (event) { if (lcDrag) finishBrush(event); });

    thresholdInput.addEventListener("change", function () {
      var value = Number(thresholdInput.value);
      if (!isFinite(value) || value < 0) {
        thresholdInput.value = String(threshold);
        return;
      }
      threshold = value;
      baseGti = null;
      changed();
    });

    lcControls.addEventListener("click", function (event) {
      var b = event.target.closest("button");
      if (!b) return;
      if (b.hasAttribute("data-brush")) {
        brushMode = b.getAttribute("data-brush");
        setActive("data-brush", brushMode);
      } else if (b === resetGti) {
        brushList = [];
        baseGti = null;
        changed();
      }
    });

    // ---------------------------------------------------------------- start
    setActive("data-tool", tool);
    setActive("data-role", role);
    setActive("data-scale", scale);
    setActive("data-brush", brushMode);
    if (options.gti) baseGti = options.gti.map(function (iv) { return [Number(iv[0]), Number(iv[1])]; });
    if (options.regions) applyText(options.regions);

    var ready = Promise.all([load(options.image), load(options.lightcurve)]).then(function (loaded) {
      image = loaded[0];
      curve = loaded[1];
      if (curve) {
        threshold = Number(curve.threshold);
        thresholdInput.value = String(threshold);
      }
      fit();
      renderOffscreen();
      changed();
      wrap.setAttribute("data-ready", "1");
    }).catch(function (err) {
      regionError.textContent = String(err && err.message || err);
      wrap.setAttribute("data-ready", "error");
      throw err;
    });

    return {
      ready: ready,
      state: state,
      setRegions: function (text) {
        if (String(text || "") === regionsText()) return;
        if (applyText(String(text || ""))) changed();
      },
      setGti: function (intervals) {
        baseGti = intervals ? intervals.map(function (iv) { return [Number(iv[0]), Number(iv[1])]; }) : null;
        brushList = [];
        changed();
      },
      view: function () { return {cx: view.cx, cy: view.cy, zoom: view.zoom}; },
    };
  }

  var api = {
    mount: mount,
    parseRegions: parseRegions,
    formatRegions: formatRegions,
    shapeText: shapeText,
    thresholdGti: thresholdGti,
    applyBrushes: applyBrushes,
    mergeIntervals: mergeIntervals,
    exposureOf: exposureOf,
  };
  root.XmmViewer = api;
})(typeof window !== "undefined" ? window : globalThis);
