// Live preview for the manual editor: the server renders with the same sanitiser trainees get.
const form = document.getElementById("draft-form");
const source = form?.querySelector("textarea");
const preview = document.getElementById("preview");
const status = document.getElementById("preview-status");
let timer = null;
let latest = 0;

async function refresh() {
  const ticket = ++latest;
  const body = new FormData();
  body.append("markdown", source.value);
  body.append("csrf_token", form.querySelector("input[name=csrf_token]").value);
  status.textContent = "Updating preview…";
  try {
    const response = await fetch(form.dataset.previewUrl, { method: "POST", body });
    const refused = response.status === 422; // too large to preview: the reasons come instead
    if (!response.ok && !refused) throw new Error(`HTTP ${response.status}`);
    const html = await response.text();
    if (ticket !== latest) return; // a newer request is on its way
    preview.innerHTML = html; // sanitised on the server
    status.textContent = refused ? "Preview not shown: the manual is over a limit (see below)." : "Preview up to date.";
  } catch (error) {
    if (ticket === latest) status.textContent = `Preview not updated (${error.message}). Your text is safe; save the draft when you are back online.`;
  }
}

if (form && source && preview) {
  source.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(refresh, 400);
  });
  form.querySelector("button[value=preview]")?.addEventListener("click", (event) => {
    event.preventDefault();
    refresh();
  });
}
