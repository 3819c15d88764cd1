// The account page: a token just created is shown once (with its row added to the list); the password
// form is emptied once the password has changed.

import { refreshTimes } from "./page.js";

const table = document.getElementById("tokens");
const template = document.getElementById("token-row-template");
const shown = document.getElementById("new-token");

function addRow(token) {
  const row = template.content.firstElementChild.cloneNode(true);
  row.dataset.tokenId = String(token.id);
  row.querySelector("[data-field=name]").textContent = token.name;
  row.querySelector("time[data-field=created]").dataset.ts = String(token.created);
  if (token.expires) row.querySelector("[data-field=expires]").textContent = new Date(token.expires * 1000).toLocaleDateString();
  row.querySelector("button[data-path]").dataset.path = `/api/user/tokens/${token.id}`;
  table.tBodies[0].appendChild(row);
  table.hidden = false;
  document.getElementById("no-tokens")?.remove();
  refreshTimes(row);
}

document.getElementById("add-token").addEventListener("api:done", (event) => {
  const token = event.detail;
  addRow(token);
  shown.querySelector("[data-field=name]").textContent = token.name;
  shown.querySelector("[data-field=token]").textContent = token.token;
  shown.hidden = false;
  event.target.reset();
});

document.getElementById("change-password").addEventListener("api:done", (event) => event.target.reset());
