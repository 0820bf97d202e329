/* Accessible names and values for the sliders of the book's widgets.
 *
 * ipywidgets 8 draws a slider with noUiSlider: keyboard and screen-reader users operate its handle
 * (a <div role="slider">), but the handle has no name (its visible label is a <label> that is not
 * associated with it; axe-core: aria-input-field-name), and a SelectionSlider's handle announces
 * the index of the value (aria-valuetext="2") rather than the value shown. This script points each
 * handle at its visible label (aria-labelledby) and makes it announce the readout's text. Widgets
 * are drawn after the page has loaded and the readout changes with the slider, so a
 * MutationObserver keeps both up to date. Loaded on every page (_config.yml, html_js_files).
 */
(function () {
  "use strict";
  let count = 0;

  function labelSlider(slider) {
    const handle = slider.querySelector(".noUi-handle[role=slider]");
    if (!handle) return;
    const label = slider.querySelector(":scope > label.widget-label");
    if (label && label.textContent.trim()) {
      if (!label.id) label.id = "lstm-widget-label-" + count++;
      if (handle.getAttribute("aria-labelledby") !== label.id) handle.setAttribute("aria-labelledby", label.id);
    } else if (!handle.hasAttribute("aria-label")) {
      handle.setAttribute("aria-label", "value");
    }
    const readout = slider.querySelector(":scope > .widget-readout");
    const text = readout ? readout.textContent.trim() : "";
    if (text && handle.getAttribute("aria-valuetext") !== text) handle.setAttribute("aria-valuetext", text);
  }

  function labelAll() {
    document.querySelectorAll(".widget-slider").forEach(labelSlider);
  }

  function start() {
    labelAll();
    // Attributes are watched only for aria-valuetext, which noUiSlider rewrites when the slider moves;
    // labelSlider writes only what differs, so its own writes do not loop.
    new MutationObserver(labelAll).observe(document.body, {
      subtree: true, childList: true, characterData: true,
      attributes: true, attributeFilter: ["aria-valuetext"],
    });
  }

  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", start);
  else start();
})();
