import { h, replace } from "../ui.js";

export default {
  id: "archive",
  title: "Archive",
  render(container) {
    replace(container, h("h1", {}, "Archive"));
  },
};
