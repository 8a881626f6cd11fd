// The course website's fixes, loaded (deferred) on every page. Each part says why it is here.
(function () {
  "use strict";

  // --- 0. The words this file writes, in the page's language (<html lang>, see course_i18n) ---
  const WORDS = {
    en: {
      navigation: "Site navigation",
      contents: "On this page",
      equation: "Equation (scrolls sideways)",
      widgetOutput: "Widget output (scrolls sideways)",
      note:
        "Saved view: these controls need a running notebook. Open the lesson with " +
        "<code>make lab</code> (or download it) to move them; the numbers below are the ones " +
        "saved with the lesson.",
      toggle: (title) => `Show or hide the pages of ${title}`,
      thisSection: "this section",
    },
    "zh-CN": {
      navigation: "网站导航",
      contents: "本页内容",
      equation: "公式（可横向滚动）",
      widgetOutput: "小部件输出（可横向滚动）",
      note:
        "已保存的视图：这些控件要在运行中的 notebook 里才能拖动。用 <code>make lab</code> " +
        "打开本课（或下载它）即可操作；下面的数字是随课程保存的结果。",
      toggle: (title) => `显示或隐藏“${title}”下的页面`,
      thisSection: "本节",
    },
    ru: {
      navigation: "Навигация по сайту",
      contents: "На этой странице",
      equation: "Формула (прокручивается по горизонтали)",
      widgetOutput: "Вывод виджета (прокручивается по горизонтали)",
      note:
        "Сохранённый вид: этим элементам управления нужен запущенный блокнот. Откройте урок " +
        "через <code>make lab</code> (или скачайте его), чтобы их двигать; числа ниже " +
        "сохранены вместе с уроком.",
      toggle: (title) => `Показать или скрыть страницы раздела «${title}»`,
      thisSection: "этот раздел",
    },
    ja: {
      navigation: "サイトナビゲーション",
      contents: "このページの内容",
      equation: "数式（横にスクロールできます）",
      widgetOutput: "ウィジェットの出力（横にスクロールできます）",
      note:
        "保存された表示です。これらのコントロールを動かすには、実行中のノートブックが必要です。" +
        "<code>make lab</code> でレッスンを開く（またはダウンロードする）と操作できます。" +
        "下の数値はレッスンとともに保存されたものです。",
      toggle: (title) => `「${title}」のページを表示・非表示`,
      thisSection: "このセクション",
    },
  };
  const SAY = WORDS[document.documentElement.lang] || WORDS.en;

  // --- 1. The menu and contents buttons below 992 px ------------------------------------------
  // sphinx-book-theme 1.4.0 with pydata-sphinx-theme 0.20 puts two buttons of each kind on the
  // page: pydata's, in a header the book theme hides, and the book theme's, in the article
  // header. pydata-sphinx-theme attaches its "open the sidebar dialog" handler to the first
  // one only (document.querySelector), so the visible buttons do nothing but show a tooltip
  // (pydata-sphinx-theme issue 2451, sphinx-book-theme issue 988).
  // DROP THIS PATCH when sphinx-book-theme releases its fix (upstream PR 991; 1.4.0 is the
  // newest on PyPI as of 2026-12-02) and the browser test's sidebar checks pass without it.
  function fixSidebarToggles() {
    for (const kind of ["primary", "secondary"]) {
      const buttons = [...document.querySelectorAll(`.${kind}-toggle`)];
      const first = buttons[0];
      for (const button of buttons.slice(1)) {
        button.addEventListener(
          "click",
          (event) => {
            event.preventDefault();
            event.stopImmediatePropagation();
            first.click();
          },
          true,
        );
        // The book theme's buttons are named by a tooltip only.
        button.setAttribute(
          "aria-label",
          kind === "primary" ? SAY.navigation : SAY.contents,
        );
        button.removeAttribute("title");
        button.removeAttribute("data-bs-toggle");
      }
    }
  }

  // --- 2. Long display equations scroll inside their own box ----------------------------------
  // CSS (course.css) lets div.math scroll sideways; here each box that does scroll is marked
  // (a visible edge and a label) and made reachable with the keyboard.
  function markScrollingMath() {
    for (const box of document.querySelectorAll("div.math")) {
      const scroller = box.querySelector("mjx-container") || box;
      const scrolls = scroller.scrollWidth > scroller.clientWidth + 1;
      box.classList.toggle("math-scrolls", scrolls);
      if (scrolls) {
        scroller.setAttribute("tabindex", "0");
        scroller.setAttribute("role", "region");
        scroller.setAttribute("aria-label", SAY.equation);
      } else if (scroller.getAttribute("role") === "region") {
        scroller.removeAttribute("tabindex");
        scroller.removeAttribute("role");
        scroller.removeAttribute("aria-label");
      }
    }
  }

  // Widget outputs wider than a phone scroll too: reachable with the keyboard as well.
  function markScrollingWidgets() {
    for (const box of document.querySelectorAll(".jupyter-widgets.widget-html")) {
      const scrolls = box.scrollWidth > box.clientWidth + 1;
      if (scrolls) {
        box.setAttribute("tabindex", "0");
        box.setAttribute("role", "region");
        box.setAttribute("aria-label", SAY.widgetOutput);
      } else if (box.getAttribute("role") === "region") {
        box.removeAttribute("tabindex");
        box.removeAttribute("role");
        box.removeAttribute("aria-label");
      }
    }
  }

  // --- 3. Saved widgets: shown as saved, controls disabled, said so on the widget -------------
  // The site has no Python kernel: a slider could be dragged, but nothing would recompute
  // what it controls. So every control is disabled and the widget says why and what to do.
  const NOTE = SAY.note;

  function freezeWidgets() {
    const roots = document.querySelectorAll(".cell_output .jupyter-widgets.widget-vbox");
    for (const root of roots) {
      if (root.closest(".course-widget-frozen") && !root.classList.contains("course-widget-frozen")) {
        continue; // a box inside a frozen widget
      }
      const wasFrozen = root.classList.contains("course-widget-frozen");
      root.classList.add("course-widget-frozen");
      if (!wasFrozen) {
        const note = document.createElement("p");
        note.className = "course-widget-note";
        note.setAttribute("role", "note");
        note.innerHTML = NOTE;
        root.prepend(note);
      }
      for (const control of root.querySelectorAll("input, button, select, textarea")) {
        control.disabled = true;
      }
      for (const slider of root.querySelectorAll(".widget-slider, .widget-hslider")) {
        const label = slider.querySelector(".widget-label");
        const readout = slider.querySelector(".widget-readout");
        const name = label ? label.textContent.trim() : "";
        const target = slider.querySelector(".noUi-target, .slider");
        if (target) target.setAttribute("disabled", "");
        for (const handle of slider.querySelectorAll(".noUi-handle, [role='slider']")) {
          handle.setAttribute("aria-label", `${name || "value"} (saved, fixed)`);
          handle.setAttribute("aria-disabled", "true");
          handle.setAttribute("tabindex", "-1");
          if (readout) handle.setAttribute("aria-valuetext", readout.textContent.trim());
        }
        if (readout) readout.setAttribute("contenteditable", "false");
      }
      for (const el of root.querySelectorAll('[title="null"]')) el.removeAttribute("title");
    }
    fixJacobianContrast();
    markScrollingWidgets();
  }

  // --- 4. The Jacobian heat-map: cell colours light enough for its text ----------------------
  // The saved table colours each cell with rgba(...) and writes the number in the page's text
  // colour. Where the colour is too strong for 4.5:1 contrast (in the light or the dark theme),
  // its opacity is lowered until the text reaches it.
  function luminance([r, g, b]) {
    const f = (c) => {
      c /= 255;
      return c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4;
    };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  }
  function contrast(a, b) {
    const [x, y] = [luminance(a), luminance(b)].sort((p, q) => q - p);
    return (x + 0.05) / (y + 0.05);
  }
  function rgb(text) {
    const m = text.match(/rgba?\(([^)]+)\)/);
    return m ? m[1].split(",").map((v) => parseFloat(v)) : null;
  }
  function pageBackground(el) {
    for (let node = el; node; node = node.parentElement) {
      const c = rgb(getComputedStyle(node).backgroundColor);
      if (c && (c.length < 4 || c[3] > 0.99)) return c.slice(0, 3);
    }
    return [255, 255, 255];
  }
  function fixJacobianContrast() {
    for (const td of document.querySelectorAll(".softmax-course-jacobian td")) {
      const original = td.dataset.courseBackground || td.style.background || td.style.backgroundColor;
      const c = rgb(original || "");
      if (!c) continue;
      if (c.length < 4) c.push(1);
      td.dataset.courseBackground = original;
      const text = rgb(getComputedStyle(td).color).slice(0, 3);
      const behind = pageBackground(td.parentElement);
      let alpha = c[3];
      const mix = (a) => c.slice(0, 3).map((v, i) => a * v + (1 - a) * behind[i]);
      while (alpha > 0 && contrast(mix(alpha), text) < 4.6) alpha -= 0.02;
      td.style.background = `rgba(${c[0]}, ${c[1]}, ${c[2]}, ${Math.max(alpha, 0).toFixed(3)})`;
    }
  }

  // --- 5. Search results: the page's text, not the theme's menus or raw TeX -------------------
  // Sphinx's search shows text around the match from the page's [role=main], which in this
  // theme also holds the article header's menus ("System Settings Light Dark"); and formulas
  // are TeX source in the HTML. Take the article only, and formulas as plain symbols.
  const TEX = {
    partial: "∂", sum: "Σ", leq: "≤", le: "≤", geq: "≥", ge: "≥", approx: "≈", times: "×",
    cdot: "·", dots: "…", ldots: "…", cdots: "…", infty: "∞", to: "→", lambda: "λ", delta: "δ",
    sigma: "σ", alpha: "α", beta: "β", varepsilon: "ε", epsilon: "ε", top: "ᵀ", in: "∈",
    odot: "⊙", log: "log", exp: "exp", max: "max", min: "min", neq: "≠", mid: "|",
  };
  function plainTex(tex) {
    return tex
      .replace(/\\[()[\]]/g, "")
      .replace(/\\begin\{[^}]*\}|\\end\{[^}]*\}/g, " ")
      .replace(/\\([A-Za-z]+)/g, (m, word) => (word in TEX ? TEX[word] : ""))
      .replace(/\\[,;:! ]/g, " ")
      .replace(/[{}$&]|\\\\/g, " ")
      .replace(/\s+/g, " ")
      .trim();
  }
  function fixSearch() {
    if (!window.Search || !Search.htmlToText) return;
    const original = Search.htmlToText;
    Search.htmlToText = (htmlString, anchor) => {
      const doc = new DOMParser().parseFromString(htmlString, "text/html");
      const article = doc.querySelector("article.bd-article") || doc.querySelector('[role="main"]');
      if (!article) return original(htmlString, anchor);
      article
        .querySelectorAll(".headerlink, script, style, .jupyter-widgets, .copybtn, .course-widget-note")
        .forEach((el) => el.remove());
      article.querySelectorAll(".math").forEach((el) => {
        el.textContent = ` ${plainTex(el.textContent)} `;
      });
      let root = article;
      if (anchor) {
        const part = article.querySelector(anchor);
        if (part) root = part;
      }
      return root.textContent.replace(/\s+/g, " ");
    };
  }

  // --- 6. Names for the theme's controls that screen readers announce ----------------------
  // The search buttons show "Search" and a keyboard shortcut but are named "Search" only
  // (axe: label-content-name-mismatch): let their visible text name them. The navigation's
  // expand/collapse toggles (<summary>) have an icon only: name them after their section.
  function nameThemeControls() {
    for (const button of document.querySelectorAll(".search-button-field[aria-label]")) {
      button.removeAttribute("aria-label");
    }
    for (const summary of document.querySelectorAll("nav details > summary")) {
      if (summary.textContent.trim() || summary.getAttribute("aria-label")) continue;
      const link = summary.parentElement.parentElement.querySelector(":scope > a");
      const title = link ? link.textContent.trim() : SAY.thisSection;
      summary.setAttribute("aria-label", SAY.toggle(title));
    }
  }

  function ready(fn) {
    if (document.readyState !== "loading") fn();
    else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(() => {
    fixSidebarToggles();
    nameThemeControls();
    fixSearch();
    freezeWidgets();
    // Widgets and formulas render after load (html-manager, MathJax): redo what depends on them.
    let pending = null;
    const again = () => {
      if (pending) return;
      pending = setTimeout(() => {
        pending = null;
        freezeWidgets();
        markScrollingMath();
      }, 100);
    };
    new MutationObserver((records) => {
      if (records.some((r) => !(r.target.closest && r.target.closest(".course-widget-note")))) again();
    }).observe(document.querySelector("main") || document.body, { childList: true, subtree: true });
    new MutationObserver(fixJacobianContrast).observe(document.documentElement, {
      attributes: true,
      attributeFilter: ["data-theme"],
    });
    window.addEventListener("resize", again);
    if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
      MathJax.startup.promise.then(markScrollingMath);
    }
    markScrollingMath();
  });
})();
