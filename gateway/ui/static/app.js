// The admin UI's only script: confirmations, live events, busy buttons and the phone menu.
// Pages work without it.
"use strict";

document.addEventListener("submit", (event) => {
  const form = event.target;
  const submitter = event.submitter;
  const question = (submitter && submitter.dataset.confirm) || form.dataset.confirm;
  if (question && !window.confirm(question)) {
    event.preventDefault();
    return;
  }
  const busy = form.querySelector("[data-busy]");
  if (busy) {
    busy.hidden = false;
    form.setAttribute("aria-busy", "true");
    // Disabled after this tick, so the clicked button's own value is still sent.
    setTimeout(() => form.querySelectorAll("button").forEach((b) => { b.disabled = true; }), 0);
  }
});

function showUnread(count) {
  document.querySelectorAll("[data-unread]").forEach((badge) => {
    badge.textContent = String(count);
    badge.classList.toggle("zero", count === 0);
  });
}

function toast(item) {
  const box = document.querySelector("[data-toasts]");
  if (!box) {
    return;
  }
  const note = document.createElement("a");
  note.className = "toast";
  note.href = item.link || "/inbox";
  const title = document.createElement("strong");
  title.textContent = item.title;
  const body = document.createElement("span");
  body.textContent = item.body;
  note.append(title, body);
  box.append(note);
  setTimeout(() => note.remove(), 8000);
}

function addToInbox(item) {
  const list = document.querySelector("[data-inbox]");
  if (!list || list.querySelector(`[data-id="${item.id}"]`)) {
    return;
  }
  const row = document.createElement("li");
  row.className = "unread";
  row.dataset.id = item.id;
  row.dataset.testid = "notification";
  const link = document.createElement("a");
  link.href = item.link;
  link.textContent = item.title;
  const body = document.createElement("p");
  body.textContent = item.body;
  row.append(link, body);
  list.prepend(row);
  const empty = document.querySelector("[data-inbox-empty]");
  if (empty) {
    empty.remove();
  }
}

function startNotifications(link) {
  const source = new EventSource(link.dataset.stream);
  source.addEventListener("unread", (message) => showUnread(JSON.parse(message.data).unread));
  source.addEventListener("notification", (message) => {
    const item = JSON.parse(message.data);
    addToInbox(item);
    toast(item);
  });
}

function startEvents(list) {
  const status = document.querySelector("[data-live-status]");
  const source = new EventSource(list.dataset.events);
  source.onopen = () => status && status.classList.add("on");
  source.onerror = () => status && status.classList.remove("on");
  source.addEventListener("event", (message) => {
    const item = JSON.parse(message.data);
    const row = document.createElement("li");
    const time = document.createElement("time");
    time.textContent = item.time;
    row.append(time, document.createTextNode(item.text));
    list.prepend(row);
    while (list.children.length > 50) {
      list.lastElementChild.remove();
    }
    const empty = document.querySelector("[data-events-empty]");
    if (empty) {
      empty.remove();
    }
  });
}

// A box that scrolls must take the keyboard's focus and be named for it (WCAG 2.1.1): a wide
// table on a narrow screen, the live events list, the pipeline board.
function focusableScrollers() {
  document.querySelectorAll(".table-wrap, .board, .events").forEach((box) => {
    if (box.hasAttribute("tabindex")) {
      return;
    }
    if (box.scrollWidth <= box.clientWidth && box.scrollHeight <= box.clientHeight) {
      return;
    }
    box.tabIndex = 0;
    if (!box.hasAttribute("aria-label") && !box.hasAttribute("aria-labelledby")) {
      const section = box.closest("section, article");
      const caption = box.querySelector("caption") || (section && section.querySelector("h2, h3"));
      const named = caption || document.querySelector("h1");
      if (named) {
        // A list keeps its own role (its items need it); a plain box becomes a named region.
        if (box.tagName === "DIV") {
          box.setAttribute("role", "region");
        }
        box.setAttribute("aria-label", named.textContent.trim());
      }
    }
  });
}

// The menu is open in the page so that it works without script; on a phone it folds behind its
// button, and it is kept open wherever the button is not shown.
const PHONE = window.matchMedia("(max-width: 640px)");

function foldMenu() {
  const menu = document.querySelector("[data-menu]");
  if (menu) {
    menu.open = !PHONE.matches;
  }
}

PHONE.addEventListener("change", foldMenu);

document.addEventListener("DOMContentLoaded", () => {
  foldMenu();
  focusableScrollers();
  const list = document.querySelector("[data-events]");
  if (list) {
    startEvents(list);
  }
  const inbox = document.querySelector("[data-stream]");
  if (inbox) {
    startNotifications(inbox);
  }
});
