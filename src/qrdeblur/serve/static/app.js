// qrdeblur web page: send a photo to POST /scan, draw each code's outline on the photo, list the codes.
// Plain JavaScript, no build step, nothing loaded from elsewhere. Text from the server is only ever set
// with textContent (never parsed as HTML).
"use strict";

(function () {
  const OUTLINE = "#00e000";
  const fileInput = document.getElementById("file");
  const cameraInput = document.getElementById("camera");
  const drop = document.getElementById("drop");
  const statusLine = document.getElementById("status");
  const canvas = document.getElementById("photo");
  const list = document.getElementById("codes");
  const high = document.getElementById("high");
  const debug = document.getElementById("debug");

  function setState(state, message, kind) {
    document.body.dataset.state = state;
    statusLine.textContent = message;
    statusLine.className = kind || "";
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  async function loadBitmap(file) {
    try {
      return await createImageBitmap(file); // EXIF orientation applied, as the server reads it
    } catch (err) {
      return null; // the server says why it cannot read the file
    }
  }

  function drawPhoto(bitmap) {
    canvas.width = bitmap.width;
    canvas.height = bitmap.height;
    const ctx = canvas.getContext("2d");
    ctx.drawImage(bitmap, 0, 0);
    canvas.style.display = "block";
    canvas.dataset.outlines = "0";
  }

  function drawOutlines(codes) {
    const ctx = canvas.getContext("2d");
    const width = Math.max(2, Math.round(Math.max(canvas.width, canvas.height) / 250));
    ctx.lineWidth = width;
    ctx.strokeStyle = OUTLINE;
    ctx.lineJoin = "round";
    codes.forEach(function (code, i) {
      const c = code.corners;
      ctx.beginPath();
      ctx.moveTo(c[0][0], c[0][1]);
      for (let k = 1; k < c.length; k++) ctx.lineTo(c[k][0], c[k][1]);
      ctx.closePath();
      ctx.stroke();
      const size = Math.max(14, width * 6);
      ctx.font = "bold " + size + "px sans-serif";
      ctx.fillStyle = OUTLINE;
      ctx.fillText(String(i + 1), c[0][0] + width * 2, c[0][1] - width * 2);
    });
    canvas.dataset.outlines = String(codes.length);
  }

  function cropFigure(caption, b64) {
    const figure = el("figure");
    const img = el("img");
    img.alt = caption;
    img.src = "data:image/png;base64," + b64;
    figure.appendChild(img);
    figure.appendChild(el("figcaption", "", caption));
    return figure;
  }

  function showCodes(record) {
    list.textContent = "";
    record.codes.forEach(function (code) {
      const item = el("li", "code");
      const shown = code.gs1 && code.hri ? code.hri : code.text;
      item.appendChild(el("div", "text", shown));
      let meta = "read by " + code.method + " (" + code.decoder + ")";
      if (code.gs1) meta += " · GS1";
      if (code.bytes_b64) meta += " · binary payload, base64 in the JSON";
      item.appendChild(el("div", "meta", meta));
      (record.debug || []).forEach(function (d) {
        if (d.texts.indexOf(code.text) < 0) return;
        const crops = el("div", "crops");
        crops.appendChild(cropFigure("region, rectified", d.before_png_b64));
        crops.appendChild(cropFigure("restored (" + d.method + ")", d.after_png_b64));
        item.appendChild(crops);
      });
      list.appendChild(item);
    });
  }

  function errorMessage(status, body, headers) {
    const reason = body && body.error ? body.error : "the server answered " + status;
    if (status === 413) return "This file is too large for the server: " + reason + ".";
    if (status === 503) {
      const wait = headers.get("Retry-After");
      return "The server is busy" + (wait ? ", try again in " + wait + " s" : "") + ": " + reason + ".";
    }
    if (status === 422) return "Could not read this file: " + reason + ".";
    return "Scan failed: " + reason + ".";
  }

  async function scanFile(file) {
    if (!file) return;
    list.textContent = "";
    canvas.style.display = "none";
    canvas.dataset.outlines = "0";
    window.qrdeblurLast = null;
    setState("scanning", "Reading " + file.name + "…", "");
    const bitmap = await loadBitmap(file);
    if (bitmap) drawPhoto(bitmap);
    const form = new FormData();
    form.append("file", file, file.name || "photo");
    const query = new URLSearchParams();
    if (high.checked) query.set("effort", "high");
    if (debug.checked) query.set("debug", "1");
    let response, body;
    try {
      response = await fetch("/scan" + (query.toString() ? "?" + query : ""), { method: "POST", body: form });
      body = await response.json().catch(function () { return null; });
    } catch (err) {
      setState("error", "Could not reach the server (" + err.message + ").", "error");
      return;
    }
    window.qrdeblurLast = body;
    if (!response.ok || !body || body.error) {
      setState("error", errorMessage(response.status, body, response.headers), "error");
      return;
    }
    const ms = Math.round(body.ms) + " ms";
    if (!body.codes.length) {
      setState("done", "No QR code found in this photo (" + ms + "). Try a sharper or closer photo.", "none");
      return;
    }
    if (bitmap) drawOutlines(body.codes);
    showCodes(body);
    const n = body.codes.length;
    setState("done", n + (n === 1 ? " code" : " codes") + " read in " + ms + ".", "ok");
  }

  function pick(event) {
    const file = event.target.files && event.target.files[0];
    scanFile(file);
    event.target.value = ""; // picking the same file again scans it again
  }

  fileInput.addEventListener("change", pick);
  cameraInput.addEventListener("change", pick);
  ["dragenter", "dragover"].forEach(function (type) {
    drop.addEventListener(type, function (event) {
      event.preventDefault();
      drop.classList.add("over");
    });
  });
  ["dragleave", "drop"].forEach(function (type) {
    drop.addEventListener(type, function (event) {
      event.preventDefault();
      drop.classList.remove("over");
    });
  });
  drop.addEventListener("drop", function (event) {
    const file = event.dataTransfer.files && event.dataTransfer.files[0];
    scanFile(file);
  });
  setState("idle", "", "");
})();
