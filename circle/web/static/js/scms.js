// The code hosts page: filter the listed repositories as you type.

const filter = document.getElementById("repo-filter");

if (filter) {
  filter.addEventListener("input", () => {
    const wanted = filter.value.trim().toLowerCase();
    for (const item of document.querySelectorAll(".remote-repos li")) {
      item.hidden = Boolean(wanted) && !item.dataset.fullName.toLowerCase().includes(wanted);
    }
  });
}
