// "Mark as read" without leaving the page; without JavaScript the forms post and come back.
for (const form of document.querySelectorAll("form.mark-read")) {
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = form.querySelector("button");
    button.disabled = true;
    try {
      const response = await fetch(form.action, {
        method: "POST",
        body: new FormData(form),
        headers: { Accept: "application/json" },
      });
      if (!response.ok) throw new Error(`HTTP ${response.status}`);
      const note = document.createElement("p");
      note.className = "read-note";
      note.setAttribute("role", "status");
      note.textContent = "You marked this section as read.";
      button.replaceWith(note);
      const section = form.querySelector("input[name=section]").value;
      const entry = document.querySelector(`.toc a[href="#${CSS.escape(section)}"]`);
      if (entry && !entry.parentElement.querySelector(".tag-read")) {
        const tag = document.createElement("span");
        tag.className = "tag tag-read";
        tag.textContent = "Read";
        entry.after(" ", tag);
      }
    } catch {
      button.disabled = false;
      form.submit(); // fall back to the plain form post
    }
  });
}
