/* Make every sidebar toggle work (book/_ext/course_edition.py adds this file to every page).
 *
 * pydata-sphinx-theme 0.17 binds its phone dialogs, and sphinx-book-theme its desktop collapse, to the *first*
 * `.primary-toggle` / `.secondary-toggle` in the page: a copy in the header that sphinx-book-theme hides. The
 * buttons a reader sees (in the article header) got no handler, so ☰ and "On this page" did nothing
 * (pydata/pydata-sphinx-theme#2451). Here a click on any other toggle is handed to the first one, which runs
 * the themes' own code: on a phone it opens the navigation or the outline, on a desktop ☰ collapses the sidebar.
 */
(() => {
  const forward = (selector) => {
    const toggles = document.querySelectorAll(selector);
    const bound = toggles[0];
    toggles.forEach((toggle) => {
      if (toggle === bound) return;
      toggle.addEventListener(
        "click",
        (event) => {
          event.preventDefault();
          event.stopImmediatePropagation();
          bound.click();
        },
        true,
      );
    });
  };
  const setup = () => [".primary-toggle", ".secondary-toggle"].forEach(forward);
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setup);
  } else {
    setup();
  }
})();
