// The playground page: shows the State the server streams (see package
// playground's doc for the protocol) and turns clicks and typing into
// its requests. It keeps no state of its own beyond the screen: the open
// conversation lives in the URL's fragment (#/USER/CHANNEL, #/USER/app/TAB).
"use strict";

(function () {
  const BK = window.BlockKit;
  const $ = id => document.getElementById(id);

  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // Icons are drawn here (SVG), so the page needs no emoji font.
  const iconPaths = {
    eye: "M1 12s4-7 11-7 11 7 11 7-4 7-11 7S1 12 1 12zm11 4a4 4 0 1 0 0-8 4 4 0 0 0 0 8z",
    lock: "M6 10V7a6 6 0 0 1 12 0v3h1a1 1 0 0 1 1 1v10a1 1 0 0 1-1 1H5a1 1 0 0 1-1-1V11a1 1 0 0 1 1-1h1zm2 0h8V7a4 4 0 0 0-8 0v3z",
    bolt: "M13 2 4 14h7l-1 8 9-12h-7l1-8z",
    dots: "M12 5a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm0 9a2 2 0 1 1 0-4 2 2 0 0 1 0 4zm0 9a2 2 0 1 1 0-4 2 2 0 0 1 0 4z",
    hash: "M9 3 7 21M17 3l-2 18M4 8h17M3 16h17",
    sticker: "M4 4h16v9l-7 7H4V4zm9 16v-7h7",
    warn: "M12 2 1 21h22L12 2zm0 6v7m0 3v1",
  };
  const stroked = { hash: true, sticker: true, warn: true };

  function icon(name, cls) {
    const ns = "http://www.w3.org/2000/svg";
    const svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("class", "icon " + (cls || ""));
    svg.setAttribute("aria-hidden", "true");
    const p = document.createElementNS(ns, "path");
    p.setAttribute("d", iconPaths[name]);
    if (stroked[name]) {
      p.setAttribute("fill", "none");
      p.setAttribute("stroke", "currentColor");
      p.setAttribute("stroke-width", "2");
      p.setAttribute("stroke-linejoin", "round");
      p.setAttribute("stroke-linecap", "round");
    } else {
      p.setAttribute("fill", "currentColor");
    }
    svg.append(p);
    return svg;
  }

  function appAvatar(small) {
    const a = el("span", "avatar avatar-app" + (small ? " small" : ""));
    a.append(icon("sticker"));
    return a;
  }

  const page = {
    me: "",
    st: null,
    convo: "", // a channel ID, or "app" for the app's page
    tab: "home", // the app page's tab: home, messages, about
    es: null,
    msgNodes: new Map(), // ts -> {sig, node}
    msgConvo: "",
    modal: null, // {id, hash, node, inputs, ctx}
    home: null, // {id, hash, node, inputs}
    viewValues: {}, // view ID -> values typed, kept across updates and pushes
    stick: true, // the message list follows the newest message (the reader is at the bottom)
    lastHomeOpen: "",
  };

  // ---------------------------------------------------------------- requests

  async function call(path, body) {
    const r = await fetch(path, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify(body),
    });
    let out = {};
    try { out = await r.json(); } catch (e) { out = { ok: false, error: r.statusText }; }
    if (!r.ok || !out.ok) {
      const err = new Error(out.error || r.statusText);
      toast(err.message);
      throw err;
    }
    return out;
  }

  async function upload(file) {
    const r = await fetch("/api/files?user=" + encodeURIComponent(page.me) + "&name=" + encodeURIComponent(file.name), {
      method: "POST",
      headers: { "Content-Type": "application/octet-stream" },
      body: file,
    });
    const out = await r.json().catch(() => ({ ok: false, error: r.statusText }));
    if (!r.ok) throw new Error(out.error || r.statusText);
    return out;
  }

  let toastTimer = null;
  function toast(text) {
    const t = $("toast");
    t.textContent = text;
    t.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(() => { t.hidden = true; }, 6000);
  }

  // ------------------------------------------------------------- navigation

  function readHash() {
    const parts = location.hash.replace(/^#\/?/, "").split("/").map(decodeURIComponent);
    page.me = parts[0] || "";
    page.convo = parts[1] || "";
    page.tab = parts[1] === "app" ? (parts[2] || "home") : page.tab;
  }

  function writeHash() {
    let h = "#/" + encodeURIComponent(page.me) + "/" + encodeURIComponent(page.convo);
    if (page.convo === "app") h += "/" + page.tab;
    if (location.hash !== h) history.replaceState(null, "", h);
  }

  function go(convo, tab) {
    page.convo = convo;
    if (tab) page.tab = tab;
    writeHash();
    render();
  }

  function connect() {
    if (page.es) page.es.close();
    page.st = null;
    const es = new EventSource("/api/events?user=" + encodeURIComponent(page.me));
    page.es = es;
    es.addEventListener("state", ev => {
      $("connection").hidden = true;
      const st = JSON.parse(ev.data);
      if (page.st && page.st.me === st.me && st.version < page.st.version) return;
      page.st = st;
      render();
    });
    es.addEventListener("error", () => { $("connection").hidden = false; });
  }

  function switchUser(id) {
    if (id === page.me) return;
    page.me = id;
    page.msgNodes.clear();
    page.msgConvo = "";
    closeModalDOM();
    page.home = null;
    page.viewValues = {};
    page.lastHomeOpen = "";
    Object.keys(drawn).forEach(k => delete drawn[k]);
    writeHash();
    connect();
  }

  // ------------------------------------------------------------ lookups

  function usersByID() {
    const m = {};
    page.st.users.forEach(u => { m[u.id] = u; });
    return m;
  }

  function channelsByID() {
    const m = {};
    page.st.channels.forEach(c => { m[c.id] = c; });
    return m;
  }

  function appDM() { return page.st.channels.find(c => c.kind === "app"); }

  function authorName(m) {
    const st = page.st;
    if (m.bot || m.user === st.app.bot_user_id) return m.username || st.app.name;
    if (m.user === "USLACKBOT") return "Slackbot";
    const u = st.users.find(x => x.id === m.user);
    return u ? u.real_name || u.name : m.user;
  }

  function avatar(m) {
    const st = page.st;
    const a = el("div", "avatar");
    if (m.bot || m.user === st.app.bot_user_id) {
      a.classList.add("avatar-app");
      a.append(icon("sticker"));
    } else if (m.user === "USLACKBOT") {
      a.classList.add("avatar-slackbot");
      a.textContent = "S";
    } else {
      a.textContent = authorName(m).slice(0, 1).toUpperCase();
      a.style.background = colorOf(m.user);
    }
    return a;
  }

  function colorOf(id) {
    let h = 0;
    for (const c of id) h = (h * 31 + c.charCodeAt(0)) % 360;
    return "hsl(" + h + ", 55%, 42%)";
  }

  function time(ts) {
    const d = new Date(parseFloat(ts) * 1000);
    return d.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
  }

  function ctxFor(surface, extra) {
    const st = page.st;
    const users = usersByID();
    return Object.assign({
      users, channels: channelsByID(), app: st.app, surface, upload,
    }, extra);
  }

  // --------------------------------------------------------------- rendering

  function render() {
    const st = page.st;
    if (!st) return;
    if (page.me !== st.me) { page.me = st.me; writeHash(); }
    const chans = channelsByID();
    if (page.convo !== "app" && !chans[page.convo]) {
      const first = st.channels.find(c => c.kind !== "app");
      page.convo = first ? first.id : "app";
      writeHash();
    }
    renderTop();
    renderSidebar();
    renderConversation();
    renderModal();
  }

  // Parts of the page are rebuilt only when what they show changed, so a
  // click is never lost to a node replaced between mousedown and mouseup.
  const drawn = {};
  function changed(part, ...what) {
    const sig = JSON.stringify(what);
    if (drawn[part] === sig) return false;
    drawn[part] = sig;
    return true;
  }

  function renderTop() {
    const st = page.st;
    const me = st.users.find(u => u.id === st.me);
    if (!changed("top", me)) return;
    const b = $("user-switcher");
    b.textContent = "";
    const av = el("span", "avatar small", (me.real_name || me.name).slice(0, 1).toUpperCase());
    av.style.background = colorOf(me.id);
    b.append(av, el("span", "me-name", me.real_name || me.name));
    if (me.admin) b.append(el("span", "badge admin", "admin"));
    b.append(el("span", "caret", "▾"));
    b.dataset.user = me.id;
  }

  function renderSidebar() {
    const st = page.st;
    if (!changed("sidebar", st.team, st.channels, st.app.name, page.convo)) return;
    $("team-name").textContent = st.team;
    const nav = $("nav");
    nav.textContent = "";
    const section = (title, items) => {
      if (!items.length) return;
      nav.append(el("div", "nav-section", title));
      items.forEach(i => nav.append(i));
    };
    const item = (id, label, prefix, active) => {
      const a = el("button", "nav-item" + (active ? " active" : ""));
      a.type = "button";
      a.dataset.channel = id;
      const pre = el("span", "nav-prefix");
      pre.append(prefix);
      a.append(pre, el("span", "nav-label", label));
      return a;
    };
    const channels = st.channels.filter(c => c.kind !== "app").map(c => {
      const i = item(c.id, c.name, icon(c.kind === "private" ? "lock" : "hash"), page.convo === c.id);
      i.addEventListener("click", () => go(c.id));
      return i;
    });
    section("Channels", channels);
    const dm = appDM();
    const apps = [];
    if (dm) {
      const i = item("app", st.app.name, appAvatar(true), page.convo === "app");
      i.dataset.channel = dm.id;
      i.classList.add("nav-app");
      i.addEventListener("click", () => go("app"));
      apps.push(i);
    }
    section("Apps", apps);
  }

  function renderConversation() {
    const st = page.st;
    const header = $("conv-header");
    const fresh = changed("header", page.convo, page.tab, st.app, st.channels);
    if (fresh) header.textContent = "";
    const messages = $("messages");
    const home = $("home");
    const about = $("about");
    let channel;
    if (page.convo === "app") {
      const dm = appDM();
      channel = dm ? dm.id : "";
      const tabNames = [];
      if (st.app.home_tab) tabNames.push(["home", "Home"]);
      tabNames.push(["messages", "Messages"], ["about", "About"]);
      if (!tabNames.some(t => t[0] === page.tab)) page.tab = tabNames[0][0];
      if (fresh) {
        const title = el("div", "conv-title");
        title.append(appAvatar(true), el("span", "", st.app.name), el("span", "badge", "APP"));
        header.append(title);
        const tabs = el("div", "tabs");
        tabNames.forEach(([id, label]) => {
          const t = el("button", "tab" + (page.tab === id ? " active" : ""), label);
          t.type = "button";
          t.dataset.tab = id;
          t.addEventListener("click", () => go("app", id));
          tabs.append(t);
        });
        header.append(tabs);
      }
      messages.hidden = page.tab !== "messages";
      home.hidden = page.tab !== "home";
      about.hidden = page.tab !== "about";
      const openKey = st.me + "/" + page.tab;
      if ((page.tab === "home" || page.tab === "messages") && page.lastHomeOpen !== openKey) {
        page.lastHomeOpen = openKey;
        call("/api/app_home", { user: st.me, tab: page.tab }).catch(() => {});
      }
      if (page.tab === "home") renderHome();
      if (page.tab === "about") renderAbout();
      renderComposer(page.tab === "messages" ? channel : null);
      document.title = st.app.name + " · stickerbot playground";
    } else {
      page.lastHomeOpen = "";
      const c = channelsByID()[page.convo];
      channel = c.id;
      if (fresh) {
        const title = el("div", "conv-title");
        title.append(icon(c.kind === "private" ? "lock" : "hash"), el("span", "", c.name));
        if (!c.bot_member) title.append(el("span", "conv-note", st.app.name + " is not in this channel"));
        header.append(title);
        if (c.topic) header.append(el("div", "conv-topic", c.topic));
      }
      messages.hidden = false;
      home.hidden = true;
      about.hidden = true;
      renderComposer(channel);
      document.title = "#" + c.name + " · stickerbot playground";
    }
    if (!messages.hidden) renderMessages(channel);
  }

  function msgSig(m) {
    return JSON.stringify([m.text, m.blocks, m.edited, m.refused, m.ephemeral, m.files, m.username, authorName(m), page.st.users.length]);
  }

  function renderMessages(channel) {
    const box = $("messages");
    if (page.msgConvo !== channel) {
      box.textContent = "";
      page.msgNodes.clear();
      page.msgConvo = channel;
      page.stick = true;
    }
    const nearBottom = page.stick;
    const list = page.st.messages.filter(m => m.channel === channel);
    // Replies go under their parent, as a thread shows them.
    const top = [], replies = {};
    const tsSet = new Set(list.map(m => m.ts));
    list.forEach(m => {
      if (m.thread_ts && m.thread_ts !== m.ts && tsSet.has(m.thread_ts)) (replies[m.thread_ts] = replies[m.thread_ts] || []).push(m);
      else top.push(m);
    });
    const ordered = [];
    top.forEach(m => { ordered.push(m); (replies[m.ts] || []).forEach(r => ordered.push(r)); });
    const keep = new Set();
    let prev = null;
    ordered.forEach(m => {
      keep.add(m.ts);
      const sig = msgSig(m);
      let entry = page.msgNodes.get(m.ts);
      if (!entry || entry.sig !== sig) {
        const node = messageNode(m, replies);
        // Images load after the message is placed: keep the newest in view.
        node.querySelectorAll("img").forEach(img => img.addEventListener("load", () => {
          if (page.stick) box.scrollTop = box.scrollHeight;
        }));
        if (entry) entry.node.replaceWith(node);
        entry = { sig, node };
        page.msgNodes.set(m.ts, entry);
      }
      const want = prev ? prev.nextSibling : box.firstChild;
      if (want !== entry.node) box.insertBefore(entry.node, want);
      prev = entry.node;
    });
    for (const [ts, entry] of page.msgNodes) {
      if (!keep.has(ts)) { entry.node.remove(); page.msgNodes.delete(ts); }
    }
    if (!ordered.length && !box.querySelector(".empty")) {
      box.append(el("div", "empty", "No messages yet. Type /sticker cat below."));
    } else if (ordered.length) {
      const e = box.querySelector(".empty");
      if (e) e.remove();
    }
    if (nearBottom) box.scrollTop = box.scrollHeight;
  }

  function messageNode(m, replies) {
    const st = page.st;
    const node = el("div", "msg");
    node.dataset.ts = m.ts;
    node.dataset.channel = m.channel;
    node.dataset.user = m.user;
    if (m.thread_ts && m.thread_ts !== m.ts) node.classList.add("reply");
    if (m.ephemeral) {
      node.classList.add("ephemeral");
      const note = el("div", "ephemeral-note");
      note.append(icon("eye", "eye"), el("span", "", "Only visible to you"));
      node.append(note);
    }
    const row = el("div", "msg-row");
    row.append(avatar(m));
    const body = el("div", "msg-body");
    const head = el("div", "msg-head");
    head.append(el("span", "msg-author", authorName(m)));
    if (m.bot || m.user === st.app.bot_user_id) head.append(el("span", "badge", "APP"));
    head.append(el("span", "msg-time", time(m.ts)));
    if (m.thread_ts && m.thread_ts !== m.ts) head.append(el("span", "msg-thread", "in thread"));
    body.append(head);
    const content = el("div", "msg-content");
    if (m.refused) {
      node.classList.add("refused");
      content.append(refusal(m.refused));
    } else if (m.blocks && m.blocks.length) {
      const ctx = ctxFor("message", {
        onAction: a => messageAction(m, a),
      });
      content.append(BK.renderBlocks(m.blocks, ctx));
    } else {
      const t = el("div", "msg-text mrkdwn");
      t.append(BK.mrkdwn(m.text, ctxFor("message")));
      content.append(t);
    }
    (m.files || []).forEach(f => content.append(fileNode(f)));
    if (m.edited) content.append(el("span", "edited", "(edited)"));
    body.append(content);
    const n = (replies[m.ts] || []).length;
    if (n) body.append(el("div", "thread-count", n + (n === 1 ? " reply" : " replies")));
    row.append(body);
    node.append(row);
    if (!m.ephemeral && !m.refused) {
      const hover = el("div", "msg-hover");
      const more = el("button", "more-actions");
      more.append(icon("dots"));
      more.type = "button";
      more.title = "More actions";
      more.addEventListener("click", ev => { ev.stopPropagation(); messageMenu(m, more); });
      hover.append(more);
      node.append(hover);
    }
    return node;
  }

  function refusal(r) {
    const box = el("div", "refusal");
    const head = el("div", "refusal-head");
    head.append(icon("warn", "refusal-icon"), el("span", "", "Slack refused this: "),
      el("code", "refusal-method", r.method), el("span", "", " answered "), el("code", "refusal-error", r.error));
    box.append(head);
    if (r.detail && r.detail.length) {
      const ul = el("ul", "refusal-detail");
      r.detail.forEach(d => ul.append(el("li", "", d)));
      box.append(ul);
    }
    box.append(el("div", "refusal-note", "Shown by the playground only: in Slack nobody sees this, and the app gets the error."));
    return box;
  }

  function fileNode(f) {
    const box = el("div", "file");
    if (/^image\//.test(f.mimetype)) {
      const img = el("img", "file-image");
      img.src = f.url;
      img.alt = f.name;
      box.append(img);
    }
    box.append(el("div", "file-name", f.title || f.name));
    return box;
  }

  async function messageAction(m, a) {
    if (a.confirm && !(await confirmDialog(a.confirm))) return;
    await call("/api/action", {
      user: page.me, channel: m.channel, ts: m.ts, block_id: a.block_id, action_id: a.action_id, input: a.input,
    }).catch(() => {});
  }

  // ------------------------------------------------------------------ menus

  function closeMenus() {
    document.querySelectorAll(".menu").forEach(m => {
      if (m.classList.contains("floating")) m.remove(); else m.hidden = true;
    });
  }
  document.addEventListener("click", closeMenus);
  // Escape closes a menu, else a modal (as the X does); a confirm dialog
  // handles its own.
  document.addEventListener("keydown", ev => {
    if (ev.key !== "Escape") return;
    if (document.querySelector(".menu.floating") || document.querySelector(".bk-overflow-menu:not([hidden])")) { closeMenus(); return; }
    if ($("dialog-layer").hidden && page.modal) closeView(page.modal, true);
  });

  function floatingMenu(anchor, title, items, empty) {
    closeMenus();
    const menu = el("div", "menu floating");
    menu.addEventListener("click", ev => ev.stopPropagation());
    if (title) menu.append(el("div", "menu-title", title));
    if (!items.length) menu.append(el("div", "menu-empty", empty));
    items.forEach(([label, sub, f, attrs]) => {
      const b = el("button", "menu-item");
      b.type = "button";
      b.append(el("span", "menu-label", label));
      if (sub) b.append(el("span", "menu-sub", sub));
      Object.entries(attrs || {}).forEach(([k, v]) => { b.dataset[k] = v; });
      b.addEventListener("click", () => { closeMenus(); f(); });
      menu.append(b);
    });
    document.body.append(menu);
    let r = anchor.getBoundingClientRect();
    if (!r.width && anchor.closest(".msg")) r = anchor.closest(".msg").getBoundingClientRect();
    const w = menu.offsetWidth, h = menu.offsetHeight;
    menu.style.left = Math.max(8, Math.min(window.innerWidth - w - 8, r.right - w)) + "px";
    const below = r.bottom + 4;
    menu.style.top = (below + h > window.innerHeight ? Math.max(8, r.top - h - 4) : below) + "px";
    return menu;
  }

  function messageMenu(m, anchor) {
    const st = page.st;
    const items = st.app.shortcuts.filter(s => s.type === "message").map(s => [s.name, st.app.name, () => {
      call("/api/shortcut", { user: page.me, callback_id: s.callback_id, channel: m.channel, ts: m.ts }).catch(() => {});
    }, { callbackId: s.callback_id }]);
    const menu = floatingMenu(anchor, "Message shortcuts", items, st.app.name + " has no message shortcuts (its manifest declares none).");
    menu.classList.add("message-menu");
  }

  function shortcutsMenu(anchor) {
    const st = page.st;
    const items = st.app.shortcuts.filter(s => s.type === "global").map(s => [s.name, s.description || st.app.name, () => {
      call("/api/shortcut", { user: page.me, callback_id: s.callback_id }).catch(() => {});
    }, { callbackId: s.callback_id }]);
    const menu = floatingMenu(anchor, "Shortcuts", items, st.app.name + " has no global shortcuts (its manifest declares none).");
    menu.classList.add("shortcuts-menu");
  }

  function userMenu(anchor) {
    const st = page.st;
    const items = st.users.map(u => [u.real_name + (u.id === st.me ? " ✓" : ""), "@" + u.name + (u.admin ? " · sticker admin" : " · member"), () => switchUser(u.id), { user: u.id }]);
    const menu = floatingMenu(anchor, "Act as", items, "");
    menu.classList.add("user-menu");
  }

  // -------------------------------------------------------------- composer

  let composerChannel = null;

  function renderComposer(channel) {
    const st = page.st;
    const comp = $("composer");
    composerChannel = channel;
    comp.hidden = !channel;
    if (!channel) return;
    const off = $("composer-off");
    const input = $("composer-input");
    const isApp = page.convo === "app";
    const disabled = isApp && !st.app.messages_tab;
    off.hidden = !disabled;
    off.textContent = disabled ? "Sending messages to this app has been turned off." : "";
    input.disabled = disabled;
    const c = channelsByID()[channel];
    input.placeholder = isApp ? "Message " + st.app.name : "Message #" + (c ? c.name : "");
  }

  function commandPopup() {
    const st = page.st;
    const input = $("composer-input");
    const popup = $("command-popup");
    const hint = $("usage-hint");
    const v = input.value;
    popup.hidden = true;
    hint.hidden = true;
    if (!st || !v.startsWith("/")) return;
    const word = v.split(/\s/)[0];
    const typingWord = !/\s/.test(v);
    const matches = st.app.commands.filter(c => c.command.startsWith(word));
    if (typingWord) {
      popup.textContent = "";
      popup.append(el("div", "popup-title", "Commands matching “" + word + "”"));
      if (!matches.length) popup.append(el("div", "popup-empty", "No commands match."));
      matches.forEach(c => {
        const b = el("button", "popup-item");
        b.type = "button";
        b.dataset.command = c.command;
        const line = el("div", "popup-line");
        line.append(el("b", "", c.command), el("span", "usage", " " + (c.usage_hint || "")));
        b.append(line, el("div", "popup-desc", c.description + " · " + st.app.name));
        b.addEventListener("click", () => { input.value = c.command + " "; input.focus(); commandPopup(); });
        popup.append(b);
      });
      popup.hidden = false;
    } else {
      const c = st.app.commands.find(x => x.command === word);
      if (c && c.usage_hint) {
        hint.textContent = "";
        hint.append(el("b", "", c.command), el("span", "", " " + c.usage_hint));
        hint.hidden = false;
      }
    }
  }

  async function send() {
    const input = $("composer-input");
    const text = input.value;
    if (!text.trim() || !composerChannel || input.disabled) return;
    input.value = "";
    autosize();
    commandPopup();
    page.stick = true;
    await call("/api/message", { user: page.me, channel: composerChannel, text }).catch(() => { input.value = text; });
  }

  function autosize() {
    const input = $("composer-input");
    input.style.height = "auto";
    input.style.height = Math.min(200, input.scrollHeight) + "px";
  }

  $("messages").addEventListener("scroll", () => {
    const box = $("messages");
    page.stick = box.scrollHeight - box.scrollTop - box.clientHeight < 80;
  });
  $("composer-input").addEventListener("input", () => { autosize(); commandPopup(); });
  $("composer-input").addEventListener("keydown", ev => {
    if (ev.key === "Enter" && !ev.shiftKey && !ev.isComposing) { ev.preventDefault(); send(); }
    if (ev.key === "Tab" && !$("command-popup").hidden) {
      const first = $("command-popup").querySelector(".popup-item");
      if (first) { ev.preventDefault(); first.click(); }
    }
    if (ev.key === "Escape") { $("command-popup").hidden = true; }
  });
  $("send-button").addEventListener("click", send);
  $("shortcuts-button").addEventListener("click", ev => { ev.stopPropagation(); shortcutsMenu($("shortcuts-button")); });
  $("user-switcher").addEventListener("click", ev => { ev.stopPropagation(); userMenu($("user-switcher")); });

  // ------------------------------------------------------------------ views

  // A view's render context collects its inputs, for submissions and for
  // clicks inside it.
  function viewContext(surface, view, onAction) {
    const inputs = [];
    const ctx = ctxFor(surface, {
      errors: view.errors || {},
      previous: page.viewValues[view.id] || {},
      register: (blockId, actionId, get, node) => inputs.push({ blockId, actionId, get, node }),
      onAction,
    });
    return { ctx, inputs };
  }

  function collect(inputs) {
    const state = {};
    inputs.forEach(i => {
      (state[i.blockId] = state[i.blockId] || {})[i.actionId] = i.get();
    });
    return state;
  }

  function remember(viewId, inputs) {
    const vals = {};
    inputs.forEach(i => { vals[i.blockId + "/" + i.actionId] = i.get(); });
    page.viewValues[viewId] = vals;
  }

  function renderHome() {
    const st = page.st;
    const box = $("home");
    const v = st.home;
    if (!v) {
      page.home = null;
      box.textContent = "";
      box.append(el("div", "empty", st.app.name + " has not published a Home tab for you yet."));
      return;
    }
    if (page.home && page.home.id === v.id && page.home.hash === v.hash && box.contains(page.home.node)) {
      updateErrors(page.home.node, v.errors);
      return;
    }
    if (page.home) remember(page.home.id, page.home.inputs);
    const spec = v.view || {};
    const holder = { id: v.id, hash: v.hash };
    const { ctx, inputs } = viewContext("home", v, a => viewAction(holder, a));
    holder.inputs = inputs;
    const node = BK.renderBlocks(spec.blocks || [], ctx);
    node.classList.add("home-view");
    node.dataset.viewId = v.id;
    holder.node = node;
    box.textContent = "";
    box.append(node);
    page.home = holder;
  }

  function renderAbout() {
    const st = page.st;
    const box = $("about");
    box.textContent = "";
    box.append(el("h2", "", st.app.name));
    const list = el("dl", "about-list");
    const row = (k, v) => { list.append(el("dt", "", k), el("dd", "", v)); };
    row("Slash commands", st.app.commands.map(c => c.command + " " + c.usage_hint).join("\n") || "none");
    row("Shortcuts", st.app.shortcuts.map(s => s.name + " (" + s.type + ", " + s.callback_id + ")").join("\n") || "none");
    row("Events", (st.app.bot_events || []).join(", ") || "none");
    row("App Home", (st.app.home_tab ? "Home tab on" : "Home tab off") + " · " + (st.app.messages_tab ? "Messages tab on" : "Messages tab off"));
    box.append(list, el("p", "about-note", "From the app's manifest.yaml, as Slack would read it."));
  }

  async function viewAction(holder, a) {
    if (a.confirm && !(await confirmDialog(a.confirm))) return;
    await call("/api/action", {
      user: page.me, view_id: holder.id, block_id: a.block_id, action_id: a.action_id, input: a.input, state: collect(holder.inputs),
    }).catch(() => {});
  }

  function updateErrors(node, errors) {
    errors = errors || {};
    node.querySelectorAll(".bk-input").forEach(b => {
      const id = b.dataset.blockId;
      const e = b.querySelector(".bk-field-error");
      const msg = errors[id] || b.dataset.localError || "";
      e.textContent = msg;
      e.hidden = !msg;
      b.classList.toggle("has-error", !!msg);
    });
  }

  function closeModalDOM() {
    const layer = $("modal-layer");
    layer.hidden = true;
    layer.textContent = "";
    page.modal = null;
  }

  function renderModal() {
    const st = page.st;
    const stack = st.modals || [];
    const top = stack[stack.length - 1];
    if (!top) {
      if (page.modal) remember(page.modal.id, page.modal.inputs);
      closeModalDOM();
      return;
    }
    if (page.modal && page.modal.id === top.id && page.modal.hash === top.hash) {
      page.modal.errors = top.errors || {};
      updateErrors(page.modal.node, top.errors);
      return;
    }
    if (page.modal) remember(page.modal.id, page.modal.inputs);
    const spec = top.view || {};
    const holder = { id: top.id, hash: top.hash };
    const { ctx, inputs } = viewContext("modal", top, a => viewAction(holder, a));
    holder.inputs = inputs;
    const modal = el("div", "modal");
    modal.dataset.viewId = top.id;
    modal.dataset.callbackId = spec.callback_id || "";
    modal.setAttribute("role", "dialog");
    const head = el("div", "modal-head");
    if (stack.length > 1) {
      const back = el("button", "modal-back", "‹");
      back.type = "button";
      back.title = "Back";
      back.addEventListener("click", () => closeView(holder, false));
      head.append(back);
    }
    head.append(appAvatar(true));
    head.append(BK.renderText(spec.title, ctx, "modal-title"));
    const x = el("button", "modal-x", "×");
    x.type = "button";
    x.title = "Close";
    x.addEventListener("click", () => closeView(holder, true));
    head.append(x);
    const body = el("div", "modal-body");
    body.append(BK.renderBlocks(spec.blocks || [], ctx));
    const problem = el("div", "modal-problem");
    problem.hidden = true;
    const foot = el("div", "modal-foot");
    const close = el("button", "modal-close");
    close.type = "button";
    close.append(BK.renderText(spec.close || { type: "plain_text", text: "Cancel" }, ctx));
    close.addEventListener("click", () => closeView(holder, false));
    foot.append(close);
    if (spec.submit) {
      const submit = el("button", "modal-submit primary");
      submit.type = "button";
      submit.append(BK.renderText(spec.submit, ctx));
      submit.addEventListener("click", () => submitView(holder, submit, problem));
      foot.append(submit);
    }
    modal.append(head, body, problem, foot);
    holder.node = modal;
    const layer = $("modal-layer");
    layer.textContent = "";
    layer.append(modal);
    layer.hidden = false;
    page.modal = holder;
  }

  async function closeView(holder, all) {
    await call("/api/close", { user: page.me, view_id: holder.id, all }).catch(() => {});
  }

  // Submitting checks what the Slack client checks (required fields,
  // minimum lengths, uploads still going) before sending anything.
  async function submitView(holder, button, problem) {
    const node = holder.node;
    let blocked = false;
    node.querySelectorAll(".bk-input").forEach(b => { delete b.dataset.localError; });
    holder.inputs.forEach(i => {
      const b = i.node.closest(".bk-input");
      if (!b) return;
      const v = i.get();
      const empty = (v.value === undefined || v.value === "") && !(v.selected && v.selected.length) && !(v.files && v.files.length);
      const optional = b.querySelector(".bk-optional");
      if (i.node.busy && i.node.busy()) { b.dataset.localError = "Wait for the upload to finish."; blocked = true; return; }
      if (empty && !optional) { b.dataset.localError = "Please complete this required field."; blocked = true; return; }
      const min = i.node.dataset.minLength;
      if (!empty && min && v.value && v.value.length < +min) { b.dataset.localError = "Please enter at least " + min + " characters."; blocked = true; }
    });
    updateErrors(node, {});
    if (blocked) return;
    button.disabled = true;
    button.classList.add("busy");
    problem.hidden = true;
    try {
      const r = await call("/api/submit", { user: page.me, view_id: holder.id, state: collect(holder.inputs) });
      if (r.outcome === "errors") updateErrors(node, r.errors);
      if (r.outcome === "failed") { problem.textContent = r.error || "We had some trouble connecting. Try again?"; problem.hidden = false; }
    } catch (e) {
      problem.textContent = e.message;
      problem.hidden = false;
    } finally {
      button.disabled = false;
      button.classList.remove("busy");
    }
  }

  // A button's confirm object: a dialog with its own buttons.
  function confirmDialog(c) {
    return new Promise(resolve => {
      const layer = $("dialog-layer");
      layer.textContent = "";
      const d = el("div", "dialog");
      const ctx = ctxFor("message");
      d.append(BK.renderText(c.title || { type: "plain_text", text: "Are you sure?" }, ctx, "dialog-title"));
      d.append(BK.renderText(c.text || { type: "plain_text", text: "" }, ctx, "dialog-text"));
      const foot = el("div", "dialog-foot");
      const deny = el("button", "dialog-deny");
      deny.type = "button";
      deny.append(BK.renderText(c.deny || { type: "plain_text", text: "Cancel" }, ctx));
      const ok = el("button", "dialog-confirm " + (c.style === "danger" ? "danger" : "primary"));
      ok.type = "button";
      ok.append(BK.renderText(c.confirm || { type: "plain_text", text: "Yes" }, ctx));
      const done = v => { layer.hidden = true; layer.textContent = ""; resolve(v); };
      deny.addEventListener("click", () => done(false));
      layer.addEventListener("keydown", ev => { if (ev.key === "Escape") { ev.stopPropagation(); done(false); } });
      ok.addEventListener("click", () => done(true));
      foot.append(deny, ok);
      d.append(foot);
      layer.append(d);
      layer.hidden = false;
      deny.focus();
    });
  }

  // ------------------------------------------------------------------ start

  window.addEventListener("hashchange", () => {
    const before = page.me;
    readHash();
    if (page.me !== before) { const id = page.me; page.me = before; switchUser(id); } else render();
  });
  readHash();
  connect();
})();
