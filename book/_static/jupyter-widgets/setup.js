// Loaded between require.js and embed-amd.js (see _config.yml, nb_ipywidgets_js). Written for this book.
(function () {
  // embed-amd.js names its modules "@jupyter-widgets/html-manager/dist/...", and its CSS finds the
  // Font Awesome files next to the module's URL. Map that name to this folder, so the fonts load
  // from the book itself (from any page depth) instead of a path that does not exist.
  //
  // Every module the bundle defines by name computes its own asset path the same way, from the URL
  // RequireJS gives that name; unmapped, "@jupyter-widgets/controls" resolves next to the page
  // (book/@jupyter-widgets/...), and whichever module's CSS wins decides, from page load to page
  // load, whether the fonts load or fail (404). So every name maps into this folder, and the bundle's
  // own override (__jupyter_widgets_assets_path__) says the same.
  var root = document.documentElement.dataset.content_root || "";
  var here = root + "_static/jupyter-widgets";
  var paths = { "@jupyter-widgets/html-manager/dist": here };
  ["html-manager", "base", "base7", "controls", "controls7", "output"].forEach(function (name) {
    paths["@jupyter-widgets/" + name] = here + "/" + name;
  });
  require.config({ paths: paths });
  window.__jupyter_widgets_assets_path__ = new URL(here + "/", document.baseURI).href;

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
