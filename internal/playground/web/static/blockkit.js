// Block Kit and mrkdwn to DOM, the way the Slack client shows them.
//
// Everything is built with createElement and textContent: text from the
// app or a person is never parsed as HTML, so "<b>" or "&lt;!channel&gt;"
// is shown as the characters it is.
//
// window.BlockKit = {renderBlocks, renderText, mrkdwn, decode, imageSrc}.
// A render context (ctx) gives what blocks need from the page:
//   users, channels    maps from ID to {name}
//   app                {bot_user_id, name}
//   surface            "message", "modal" or "home"
//   errors             field errors by block_id (views)
//   previous           values typed before a view update, by "block/action"
//   register(b, a, get) an input element's value getter, for submissions
//   onAction({block_id, action_id, input, confirm})  an element was used
//   upload(file)       Promise of a File {id, name, ...} (file_input)
"use strict";

(function () {
  function el(tag, cls, text) {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = text;
    return e;
  }

  // Slack escapes &, < and > in text it stores; show the characters.
  function decode(s) {
    return String(s).replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&amp;/g, "&");
  }

  const emoji = {
    tada: "🎉", wave: "👋", smile: "😄", slightly_smiling_face: "🙂", heart: "❤️", fire: "🔥",
    thumbsup: "👍", "+1": "👍", sparkles: "✨", warning: "⚠️", white_check_mark: "✅", x: "❌",
    mag: "🔍", eyes: "👀", rocket: "🚀", sticker: "🏷️", frame_with_picture: "🖼️", star: "⭐",
    point_right: "👉", bulb: "💡", wrench: "🔧", lock: "🔒", pencil2: "✏️", wastebasket: "🗑️",
    arrow_right: "➡️", arrow_left: "⬅️", clock1: "🕐", cat: "🐱", dog: "🐶", party_popper: "🎉",
  };

  function emojify(s) {
    return s.replace(/:([a-z0-9_+\-]+):/g, (m, name) => emoji[name] || m);
  }

  function safeURL(u) {
    try {
      const p = new URL(u);
      if (p.protocol === "http:" || p.protocol === "https:" || p.protocol === "mailto:") return p.href;
    } catch (e) { /* not a URL */ }
    return null;
  }

  // A <…> control sequence: mentions, broadcasts, links.
  function special(body, ctx) {
    const bar = body.indexOf("|");
    const target = bar >= 0 ? body.slice(0, bar) : body;
    const label = bar >= 0 ? body.slice(bar + 1) : "";
    if (target.startsWith("@")) {
      const id = target.slice(1);
      let name = label;
      if (!name) {
        if (ctx.app && id === ctx.app.bot_user_id) name = ctx.app.name;
        else if (ctx.users && ctx.users[id]) name = ctx.users[id].name;
        else name = id;
      }
      const m = el("span", "mention", "@" + decode(name));
      m.dataset.user = id;
      return m;
    }
    if (target.startsWith("#")) {
      const id = target.slice(1);
      let name = label || (ctx.channels && ctx.channels[id] ? ctx.channels[id].name : id);
      const m = el("span", "mention", "#" + decode(name));
      m.dataset.channel = id;
      return m;
    }
    if (target.startsWith("!")) {
      const cmd = target.slice(1);
      if (cmd === "here" || cmd === "channel" || cmd === "everyone") return el("span", "mention broadcast", "@" + cmd);
      if (cmd.startsWith("subteam^")) return el("span", "mention", decode(label || "@group"));
      if (cmd.startsWith("date^")) return document.createTextNode(decode(label || cmd));
      return document.createTextNode(decode(label || cmd));
    }
    const href = safeURL(decode(target));
    if (!href) return document.createTextNode(decode(label || target));
    const a = el("a", "link", decode(label || target));
    a.href = href;
    a.target = "_blank";
    a.rel = "noopener noreferrer";
    return a;
  }

  // Inline mrkdwn: `code`, <specials>, *bold*, _italic_, ~strike~ (which
  // nest), as Slack reads them: markers not glued to a word on the outside,
  // nor to a space on the inside.
  const inlineRules = [
    { kind: "code", re: /`([^`\n]+)`/g },
    { kind: "special", re: /<([^<>\n]+)>/g },
    { kind: "b", re: /(?<![\p{L}\p{N}*])\*(?!\s)([^*\n]+?)(?<!\s)\*(?![\p{L}\p{N}*])/gu },
    { kind: "i", re: /(?<![\p{L}\p{N}_])_(?!\s)([^_\n]+?)(?<!\s)_(?![\p{L}\p{N}_])/gu },
    { kind: "s", re: /(?<![\p{L}\p{N}~])~(?!\s)([^~\n]+?)(?<!\s)~(?![\p{L}\p{N}~])/gu },
  ];

  function inline(text, ctx, into) {
    let pos = 0;
    while (pos < text.length) {
      let best = null;
      for (const r of inlineRules) {
        r.re.lastIndex = pos;
        const m = r.re.exec(text);
        if (m && (!best || m.index < best.m.index)) best = { r, m };
      }
      if (!best) break;
      if (best.m.index > pos) into.append(emojify(decode(text.slice(pos, best.m.index))));
      const inner = best.m[1];
      switch (best.r.kind) {
        case "code": into.append(el("code", "mk-code", decode(inner))); break;
        case "special": into.append(special(inner, ctx)); break;
        default: {
          const tag = { b: "b", i: "i", s: "s" }[best.r.kind];
          const e = el(tag, "mk-" + best.r.kind);
          inline(inner, ctx, e);
          into.append(e);
        }
      }
      pos = best.m.index + best.m[0].length;
    }
    if (pos < text.length) into.append(emojify(decode(text.slice(pos))));
  }

  // Lines: "&gt; " at the start of a line quotes it; other lines are
  // joined with line breaks.
  function lines(text, ctx, into) {
    const ls = text.split("\n");
    let quote = null;
    let first = true;
    for (const line of ls) {
      const q = /^&gt;\s?(.*)$/.exec(line);
      if (q) {
        if (!quote) { quote = el("blockquote", "mk-quote"); into.append(quote); }
        else quote.append(el("br"));
        inline(q[1], ctx, quote);
        first = true;
        continue;
      }
      quote = null;
      if (!first) into.append(el("br"));
      inline(line, ctx, into);
      first = false;
    }
  }

  // mrkdwn text (as stored by Slack) to a fragment.
  function mrkdwn(text, ctx) {
    const frag = document.createDocumentFragment();
    const parts = String(text || "").split("```");
    parts.forEach((p, i) => {
      const fenced = i % 2 === 1 && i < parts.length - 1;
      if (fenced) {
        frag.append(el("pre", "mk-pre", decode(p.replace(/^\n/, ""))));
      } else {
        lines(i % 2 === 1 ? "```" + p : p, ctx, frag);
      }
    });
    return frag;
  }

  // A text object: mrkdwn, or plain_text shown as it is.
  function renderText(t, ctx, cls) {
    const span = el("span", cls || "bk-text");
    if (!t) return span;
    if (t.type === "mrkdwn") {
      span.classList.add("mrkdwn");
      span.append(mrkdwn(t.text, ctx));
    } else {
      span.textContent = t.emoji === false ? String(t.text || "") : emojify(String(t.text || ""));
    }
    return span;
  }

  // Where the page loads an image from: a slack_file by ID or by its
  // url_private (the simulator serves it), or an image_url.
  function imageSrc(o) {
    if (o.slack_file) {
      if (o.slack_file.id) return "/files/" + encodeURIComponent(o.slack_file.id);
      const m = /-(F[A-Z0-9]+)\//.exec(o.slack_file.url || "");
      if (m) return "/files/" + m[1];
      return "";
    }
    return safeURL(o.image_url || "") || "";
  }

  function image(o, cls) {
    const img = el("img", cls);
    img.alt = o.alt_text || "";
    img.loading = "eager";
    const src = imageSrc(o);
    img.addEventListener("error", () => {
      const broken = el("div", cls + " broken", "Image unavailable: " + (o.alt_text || src));
      img.replaceWith(broken);
    });
    if (src) img.src = src; else img.dispatchEvent(new Event("error"));
    return img;
  }

  function optionText(o) { return o && o.text ? String(o.text.text || "") : ""; }

  function allOptions(e) {
    const out = [];
    (e.options || []).forEach(o => out.push(o));
    (e.option_groups || []).forEach(g => (g.options || []).forEach(o => out.push(o)));
    return out;
  }

  // Options of a select, as [value, label], with the page's users and
  // conversations for users_select and conversations_select.
  function selectOptions(e, ctx) {
    const t = e.type.replace(/^multi_/, "");
    if (t === "users_select") {
      return Object.entries(ctx.users || {}).map(([id, u]) => [id, u.real_name ? u.real_name + " (" + u.name + ")" : u.name]);
    }
    if (t === "conversations_select" || t === "channels_select") {
      return Object.entries(ctx.channels || {})
        .filter(([, c]) => t !== "channels_select" || c.kind === "channel")
        .map(([id, c]) => [id, c.kind === "app" ? c.name : "#" + c.name]);
    }
    return allOptions(e).map(o => [o.value, optionText(o)]);
  }

  function initialSelected(e) {
    const t = e.type;
    if (e.initial_option) return [e.initial_option.value];
    if (e.initial_options) return e.initial_options.map(o => o.value);
    if (e.initial_user) return [e.initial_user];
    if (e.initial_users) return e.initial_users;
    if (e.initial_conversation) return [e.initial_conversation];
    if (e.initial_conversations) return e.initial_conversations;
    if (e.initial_channel) return [e.initial_channel];
    if (e.initial_channels) return e.initial_channels;
    if (t === "conversations_select" && e.default_to_current_conversation && e._current) return [e._current];
    return [];
  }

  // A select (static, users, conversations; single or multi) as <select>.
  function select(e, ctx, onChange, prev) {
    const multi = e.type.startsWith("multi_");
    const s = el("select", "bk-select");
    s.multiple = multi;
    if (e.action_id) s.dataset.actionId = e.action_id;
    if (!multi) {
      const ph = el("option", "placeholder", e.placeholder ? e.placeholder.text : "Select an item");
      ph.value = "";
      s.append(ph);
    }
    const chosen = prev && prev.selected ? prev.selected : initialSelected(e);
    const groups = e.option_groups && !e.type.match(/users|conversations|channels/);
    const add = (parent, value, label) => {
      const o = el("option", "", label);
      o.value = value;
      if (chosen.includes(value)) o.selected = true;
      parent.append(o);
    };
    if (groups) {
      e.option_groups.forEach(g => {
        const og = el("optgroup");
        og.label = optionText({ text: g.label });
        (g.options || []).forEach(o => add(og, o.value, optionText(o)));
        s.append(og);
      });
    } else {
      selectOptions(e, ctx).forEach(([v, l]) => add(s, v, l));
    }
    if (onChange) s.addEventListener("change", () => onChange({ selected: selectedOf(s) }));
    return s;
  }

  function selectedOf(s) {
    return Array.from(s.selectedOptions).map(o => o.value).filter(v => v !== "");
  }

  // Radio buttons and checkboxes.
  function choices(e, onChange, prev) {
    const box = el("div", "bk-choices");
    const type = e.type === "checkboxes" ? "checkbox" : "radio";
    const name = "c" + Math.random().toString(36).slice(2);
    const chosen = prev && prev.selected ? prev.selected : initialSelected(e);
    (e.options || []).forEach(o => {
      const l = el("label", "bk-choice");
      const i = el("input");
      i.type = type;
      i.name = name;
      i.value = o.value;
      i.checked = chosen.includes(o.value);
      l.append(i, renderText(o.text, {}));
      if (o.description) l.append(el("span", "bk-choice-desc", o.description.text));
      box.append(l);
      if (onChange) i.addEventListener("change", () => onChange({ selected: checkedOf(box) }));
    });
    return box;
  }

  function checkedOf(box) {
    return Array.from(box.querySelectorAll("input:checked")).map(i => i.value);
  }

  function button(e, ctx, blockId) {
    const b = el("button", "bk-button");
    if (e.style === "primary" || e.style === "danger") b.classList.add(e.style);
    b.type = "button";
    b.dataset.actionId = e.action_id || "";
    b.dataset.blockId = blockId || "";
    b.append(renderText(e.text, ctx));
    b.addEventListener("click", () => {
      if (e.url) {
        const href = safeURL(e.url);
        if (href) window.open(href, "_blank", "noopener");
      }
      ctx.onAction({ block_id: blockId, action_id: e.action_id, confirm: e.confirm, element: b });
    });
    return b;
  }

  function overflow(e, ctx, blockId) {
    const wrap = el("span", "bk-overflow");
    const b = el("button", "bk-button bk-overflow-button", "⋯");
    b.type = "button";
    b.title = "More options";
    b.dataset.actionId = e.action_id || "";
    const menu = el("div", "menu bk-overflow-menu");
    menu.hidden = true;
    (e.options || []).forEach(o => {
      const item = el("button", "menu-item", optionText(o));
      item.type = "button";
      item.dataset.value = o.value;
      item.addEventListener("click", ev => {
        ev.stopPropagation();
        menu.hidden = true;
        ctx.onAction({ block_id: blockId, action_id: e.action_id, input: { selected: [o.value] }, confirm: e.confirm, element: b });
      });
      menu.append(item);
    });
    // The page closes every open .menu on any other click.
    b.addEventListener("click", ev => { ev.stopPropagation(); menu.hidden = !menu.hidden; });
    wrap.append(b, menu);
    return wrap;
  }

  // An interactive element outside an input block (actions, accessory).
  function element(e, ctx, blockId) {
    if (!e || typeof e !== "object") return el("span");
    const dispatch = input => ctx.onAction({ block_id: blockId, action_id: e.action_id, input, confirm: e.confirm });
    switch (e.type) {
      case "button": return button(e, ctx, blockId);
      case "image": return image(e, "bk-accessory-image");
      case "overflow": return overflow(e, ctx, blockId);
      case "static_select": case "external_select": case "users_select": case "conversations_select":
      case "channels_select": case "multi_static_select": case "multi_users_select":
      case "multi_conversations_select": case "multi_channels_select": {
        const s = select(e, ctx, dispatch);
        s.dataset.blockId = blockId || "";
        return s;
      }
      case "radio_buttons": case "checkboxes": return choices(e, dispatch);
      case "datepicker": case "timepicker": {
        const i = el("input", "bk-input-control");
        i.type = e.type === "datepicker" ? "date" : "time";
        i.value = e.initial_date || e.initial_time || "";
        i.dataset.actionId = e.action_id || "";
        i.addEventListener("change", () => dispatch({ value: i.value }));
        return i;
      }
      default:
        return el("span", "bk-unsupported", "[" + e.type + "]");
    }
  }

  // File input: choose or drop files; they are uploaded at once (as the
  // Slack client does) and submitted by ID.
  function fileInput(e, ctx, blockId, prev) {
    const box = el("div", "bk-file-input");
    const files = prev && prev.files ? prev.files.map(id => ({ id, name: (ctx.fileNames || {})[id] || id })) : [];
    const max = e.max_files || 10;
    const types = (e.filetypes || []).map(t => t.toLowerCase());
    const drop = el("label", "bk-file-drop");
    const pick = el("input");
    pick.type = "file";
    pick.multiple = max > 1;
    if (types.length) pick.accept = types.map(t => "." + t).join(",");
    pick.dataset.actionId = e.action_id || "";
    const note = el("span", "bk-file-note", "Drag and drop or click to upload" + (types.length ? " (" + types.join(", ") + ")" : ""));
    drop.append(pick, note);
    const list = el("div", "bk-file-list");
    const problem = el("div", "bk-file-problem");
    const draw = () => {
      list.textContent = "";
      files.forEach((f, i) => {
        const chip = el("div", "bk-file-chip");
        chip.dataset.fileId = f.id;
        chip.append(el("span", "bk-file-icon"), el("span", "bk-file-name", f.name));
        if (f.uploading) chip.append(el("span", "bk-file-state", "uploading…"));
        const x = el("button", "bk-file-remove", "×");
        x.type = "button";
        x.title = "Remove";
        x.addEventListener("click", () => { files.splice(i, 1); draw(); });
        chip.append(x);
        list.append(chip);
      });
      drop.hidden = files.length >= max;
    };
    const add = async fl => {
      problem.textContent = "";
      for (const f of Array.from(fl)) {
        if (files.length >= max) { problem.textContent = "You can upload at most " + max + " file" + (max > 1 ? "s" : "") + "."; break; }
        const ext = (f.name.split(".").pop() || "").toLowerCase();
        if (types.length && !types.includes(ext)) { problem.textContent = f.name + ": this file type isn't allowed here."; continue; }
        const entry = { id: "", name: f.name, uploading: true };
        files.push(entry);
        draw();
        try {
          const up = await ctx.upload(f);
          entry.id = up.id;
          entry.uploading = false;
          (ctx.fileNames = ctx.fileNames || {})[up.id] = up.name;
        } catch (err) {
          files.splice(files.indexOf(entry), 1);
          problem.textContent = f.name + ": " + err.message;
        }
        draw();
      }
      pick.value = "";
    };
    pick.addEventListener("change", () => add(pick.files));
    drop.addEventListener("dragover", ev => { ev.preventDefault(); drop.classList.add("over"); });
    drop.addEventListener("dragleave", () => drop.classList.remove("over"));
    drop.addEventListener("drop", ev => { ev.preventDefault(); drop.classList.remove("over"); add(ev.dataTransfer.files); });
    box.append(drop, list, problem);
    draw();
    box.getValue = () => ({ files: files.filter(f => f.id).map(f => f.id) });
    box.busy = () => files.some(f => f.uploading);
    return box;
  }

  // The control of an input block, registered so the view can be submitted.
  function inputControl(e, ctx, blockId, dispatchAction) {
    const key = blockId + "/" + e.action_id;
    const prev = ctx.previous ? ctx.previous[key] : undefined;
    const act = input => ctx.onAction({ block_id: blockId, action_id: e.action_id, input });
    let node, get;
    switch (e.type) {
      case "plain_text_input": case "number_input": case "email_text_input": case "url_text_input": {
        node = e.multiline ? el("textarea", "bk-input-control") : el("input", "bk-input-control");
        if (!e.multiline) node.type = { number_input: "number", email_text_input: "email", url_text_input: "url" }[e.type] || "text";
        if (e.placeholder) node.placeholder = e.placeholder.text;
        if (e.max_length) node.maxLength = e.max_length;
        if (e.min_length) node.dataset.minLength = e.min_length;
        node.value = prev && prev.value !== undefined ? prev.value : (e.initial_value || "");
        get = () => (node.value === "" ? {} : { value: node.value });
        if (dispatchAction) {
          const on = (e.dispatch_action_config && e.dispatch_action_config.trigger_actions_on) || ["on_enter_pressed"];
          if (on.includes("on_enter_pressed")) {
            node.addEventListener("keydown", ev => { if (ev.key === "Enter" && !e.multiline) { ev.preventDefault(); act(get()); } });
          }
          if (on.includes("on_character_entered")) {
            let timer = null;
            node.addEventListener("input", () => { clearTimeout(timer); timer = setTimeout(() => act(get()), 250); });
          }
        }
        break;
      }
      case "file_input":
        node = fileInput(e, ctx, blockId, prev);
        get = node.getValue;
        break;
      case "radio_buttons": case "checkboxes":
        node = choices(e, dispatchAction ? act : null, prev);
        get = () => ({ selected: checkedOf(node) });
        break;
      case "datepicker": case "timepicker": {
        node = el("input", "bk-input-control");
        node.type = e.type === "datepicker" ? "date" : "time";
        node.value = prev && prev.value !== undefined ? prev.value : (e.initial_date || e.initial_time || "");
        get = () => (node.value === "" ? {} : { value: node.value });
        if (dispatchAction) node.addEventListener("change", () => act(get()));
        break;
      }
      default:
        if (/select$/.test(e.type)) {
          node = select(e, ctx, dispatchAction ? act : null, prev);
          get = () => ({ selected: selectedOf(node) });
          break;
        }
        node = el("span", "bk-unsupported", "[" + e.type + "]");
        get = () => ({});
    }
    node.dataset.actionId = e.action_id || "";
    node.dataset.blockId = blockId;
    if (ctx.register) ctx.register(blockId, e.action_id, get, node);
    return node;
  }

  function richText(b, ctx) {
    const box = el("div", "bk-rich-text");
    const inlineEls = (els, into) => (els || []).forEach(x => {
      let n;
      switch (x.type) {
        case "text": n = el("span", "", x.text); break;
        case "link": { const h = safeURL(x.url); n = h ? el("a", "link", x.text || x.url) : el("span", "", x.text || x.url); if (h) { n.href = h; n.target = "_blank"; n.rel = "noopener noreferrer"; } break; }
        case "user": n = el("span", "mention", "@" + ((ctx.users && ctx.users[x.user_id]) ? ctx.users[x.user_id].name : x.user_id)); break;
        case "channel": n = el("span", "mention", "#" + ((ctx.channels && ctx.channels[x.channel_id]) ? ctx.channels[x.channel_id].name : x.channel_id)); break;
        case "emoji": n = el("span", "", x.unicode ? String.fromCodePoint(...x.unicode.split("-").map(h => parseInt(h, 16))) : ":" + x.name + ":"); break;
        case "broadcast": n = el("span", "mention broadcast", "@" + x.range); break;
        default: n = el("span", "", "");
      }
      const st = x.style || {};
      if (st.bold) n.classList.add("mk-b-style");
      if (st.italic) n.classList.add("mk-i-style");
      if (st.strike) n.classList.add("mk-s-style");
      if (st.code) n.classList.add("mk-code");
      into.append(n);
    });
    (b.elements || []).forEach(sec => {
      switch (sec.type) {
        case "rich_text_section": { const d = el("div"); inlineEls(sec.elements, d); box.append(d); break; }
        case "rich_text_preformatted": { const p = el("pre", "mk-pre"); inlineEls(sec.elements, p); box.append(p); break; }
        case "rich_text_quote": { const q = el("blockquote", "mk-quote"); inlineEls(sec.elements, q); box.append(q); break; }
        case "rich_text_list": {
          const l = el(sec.style === "ordered" ? "ol" : "ul");
          (sec.elements || []).forEach(item => { const li = el("li"); inlineEls(item.elements, li); l.append(li); });
          box.append(l);
          break;
        }
      }
    });
    return box;
  }

  function block(b, ctx) {
    const id = b.block_id || "";
    let node;
    switch (b.type) {
      case "section": {
        node = el("div", "bk-section");
        const body = el("div", "bk-section-body");
        if (b.text) body.append(renderText(b.text, ctx, "bk-section-text"));
        if (b.fields) {
          const grid = el("div", "bk-fields");
          b.fields.forEach(f => grid.append(renderText(f, ctx, "bk-field")));
          body.append(grid);
        }
        node.append(body);
        if (b.accessory) {
          const acc = el("div", "bk-accessory");
          acc.append(element(b.accessory, ctx, id));
          node.append(acc);
        }
        break;
      }
      case "divider": node = el("hr", "bk-divider"); break;
      case "header": node = el("div", "bk-header"); node.append(renderText(b.text, ctx)); break;
      case "image": {
        node = el("figure", "bk-image");
        if (b.title) node.append(renderText(b.title, ctx, "bk-image-title"));
        node.append(image(b, "bk-image-img"));
        break;
      }
      case "context": {
        node = el("div", "bk-context");
        (b.elements || []).forEach(x => node.append(x.type === "image" ? image(x, "bk-context-image") : renderText(x, ctx, "bk-context-text")));
        break;
      }
      case "actions": {
        node = el("div", "bk-actions");
        (b.elements || []).forEach(x => node.append(element(x, ctx, id)));
        break;
      }
      case "input": {
        node = el("div", "bk-input");
        const label = el("label", "bk-label");
        label.append(renderText(b.label, ctx));
        if (b.optional) label.append(el("span", "bk-optional", " (optional)"));
        node.append(label);
        node.append(inputControl(b.element || {}, ctx, id, !!b.dispatch_action));
        if (b.hint) node.append(renderText(b.hint, ctx, "bk-hint"));
        const err = ctx.errors && ctx.errors[id];
        const e = el("div", "bk-field-error", err || "");
        e.dataset.blockId = id;
        e.hidden = !err;
        if (err) node.classList.add("has-error");
        node.append(e);
        break;
      }
      case "rich_text": node = richText(b, ctx); break;
      case "markdown": node = el("div", "bk-markdown", String(b.text || "")); break;
      default:
        node = el("div", "bk-unsupported", "This " + (b.type || "unknown") + " block isn't shown in the playground.");
    }
    node.classList.add("bk-block");
    node.dataset.blockType = b.type || "";
    node.dataset.blockId = id;
    return node;
  }

  function renderBlocks(blocks, ctx) {
    const box = el("div", "bk-blocks");
    (blocks || []).forEach(b => {
      try { box.append(block(b, ctx)); } catch (err) {
        box.append(el("div", "bk-unsupported", "Cannot show a " + (b && b.type) + " block: " + err.message));
      }
    });
    return box;
  }

  window.BlockKit = { renderBlocks, renderText, mrkdwn, decode, imageSrc };
})();
