/*!
 * qa chat widget — cited answers from the report, on any page.
 *
 * One tag adds a floating launcher and a chat panel:
 *   <script src="http://HOST/widget.js" data-api="http://HOST" data-lang="zh"></script>
 * Options (data-* on the script tag, or attributes of <qa-chat>):
 *   api          service URL (default: where widget.js was loaded from)
 *   lang         "zh" | "en" (default: the page's <html lang>, then the browser's)
 *   title        panel title (on <qa-chat>: the "heading" attribute)
 *   key          an API key, when the service requires one (sent as X-API-Key)
 *   answerer     "extractive" (quotes) | "generative" (an LLM's checked answer); default: the service's
 *   suggestions  example questions, separated by "|"
 *   position     "right" (default) | "left"
 *   open         "true" to start with the panel open
 *   floating     "false" on the script tag: add no launcher (use <qa-chat> inline instead)
 *   persist      "false": forget the conversation on reload (default: kept for the browser tab)
 *   storage-key  on <qa-chat>: the name its conversation is kept under (default: from api and placement)
 * Inline: <qa-chat api="http://HOST" lang="en" style="height:560px"></qa-chat>
 *
 * Everything lives in a Shadow DOM, so the host page's CSS cannot reach it. Answers stream
 * from POST /ask/stream (Server-Sent Events read with fetch, since EventSource cannot POST):
 * `citations` first, then `delta` pieces, then `done`. A generative answer streams its `delta`
 * pieces first, as the model writes them, then `citations`; `done` carries the checked answer,
 * which replaces the streamed text. Plain JS, no build step, no network access other than the
 * service itself.
 *
 * The conversation (questions, answers, citations) and whether the panel is open are kept in
 * sessionStorage, so a reload or a link to another page of the same site keeps them, for that
 * tab only, until "new conversation"; nothing is kept across tabs or after the tab closes.
 */
