// @jupyter-widgets/html-manager 1.x typesets widget labels with MathJax 2's API,
// MathJax.Hub.Queue(["Typeset", MathJax.Hub, element]); the site runs MathJax 3.
// Translate those calls to MathJax 3's typesetPromise, holding them until MathJax has started.
// Loaded after Sphinx's `window.MathJax = {...}` configuration and before the widget manager.
(function () {
  "use strict";
  const pending = [];
  const hub = {
    Queue(command) {
      const element = Array.isArray(command) ? command[2] : undefined;
      if (!element) return;
      const mathjax = window.MathJax;
      if (mathjax && mathjax.startup && mathjax.startup.promise && mathjax.typesetPromise) {
        mathjax.startup.promise.then(() => mathjax.typesetPromise([element]));
      } else {
        pending.push(element);
      }
    },
  };
  const config = (window.MathJax = window.MathJax || {});
  config.Hub = hub;
  config.startup = Object.assign({}, config.startup, {
    ready() {
      window.MathJax.startup.defaultReady();
      window.MathJax.Hub = hub;
      window.MathJax.startup.promise.then(() => {
        if (pending.length) return window.MathJax.typesetPromise(pending.splice(0));
      });
    },
  });
})();
