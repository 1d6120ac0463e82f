// Placeholder: engineer B replaces this page (issue 16, part B).

import { h, replace } from "../ui.js";

export default {
  id: "system",
  title: "System",
  render(container, params) {
    replace(container, h("h1", {}, "System"),
      h("p", {}, "This page is coming.", params.length ? ` (${params.join("/")})` : ""));
  },
};
