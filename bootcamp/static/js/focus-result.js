// Moves the focus to the element marked data-focus-on-load: the result a form was sent to
// show (practice feedback), so a screen reader reads it out and the keyboard carries on from
// there. Browsers do not honour autofocus on a page opened at a #fragment, and the scroll to
// the fragment, done once the page has loaded, resets the focus: so this waits for the load.
const target = document.querySelector("[data-focus-on-load]");
if (target) {
  const land = () => setTimeout(() => target.focus(), 0);
  if (document.readyState === "complete") land();
  else window.addEventListener("load", land, { once: true });
}
