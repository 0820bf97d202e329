// Loaded between require.js and embed-amd.js (see _config.yml, nb_ipywidgets_js). Written for this book.
(function () {
  // embed-amd.js names its modules "@jupyter-widgets/html-manager/dist/...", and its CSS finds the
  // Font Awesome files next to the module's URL. Map that name to this folder, so the fonts load
  // from the book itself (from any page depth) instead of a path that does not exist.
  var root = document.documentElement.dataset.content_root || "";
  require.config({ paths: { "@jupyter-widgets/html-manager/dist": root + "_static/jupyter-widgets" } });

  // The widgets typeset their labels with MathJax 2's API (MathJax.Hub.Queue); the book loads
  // MathJax 3. Give MathJax 3 that one entry point, once it has loaded (MathJax is deferred;
  // the widgets render on the window's load event, after this listener).
  function mathjax2Queue() {
    var MJ = window.MathJax;
    if (!MJ || MJ.Hub || !MJ.startup || !MJ.typesetPromise) return;
    MJ.Hub = {
      Queue: function (job) {
        var el = job && job[2];
        MJ.startup.promise
          .then(function () { return MJ.typesetPromise(el ? [el] : undefined); })
          .catch(function (err) { console.warn("MathJax typeset of a widget label failed", err); });
      }
    };
  }
  if (document.readyState === "complete") mathjax2Queue();
  else window.addEventListener("load", mathjax2Queue);
})();
