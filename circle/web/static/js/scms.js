// The code hosts page: filter the listed repositories as you type; the registration form shows the fields
// the chosen kind takes (a local SCM is a directory on this server: no credentials, no https address).

const filter = document.getElementById("repo-filter");

if (filter) {
  filter.addEventListener("input", () => {
    const wanted = filter.value.trim().toLowerCase();
    for (const item of document.querySelectorAll(".remote-repos li")) {
      item.hidden = Boolean(wanted) && !item.dataset.fullName.toLowerCase().includes(wanted);
    }
  });
}

const form = document.getElementById("register-scm");

// Hide (and leave out of the body) the credentials of a local SCM; give the URL field the kind's example.
function showKindFields() {
  const local = form.elements.kind.value === "local";
  const credentials = form.querySelector(".credentials");
  credentials.hidden = local;
  for (const field of credentials.querySelectorAll("input")) field.disabled = local;
  const url = form.elements.url;
  url.placeholder = local ? url.dataset.placeholderLocal : url.dataset.placeholderForge;
}

if (form) {
  form.elements.kind.addEventListener("change", showKindFields);
  showKindFields();
  document.getElementById("register-cancel")?.addEventListener("click", () => {
    form.reset();
    showKindFields();
    form.closest("details").open = false;
  });
}
