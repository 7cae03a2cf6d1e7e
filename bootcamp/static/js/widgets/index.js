// Starts the annotation widget of every `.widget[data-kind]` on the page.
//
// Markup (rendered by the server; without JavaScript the fallback paragraph stays visible):
//   <div class="widget" data-kind="boxes|points|spans" data-spec='{...}' data-media="/…/file.png"
//        data-answer-field="answer-json" data-widget="/static/js/widgets/boxes.js">
//     <input type="hidden" name="answer" id="answer-json" value='[...]'>
//     <p class="widget-fallback">This task needs JavaScript to draw on the image.</p>
//   </div>
// data-answer-field is the id of the hidden input (several widgets can share a page, each with
// its own field); without it the widget's own hidden input is used.
// data-widget is the URL of the kind's module, named by its entry in courses/kinds.py.
// Each kind's module exports mount(root, {spec, mediaUrl, input}); it starts from the answer
// in the hidden input and writes the whole answer JSON back into it after every change (and
// fires "change" on it), so a plain form post sends it. Shapes: docs/scoring.md.
async function start(root) {
  const fallback = root.querySelector(".widget-fallback");
  try {
    const path = root.dataset.widget;
    if (!path) throw new Error(`no widget module for kind “${root.dataset.kind}”`);
    const spec = JSON.parse(root.dataset.spec || "{}");
    const named = root.dataset.answerField;
    const input = (named && document.getElementById(named))
      || root.querySelector("input[type=hidden]");
    if (!input) throw new Error("the answer field is missing");
    const { mount } = await import(path);
    mount(root, { spec, mediaUrl: root.dataset.media || "", input });
    if (fallback) fallback.hidden = true;
    root.classList.add("is-ready");
  } catch (error) {
    const message = `The annotation tool could not start (${error.message}). Reload the page to try again.`;
    if (fallback) fallback.textContent = message;
    throw error;
  }
}

for (const root of document.querySelectorAll(".widget[data-kind]")) {
  if (root.dataset.started) continue;
  root.dataset.started = "true";
  start(root);
}