(function () {
  "use strict";
  if (!window.customElements || window.customElements.get("qa-chat")) return;

  var script = document.currentScript;
  var scriptData = (script && script.dataset) || {};
  var scriptOrigin = script && script.src ? new URL(script.src, location.href).origin : location.origin;
  var MAX_HISTORY = 20;
  var MAX_STORED = 30; // turns kept in sessionStorage (each holds its citations: a few KB)
  var STORE_VERSION = 1;

  var TEXT = {
    zh: {
      title: "报告问答",
      subtitle: "每个回答都引用报告原文",
      open: "打开报告问答",
      close: "关闭",
      reset: "新对话",
      placeholder: "输入问题,按 Enter 发送",
      send: "发送",
      hint: "Enter 发送 · Shift+Enter 换行 · Esc 关闭",
      hintInline: "Enter 发送 · Shift+Enter 换行",
      welcome: "你好!我只根据报告原文回答问题,并给出可以点开核对的出处。",
      try: "可以试试:",
      you: "你",
      assistant: "助手",
      loading: "正在检索报告…",
      shortAnswer: "答案",
      sources: "出处",
      nearest: "最接近的段落(它们并不回答这个问题)",
      refused: "文档没有回答这个问题",
      understood: "按上下文理解为:",
      source: "出处",
      section: "章节",
      chars: "字符",
      closePassage: "收起原文",
      networkError: "无法连接到问答服务,请检查网络后重试。",
      httpError: "服务返回错误",
      interrupted: "回答传输中断。",
      retry: "重试",
      busy: "服务繁忙,请稍后重试。",
    },
    en: {
      title: "Ask the report",
      subtitle: "Every answer quotes the report",
      open: "Open report Q&A",
      close: "Close",
      reset: "New conversation",
      placeholder: "Ask a question, press Enter to send",
      send: "Send",
      hint: "Enter to send · Shift+Enter for a new line · Esc to close",
      hintInline: "Enter to send · Shift+Enter for a new line",
      welcome: "Hi! I answer only from the report's own words, with sources you can open and check.",
      try: "Try:",
      you: "You",
      assistant: "Assistant",
      loading: "Searching the report…",
      shortAnswer: "Answer",
      sources: "Sources",
      nearest: "Closest passages (they do not answer the question)",
      refused: "The documents do not answer this",
      understood: "Understood as: ",
      source: "Source",
      section: "Section",
      chars: "chars",
      closePassage: "Hide passage",
      networkError: "Cannot reach the Q&A service. Check the connection and retry.",
      httpError: "The service answered with an error",
      interrupted: "The answer was cut off.",
      retry: "Retry",
      busy: "The service is busy; please retry in a moment.",
    },
  };

  var CSS = [
    // The host element can be styled by the page (even `* {color: red !important}`), and
    // inherited properties would flow in from it; .root resets them all inside the shadow.
    ":host{all:initial;display:block;--qa-accent:#0b57d0;--qa-accent-dark:#0842a0;--qa-border:#d7dde5;",
    "--qa-muted:#5f6b7a;--qa-bg:#f6f8fb}",
    ".root{all:initial;display:block;height:100%;font-family:-apple-system,BlinkMacSystemFont,'Segoe UI','PingFang SC',",
    "'Hiragino Sans GB','Microsoft YaHei','Noto Sans CJK SC','WenQuanYi Micro Hei',Roboto,Helvetica,Arial,sans-serif;",
    "font-size:14px;line-height:1.55;color:#1f2328;letter-spacing:normal;word-spacing:normal;text-align:left;",
    "text-transform:none;text-indent:0;font-style:normal;font-weight:400;white-space:normal;direction:ltr;",
    "visibility:visible;cursor:auto}",
    ":host([floating]){position:fixed;z-index:2147483000;bottom:20px;right:20px}",
    ":host([floating][position=left]){right:auto;left:20px}",
    "*,*::before,*::after{box-sizing:border-box}",
    "button{font:inherit;cursor:pointer}",
    "button:focus-visible,textarea:focus-visible,[tabindex]:focus-visible{outline:3px solid #8ab4f8;outline-offset:2px}",
    ".launcher{width:56px;height:56px;border-radius:50%;border:0;background:var(--qa-accent);color:#fff;",
    "box-shadow:0 6px 20px rgba(11,87,208,.35);display:flex;align-items:center;justify-content:center;transition:transform .15s}",
    ".launcher:hover{transform:scale(1.06);background:var(--qa-accent-dark)}",
    ".launcher svg{width:26px;height:26px}",
    ".panel{display:flex;flex-direction:column;background:#fff;border:1px solid var(--qa-border);overflow:hidden}",
    ":host([floating]) .panel{position:absolute;bottom:72px;right:0;width:min(410px,calc(100vw - 32px));",
    "height:min(640px,calc(100vh - 112px));height:min(640px,calc(100dvh - 112px));border-radius:16px;",
    "box-shadow:0 18px 50px rgba(15,23,42,.22)}",
    ":host([floating][position=left]) .panel{right:auto;left:0}",
    ":host(:not([floating])){height:560px}",
    ":host(:not([floating])) .panel{height:100%;border-radius:12px}",
    ".panel[hidden]{display:none}",
    "header{display:flex;align-items:center;gap:10px;padding:14px 14px 12px 18px;background:var(--qa-accent);color:#fff}",
    "header .titles{flex:1;min-width:0}",
    "header h2{margin:0;font-size:16px;font-weight:600;line-height:1.3}",
    "header p{margin:2px 0 0;font-size:12px;opacity:.85}",
    ".icon-btn{background:transparent;border:0;color:inherit;width:32px;height:32px;border-radius:8px;display:flex;",
    "align-items:center;justify-content:center}",
    ".icon-btn:hover{background:rgba(255,255,255,.16)}",
    ".icon-btn svg{width:18px;height:18px}",
    ".log{flex:1;overflow-y:auto;padding:16px;background:var(--qa-bg);display:flex;flex-direction:column;gap:12px}",
    ".msg{max-width:100%;word-wrap:break-word;overflow-wrap:anywhere}",
    ".msg.user{align-self:flex-end;max-width:85%;background:var(--qa-accent);color:#fff;padding:8px 12px;",
    "border-radius:14px 14px 4px 14px;white-space:pre-wrap}",
    ".msg.assistant,.msg.welcome{align-self:stretch;background:#fff;border:1px solid var(--qa-border);",
    "border-radius:14px 14px 14px 4px;padding:12px 14px}",
    ".welcome p{margin:0 0 8px}",
    ".suggestions{display:flex;flex-wrap:wrap;gap:6px}",
    ".suggestion{border:1px solid var(--qa-border);background:#fff;color:var(--qa-accent);border-radius:999px;",
    "padding:4px 10px;font-size:13px;text-align:left}",
    ".suggestion:hover{background:#eef3fd}",
    ".short{display:block;font-size:20px;font-weight:700;color:#0b3d91;margin:0 0 6px;line-height:1.3}",
    ".short-label{display:block;font-size:11px;letter-spacing:.06em;text-transform:uppercase;color:var(--qa-muted);margin-bottom:2px}",
    ".understood{font-size:12px;color:var(--qa-muted);margin:0 0 6px}",
    ".answer{margin:0;white-space:pre-wrap}",
    ".chip{display:inline-flex;align-items:center;justify-content:center;min-width:20px;height:20px;padding:0 5px;",
    "margin:0 1px;border-radius:6px;border:1px solid #a8c1f0;background:#eaf1fe;color:var(--qa-accent);",
    "font-size:12px;font-weight:600;line-height:1;vertical-align:1px}",
    ".chip:hover,.chip[aria-expanded=true]{background:var(--qa-accent);border-color:var(--qa-accent);color:#fff}",
    ".notice{display:flex;gap:8px;align-items:flex-start;border-radius:10px;padding:8px 10px;margin:0 0 8px;font-size:13px}",
    ".notice.refusal{background:#fff7e6;border:1px solid #f3c969;color:#7a4d00}",
    ".notice.error{background:#fdecea;border:1px solid #f1aca5;color:#8c1d18}",
    ".notice strong{font-weight:600}",
    ".sources{margin:10px 0 0;padding:8px 0 0;border-top:1px solid #edf0f4}",
    ".sources h3{margin:0 0 6px;font-size:12px;font-weight:600;color:var(--qa-muted)}",
    ".sources ol{list-style:none;margin:0;padding:0;display:flex;flex-direction:column;gap:4px}",
    ".source{display:flex;gap:8px;width:100%;text-align:left;background:transparent;border:0;padding:4px;border-radius:8px;color:inherit}",
    ".source:hover{background:#f1f4f9}",
    ".source .src-text{flex:1;min-width:0;font-size:12px;color:#3c4753;overflow:hidden;display:-webkit-box;",
    "-webkit-line-clamp:2;-webkit-box-orient:vertical}",
    ".source .src-section{font-weight:600;color:#1f2328}",
    ".passage{margin:10px 0 0;border:1px solid #c9d6ec;border-left:4px solid var(--qa-accent);border-radius:10px;",
    "background:#fbfcfe;padding:10px 12px}",
    ".passage:focus{outline:none}",
    ".passage-head{display:flex;align-items:flex-start;gap:8px;margin-bottom:6px}",
    ".passage-head .meta{flex:1;min-width:0}",
    ".passage-section{font-weight:600;font-size:13px;margin:0}",
    ".passage-doc{font-size:11px;color:var(--qa-muted);margin:0}",
    ".passage-text{font-size:13px;line-height:1.7;margin:0;white-space:pre-wrap;max-height:220px;overflow-y:auto}",
    ".passage-text mark{background:#fde68a;color:inherit;border-radius:3px;padding:0 1px;box-shadow:0 0 0 1px #f5c542}",
    ".passage .icon-btn{color:var(--qa-muted);width:28px;height:28px}",
    ".passage .icon-btn:hover{background:#eef1f5}",
    ".loading{display:flex;align-items:center;gap:8px;color:var(--qa-muted)}",
    ".dots{display:inline-flex;gap:4px}",
    ".dots i{width:6px;height:6px;border-radius:50%;background:#9aa8bb;animation:qa-blink 1.2s infinite both}",
    ".dots i:nth-child(2){animation-delay:.2s}.dots i:nth-child(3){animation-delay:.4s}",
    "@keyframes qa-blink{0%,80%,100%{opacity:.25}40%{opacity:1}}",
    "@media (prefers-reduced-motion:reduce){.dots i{animation:none}.launcher{transition:none}}",
    ".retry{margin-left:auto;border:1px solid currentColor;background:#fff;color:inherit;border-radius:8px;padding:2px 10px;font-size:12px}",
    "form{display:flex;gap:8px;align-items:flex-end;padding:10px 12px 6px;border-top:1px solid var(--qa-border);background:#fff}",
    "textarea{flex:1;resize:none;border:1px solid var(--qa-border);border-radius:10px;padding:9px 11px;font:inherit;",
    "color:inherit;min-height:40px;max-height:120px;background:#fff}",
    "textarea:focus,textarea:focus-visible{outline:none;border-color:var(--qa-accent);box-shadow:0 0 0 3px rgba(11,87,208,.16)}",
    ".send{width:40px;height:40px;border-radius:10px;border:0;background:var(--qa-accent);color:#fff;display:flex;",
    "align-items:center;justify-content:center;flex:none}",
    ".send:disabled{background:#a9b8d1;cursor:default}",
    ".send svg{width:18px;height:18px}",
    ".hint{font-size:11px;color:var(--qa-muted);padding:0 14px 8px;background:#fff}",
    ".sr-only{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
  ].join("\n");

  var ICONS = {
    chat: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M21 12a8 8 0 0 1-11.6 7.1L4 20l1-4.6A8 8 0 1 1 21 12z"/><path d="M8.5 10.5h7M8.5 13.5h4.5"/></svg>',
    close: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" aria-hidden="true"><path d="M6 6l12 12M18 6L6 18"/></svg>',
    reset: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M3 12a9 9 0 1 0 3-6.7"/><path d="M3 4v5h5"/></svg>',
    send: '<svg viewBox="0 0 24 24" fill="none" stroke="currentColor" stroke-width="2.2" stroke-linecap="round" stroke-linejoin="round" aria-hidden="true"><path d="M5 12h14M13 6l6 6-6 6"/></svg>',
  };

  var MARKER = /\[(\d+)\]/g;
  var uid = 0;

  function el(tag, props, children) {
    var node = document.createElement(tag);
    if (props) {
      Object.keys(props).forEach(function (k) {
        var v = props[k];
        if (v === null || v === undefined || v === false) return;
        if (k === "text") node.textContent = v;
        else if (k === "html") node.innerHTML = v; // only our own static icons
        else if (k === "class") node.className = v;
        else if (k.slice(0, 2) === "on") node.addEventListener(k.slice(2), v);
        else node.setAttribute(k, v === true ? "" : v);
      });
    }
    (children || []).forEach(function (c) {
      if (c !== null && c !== undefined) node.appendChild(typeof c === "string" ? document.createTextNode(c) : c);
    });
    return node;
  }

  function pickLang(value) {
    var candidates = [value, document.documentElement.lang, navigator.language];
    for (var i = 0; i < candidates.length; i++) {
      var v = (candidates[i] || "").toLowerCase();
      if (v.indexOf("zh") === 0) return "zh";
      if (v.indexOf("en") === 0) return "en";
    }
    return "zh";
  }

  function describeDetail(detail) {
    if (!detail) return "";
    if (typeof detail === "string") return detail;
    if (Array.isArray(detail)) {
      return detail.map(function (d) { return d && d.msg ? d.msg : JSON.stringify(d); }).join("; ");
    }
    return JSON.stringify(detail);
  }

  function HttpError(status, detail) {
    this.status = status;
    this.detail = detail;
  }

  /** POST /ask/stream and call handlers[event](data) for each Server-Sent Event. */
  async function streamAsk(api, key, body, handlers, signal) {
    var headers = { "Content-Type": "application/json", Accept: "text/event-stream" };
    if (key) headers["X-API-Key"] = key;
    var res = await fetch(api.replace(/\/+$/, "") + "/ask/stream", {
      method: "POST", headers: headers, body: JSON.stringify(body), signal: signal,
    });
    if (!res.ok) {
      var detail = "";
      try { detail = describeDetail((await res.json()).detail); } catch (e) { detail = res.statusText; }
      throw new HttpError(res.status, detail);
    }
    var reader = res.body.getReader();
    var decoder = new TextDecoder();
    var buffer = "";
    var finished = false;
    function dispatch(block) {
      var event = "message", data = [];
      block.split("\n").forEach(function (line) {
        if (!line || line.charAt(0) === ":") return;
        var colon = line.indexOf(":");
        var field = colon < 0 ? line : line.slice(0, colon);
        var value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
        if (field === "event") event = value;
        else if (field === "data") data.push(value);
      });
      if (!data.length || !handlers[event]) return;
      if (event === "done" || event === "error") finished = true;
      handlers[event](JSON.parse(data.join("\n")));
    }
    for (;;) {
      var chunk = await reader.read();
      if (chunk.done) break;
      buffer += decoder.decode(chunk.value, { stream: true });
      buffer = buffer.replace(/\r\n|\r(?=[^])/g, "\n");
      var cut;
      while ((cut = buffer.indexOf("\n\n")) >= 0) {
        dispatch(buffer.slice(0, cut));
        buffer = buffer.slice(cut + 2);
      }
    }
    if (buffer.trim()) dispatch(buffer);
    if (!finished) throw new Error("interrupted");
  }

  /** sessionStorage, or null where the page may not use it (sandboxed frames, storage disabled). */
  function sessionStore() {
    try {
      var store = window.sessionStorage;
      var probe = "qa-chat:probe";
      store.setItem(probe, "1");
      store.removeItem(probe);
      return store;
    } catch (e) {
      return null;
    }
  }

  class QaChat extends HTMLElement {
    constructor() {
      super();
      this.shadow = this.attachShadow({ mode: "open" });
      this.history = [];
      this.turns = []; // {q, h, meta, text, done}: what is kept across reloads
      this.isOpen = false;
      this.busy = false;
      this.controller = null;
    }

    opt(name, fallback) {
      var v = this.getAttribute(name);
      return v === null || v === "" ? fallback : v;
    }

    connectedCallback() {
      if (this.built) return;
      this.built = true;
      this.floating = this.hasAttribute("floating");
      this.lang_ = pickLang(this.getAttribute("lang"));
      this.t = TEXT[this.lang_];
      this.api = this.opt("api", scriptData.api || scriptOrigin);
      this.key = this.opt("key", scriptData.key || "");
      this.answerer = this.opt("answerer", scriptData.answerer || "");
      this.store = this.opt("persist", scriptData.persist || "true") === "false" ? null : sessionStore();
      this.storeKey = "qa-chat:" + this.opt("storage-key", this.api + "|" + this.placement());
      this.render();
      var saved = this.restore();
      var open = saved && typeof saved.open === "boolean" ? saved.open : this.opt("open", "false") === "true";
      if (!this.floating || open) this.setOpen(true, false);
    }

    /** "floating", or "inline:<n>" for the n-th inline widget of the page: two widgets on one
     * page keep two conversations. */
    placement() {
      if (this.floating) return "floating";
      var inline = Array.prototype.slice.call(document.querySelectorAll("qa-chat:not([floating])"));
      return "inline:" + Math.max(0, inline.indexOf(this));
    }

    save() {
      if (!this.store) return;
      var turns = this.turns.slice(-MAX_STORED);
      try {
        if (!turns.length && !(this.floating && this.isOpen)) this.store.removeItem(this.storeKey);
        else this.store.setItem(this.storeKey, JSON.stringify({ v: STORE_VERSION, open: !!this.isOpen, turns: turns }));
      } catch (e) {
        // Over the storage quota: the conversation goes on, it just won't survive a reload.
      }
    }

    /** Redraw the kept conversation; a turn whose answer never arrived shows "cut off" + retry. */
    restore() {
      var saved = null;
      try {
        saved = this.store && JSON.parse(this.store.getItem(this.storeKey) || "null");
      } catch (e) {
        saved = null;
      }
      if (!saved || saved.v !== STORE_VERSION || !Array.isArray(saved.turns)) return null;
      var self = this;
      saved.turns.forEach(function (turn) {
        if (!turn || typeof turn.q !== "string") return;
        var history = Array.isArray(turn.h) ? turn.h : [];
        self.turns.push(turn);
        self.history.push(turn.q);
        self.log.appendChild(el("div", { class: "msg user", text: turn.q, "aria-label": self.t.you + ": " + turn.q }));
        var msg = el("div", { class: "msg assistant", "aria-label": self.t.assistant });
        self.log.appendChild(msg);
        if (turn.done && turn.meta) self.paint(msg, { meta: turn.meta, text: turn.text || "", answer: true });
        else self.fail(msg, new Error("interrupted"), turn.q, history, turn);
      });
      this.scrollDown();
      return saved;
    }

    render() {
      var t = this.t, self = this;
      var id = "qa-" + ++uid;
      this.shadow.appendChild(el("style", { text: CSS }));
      this.launcher = el("button", {
        class: "launcher", type: "button", "aria-label": t.open, "aria-expanded": "false",
        "aria-controls": id, html: ICONS.chat, onclick: function () { self.setOpen(!self.isOpen, true); },
      });
      this.log = el("div", { class: "log", role: "log", "aria-live": "polite", "aria-label": t.title });
      this.input = el("textarea", {
        class: "input", rows: "1", placeholder: t.placeholder, "aria-label": t.placeholder,
        maxlength: "2000", onkeydown: function (e) { self.onKey(e); },
        oninput: function () { self.autosize(); self.sendBtn.disabled = self.busy || !self.input.value.trim(); },
      });
      this.sendBtn = el("button", { class: "send", type: "submit", "aria-label": t.send, html: ICONS.send, disabled: true });
      var titleId = id + "-title";
      this.panel = el("section", {
        class: "panel", id: id, role: this.floating ? "dialog" : "region", "aria-labelledby": titleId,
        hidden: true, onkeydown: function (e) { self.onPanelKey(e); },
      }, [
        el("header", null, [
          el("div", { class: "titles" }, [
            el("h2", { id: titleId, text: this.opt("heading", scriptData.title || t.title) }),
            el("p", { text: t.subtitle }),
          ]),
          el("button", { class: "icon-btn reset", type: "button", title: t.reset, "aria-label": t.reset,
            html: ICONS.reset, onclick: function () { self.reset(); } }),
          this.floating ? el("button", { class: "icon-btn close", type: "button", title: t.close,
            "aria-label": t.close, html: ICONS.close, onclick: function () { self.setOpen(false, true); } }) : null,
        ]),
        this.log,
        el("form", { onsubmit: function (e) { e.preventDefault(); self.send(); } }, [this.input, this.sendBtn]),
        el("div", { class: "hint", text: this.floating ? t.hint : t.hintInline }),
      ]);
      var root = el("div", { class: "root" }, [this.panel, this.floating ? this.launcher : null]);
      this.shadow.appendChild(root);
      this.welcome();
    }

    welcome() {
      var t = this.t, self = this;
      var raw = this.opt("suggestions", scriptData.suggestions || "");
      var list = raw.split("|").map(function (s) { return s.trim(); }).filter(Boolean);
      var box = el("div", { class: "msg welcome" }, [el("p", { text: t.welcome })]);
      if (list.length) {
        box.appendChild(el("p", { text: t.try }));
        box.appendChild(el("div", { class: "suggestions" }, list.map(function (q) {
          return el("button", { class: "suggestion", type: "button", text: q, onclick: function () { self.ask(q); } });
        })));
      }
      this.log.appendChild(box);
    }

    setOpen(open, focus) {
      var changed = this.isOpen !== open;
      this.isOpen = open;
      if (changed) this.save();
      this.panel.hidden = !open;
      this.launcher.setAttribute("aria-expanded", String(open));
      this.launcher.setAttribute("aria-label", open ? this.t.close : this.t.open);
      this.launcher.innerHTML = open ? ICONS.close : ICONS.chat;
      if (open && focus !== false) this.input.focus();
      if (!open && focus) this.launcher.focus();
    }

    reset() {
      var controller = this.controller;
      this.controller = null;
      if (controller) controller.abort();
      this.history = [];
      this.turns = [];
      this.save();
      this.log.textContent = "";
      this.welcome();
      this.setBusy(false);
      this.input.focus();
    }

    onKey(e) {
      if (e.key === "Enter" && !e.shiftKey && !e.isComposing) {
        e.preventDefault();
        this.send();
      }
    }

    onPanelKey(e) {
      if (e.key !== "Escape") return;
      // Esc closes the passage being read (focus inside its answer), otherwise the panel.
      var active = this.shadow.activeElement;
      var msg = active && active.closest ? active.closest(".msg") : null;
      var open = msg ? msg.querySelector(".passage") : null;
      if (open) {
        e.preventDefault();
        var chip = open.__chip;
        open.__close();
        if (chip) chip.focus();
      } else if (this.floating) {
        e.preventDefault();
        this.setOpen(false, true);
      }
    }

    autosize() {
      this.input.style.height = "auto";
      this.input.style.height = Math.min(this.input.scrollHeight + 2, 120) + "px";
    }

    setBusy(busy) {
      this.busy = busy;
      this.log.setAttribute("aria-busy", String(busy));
      this.sendBtn.disabled = busy || !this.input.value.trim();
    }

    scrollDown() {
      this.log.scrollTop = this.log.scrollHeight;
    }

    send() {
      var q = this.input.value.trim();
      if (!q || this.busy) return;
      this.input.value = "";
      this.autosize();
      this.ask(q);
    }

    ask(question) {
      if (this.busy) return;
      this.log.appendChild(el("div", { class: "msg user", text: question, "aria-label": this.t.you + ": " + question }));
      var history = this.history.slice(-MAX_HISTORY);
      this.history.push(question);
      var turn = { q: question, h: history, done: false };
      this.turns.push(turn);
      this.save();
      this.run(question, history, null, turn);
    }

    async run(question, history, reuse, turn) {
      var t = this.t, self = this;
      var msg = reuse || el("div", { class: "msg assistant", "aria-label": t.assistant });
      msg.textContent = "";
      msg.setAttribute("data-state", "loading");
      msg.appendChild(el("div", { class: "loading" }, [
        el("span", { class: "dots", "aria-hidden": "true" }, [el("i"), el("i"), el("i")]), t.loading,
      ]));
      if (!reuse) this.log.appendChild(msg);
      this.scrollDown();
      this.setBusy(true);
      var controller = new AbortController();
      this.controller = controller;
      var state = { text: "", meta: null, answer: null };
      try {
        var body = { question: question, history: history };
        if (this.answerer) body.answerer = this.answerer;
        await streamAsk(this.api, this.key, body, {
          citations: function (meta) { state.meta = meta; self.paint(msg, state); },
          delta: function (d) { state.text += d.text; self.paint(msg, state); },
          done: function (response) { state.answer = response; state.text = response.answer; self.paint(msg, state); },
          error: function (e) { throw new HttpError(0, e.detail); },
        }, controller.signal);
        msg.setAttribute("data-state", "done");
        if (turn && this.turns.indexOf(turn) >= 0) {
          turn.meta = state.meta;
          turn.text = state.text;
          turn.done = true;
          this.save();
        }
      } catch (err) {
        if (err && err.name === "AbortError") return;
        this.fail(msg, err, question, history, turn);
      } finally {
        if (this.controller === controller) {
          this.controller = null;
          this.setBusy(false);
          this.scrollDown();
        }
      }
    }

    fail(msg, err, question, history, turn) {
      var t = this.t, self = this;
      var text;
      if (err instanceof HttpError) {
        text = err.status === 429 || err.status === 503 ? t.busy : t.httpError + (err.status ? " (" + err.status + ")" : "");
        if (err.detail) text += ": " + err.detail;
      } else {
        text = err && err.message === "interrupted" ? t.interrupted + " " + t.networkError : t.networkError;
      }
      msg.textContent = "";
      msg.setAttribute("data-state", "error");
      var retry = el("button", { class: "retry", type: "button", text: t.retry, onclick: function () {
        self.run(question, history, msg, turn);
      } });
      msg.appendChild(el("div", { class: "notice error", role: "alert" }, [el("span", { text: text }), retry]));
    }

    /** Redraw one answer from what has arrived: meta (citations event), text so far, done. */
    paint(msg, state) {
      var t = this.t, self = this, meta = state.meta;
      var keepOpen = msg.querySelector(".passage");
      var openN = keepOpen ? keepOpen.getAttribute("data-n") : null;
      msg.textContent = "";
      msg.setAttribute("data-state", state.answer ? "done" : "streaming");
      if (!meta) {  // a generative answer's text, before its sources are known
        if (state.text) msg.appendChild(el("p", { class: "answer draft", text: state.text }));
        return;
      }
      var byN = {};
      meta.citations.forEach(function (c) { byN[c.n] = c; });
      if (!meta.found) {
        msg.classList.add("refused");
        msg.appendChild(el("div", { class: "notice refusal", role: "status" }, [el("strong", { text: t.refused })]));
      } else if (meta.short_answer) {
        msg.appendChild(el("span", { class: "short-label", text: t.shortAnswer }));
        msg.appendChild(el("strong", { class: "short", text: meta.short_answer }));
      }
      if (meta.resolved_question && meta.resolved_question !== meta.question) {
        msg.appendChild(el("p", { class: "understood", text: t.understood + meta.resolved_question }));
      }
      var answer = el("p", { class: "answer" });
      var last = 0, m;
      MARKER.lastIndex = 0;
      while ((m = MARKER.exec(state.text))) {
        answer.appendChild(document.createTextNode(state.text.slice(last, m.index)));
        var c = byN[Number(m[1])];
        answer.appendChild(c ? this.chip(msg, c) : document.createTextNode(m[0]));
        last = m.index + m[0].length;
      }
      answer.appendChild(document.createTextNode(state.text.slice(last)));
      msg.appendChild(answer);
      if (meta.citations.length) {
        var list = el("ol");
        meta.citations.forEach(function (c) {
          list.appendChild(el("li", null, [el("button", {
            class: "source", type: "button", "data-n": String(c.n),
            "aria-label": t.source + " " + c.n + ": " + c.section,
            onclick: function (e) { self.togglePassage(msg, c, e.currentTarget); },
          }, [
            el("span", { class: "chip", "aria-hidden": "true", text: String(c.n) }),
            el("span", { class: "src-text" }, [el("span", { class: "src-section", text: c.section + " · " }), c.quote]),
          ])]));
        });
        msg.appendChild(el("div", { class: "sources" }, [el("h3", { text: meta.found ? t.sources : t.nearest }), list]));
      }
      if (openN && byN[openN]) this.togglePassage(msg, byN[openN], msg.querySelector('.chip[data-n="' + openN + '"]'), true);
      this.scrollDown();
    }

    chip(msg, c) {
      var self = this;
      return el("button", {
        class: "chip", type: "button", "data-n": String(c.n), "aria-expanded": "false",
        "aria-label": this.t.source + " " + c.n + ": " + c.section,
        text: String(c.n), onclick: function (e) { self.togglePassage(msg, c, e.currentTarget); },
      });
    }

    /** Open (or close) the passage of citation c under the answer: section, chunk, quote marked. */
    togglePassage(msg, c, chip, keepFocus) {
      var t = this.t;
      var current = msg.querySelector(".passage");
      if (current) {
        var same = current.getAttribute("data-n") === String(c.n);
        current.__close();
        if (same && !keepFocus) return;
      }
      var text = c.text || "", at = text.indexOf(c.quote);
      var body = el("p", { class: "passage-text" });
      if (at < 0) {
        body.appendChild(el("mark", { text: c.quote }));
      } else {
        body.appendChild(document.createTextNode(text.slice(0, at)));
        body.appendChild(el("mark", { text: c.quote }));
        body.appendChild(document.createTextNode(text.slice(at + c.quote.length)));
      }
      var chips = msg.querySelectorAll('.chip[data-n="' + c.n + '"]');
      var box = el("div", {
        class: "passage", role: "region", tabindex: "-1", "data-n": String(c.n),
        "aria-label": t.source + " " + c.n + ": " + c.section,
      }, [
        el("div", { class: "passage-head" }, [
          el("span", { class: "chip", "aria-hidden": "true", text: String(c.n) }),
          el("div", { class: "meta" }, [
            el("p", { class: "passage-section", text: c.section }),
            el("p", { class: "passage-doc", text: c.title + " · " + t.chars + " " + c.start + "–" + c.end }),
          ]),
          el("button", { class: "icon-btn", type: "button", "aria-label": t.closePassage, title: t.closePassage,
            html: ICONS.close, onclick: function () { box.__close(); if (chip) chip.focus(); } }),
        ]),
        body,
      ]);
      box.__chip = chip;
      box.__close = function () {
        box.remove();
        chips.forEach(function (x) { x.setAttribute("aria-expanded", "false"); });
      };
      chips.forEach(function (x) { x.setAttribute("aria-expanded", "true"); });
      var sources = msg.querySelector(".sources");
      msg.insertBefore(box, sources);
      if (!keepFocus) {
        box.focus({ preventScroll: true });
        box.scrollIntoView({ block: "nearest" });
        var mark = box.querySelector("mark");
        if (mark) mark.scrollIntoView({ block: "nearest" });
      }
    }
  }

  window.customElements.define("qa-chat", QaChat);

  if (script && scriptData.floating !== "false") {
    var mount = function () {
      var widget = document.createElement("qa-chat");
      widget.setAttribute("floating", "");
      ["api", "lang", "title", "key", "answerer", "suggestions", "position", "open"].forEach(function (name) {
        if (scriptData[name]) widget.setAttribute(name === "title" ? "heading" : name, scriptData[name]);
      });
      document.body.appendChild(widget);
    };
    if (document.body) mount();
    else document.addEventListener("DOMContentLoaded", mount);
  }
})();
