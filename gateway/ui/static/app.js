// The admin UI's only script: confirmations, live events, and busy buttons. Pages work without it.
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
  }
});

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

document.addEventListener("DOMContentLoaded", () => {
  const list = document.querySelector("[data-events]");
  if (list) {
    startEvents(list);
  }
});
